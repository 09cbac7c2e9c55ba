/**
 * An in-process stand-in for Meta's Graph API on loopback, speaking its real shapes: sends,
 * read receipts, media upload (multipart), media metadata and download, the phone number, and
 * Graph error bodies. Tests script its next responses to provoke Meta's errors.
 */

import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer;
  json(): any;
}

export interface Scripted {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface StoredMedia {
  bytes: Buffer;
  mimeType: string;
  filename?: string;
  /** The CDN serves other bytes than the metadata describes (a corrupted copy). */
  corrupted?: boolean;
}

export const ACCESS_TOKEN = 'EAAtestaccesstoken';
export const PHONE_NUMBER_ID = '106540352242922';

/** A Graph API error body, as Meta sends it. */
export function graphError(status: number, code: number, message: string, headers?: Record<string, string>): Scripted {
  return {
    status,
    headers,
    body: {
      error: {
        message,
        type: code === 190 ? 'OAuthException' : 'GraphMethodException',
        code,
        error_data: { messaging_product: 'whatsapp', details: message },
        fbtrace_id: 'AFakeTraceId123',
      },
    },
  };
}

export class FakeGraph {
  readonly requests: RecordedRequest[] = [];
  /** The business phone numbers this account has (their ids). */
  readonly phoneNumbers = new Set([PHONE_NUMBER_ID]);
  readonly media = new Map<string, StoredMedia>();
  /** Whether the app is subscribed to the business account's webhooks (`subscribed_apps`). */
  subscribed = true;
  /** How long the CDN takes to serve a file (a slow download). */
  cdnDelayMs = 0;
  /** The business profile (`whatsapp_business_profile`). */
  profile: Record<string, unknown> = { about: 'Fresh produce, delivered', vertical: 'GROCERY', websites: [] };
  private readonly script: Array<Scripted | 'normal'> = [];
  private nextMessage = 1;
  private nextMedia = 7_000_000_000_000;

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<FakeGraph> {
    let graph: FakeGraph | undefined;
    const server = createServer((req, res) => {
      graph?.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    graph = new FakeGraph(server, `http://127.0.0.1:${port}`);
    return graph;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next response (after `normal` entries let requests through as usual). */
  respond(...responses: Array<Scripted | 'normal'>): void {
    this.script.push(...responses);
  }

  /** Requests to `POST /{version}/{phone}/messages`, their bodies parsed. */
  sent(): any[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages')).map((r) => r.json());
  }

  clear(): void {
    this.requests.length = 0;
  }

  storeMedia(bytes: Buffer, mimeType: string): string {
    const id = String(this.nextMedia++);
    this.media.set(id, { bytes, mimeType });
    return id;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.baseUrl);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
    const body = Buffer.concat(chunks);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      headers,
      body,
      json: () => JSON.parse(body.toString('utf8')),
    };
    this.requests.push(recorded);
    const reply = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
      res.writeHead(status, { 'content-type': Buffer.isBuffer(payload) ? 'application/octet-stream' : 'application/json', ...extra });
      res.end(bytes);
    };
    if (headers.authorization !== `Bearer ${ACCESS_TOKEN}`) {
      return reply(401, graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token').body);
    }
    const scripted = this.script.shift();
    if (scripted && scripted !== 'normal') {
      if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
      return reply(scripted.status, scripted.body, scripted.headers);
    }
    const segments = url.pathname.split('/').filter(Boolean);
    const [version, object, edge] = segments;
    if (segments[0] === 'cdn' && object) {
      const media = this.media.get(object);
      if (!media) return reply(404, { error: 'gone' });
      const bytes = media.corrupted ? Buffer.concat([media.bytes.subarray(1), Buffer.from('!')]) : media.bytes;
      if (this.cdnDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.cdnDelayMs));
      return reply(200, bytes, { 'content-type': media.mimeType });
    }
    if (!version?.startsWith('v')) return reply(400, graphError(400, 100, 'Unknown path components').body);
    const phone = object !== undefined && this.phoneNumbers.has(object);
    if (req.method === 'POST' && phone && edge === 'messages') return this.message(recorded, reply);
    if (req.method === 'POST' && phone && edge === 'media') return this.upload(recorded, reply);
    if (phone && edge === 'block_users' && (req.method === 'POST' || req.method === 'DELETE')) {
      const users = (recorded.json().block_users as Array<{ user: string }>).map((u) => u.user);
      const key = req.method === 'POST' ? 'added_users' : 'removed_users';
      return reply(200, { messaging_product: 'whatsapp', block_users: { [key]: users.map((u) => ({ input: u, wa_id: u })), failed_users: [] } });
    }
    if (phone && edge === 'whatsapp_business_profile') {
      if (req.method === 'POST') {
        const { messaging_product: _, ...fields } = recorded.json() as Record<string, unknown>;
        this.profile = { ...this.profile, ...fields };
        return reply(200, { success: true });
      }
      return reply(200, { data: [{ ...this.profile, messaging_product: 'whatsapp' }] });
    }
    if (object && edge === 'subscribed_apps') {
      if (req.method === 'POST') {
        this.subscribed = true;
        return reply(200, { success: true });
      }
      const data = this.subscribed ? [{ whatsapp_business_api_data: { id: '987654321', name: 'Acme omni' } }] : [];
      return reply(200, { data });
    }
    if (req.method === 'GET' && phone && !edge) {
      return reply(200, { display_phone_number: '+1 555-078-3881', verified_name: 'Acme Support', quality_rating: 'GREEN', id: object });
    }
    if (req.method === 'GET' && object && !edge) {
      const media = this.media.get(object);
      if (!media) return reply(404, graphError(404, 100, 'Unsupported get request').body);
      return reply(200, {
        messaging_product: 'whatsapp',
        url: `${this.baseUrl}/cdn/${object}`,
        mime_type: media.mimeType,
        sha256: createHash('sha256').update(media.bytes).digest('hex'),
        file_size: media.bytes.length,
        id: object,
      });
    }
    return reply(400, graphError(400, 100, 'Unknown path components').body);
  }

  private message(request: RecordedRequest, reply: (status: number, body: unknown) => void): void {
    const body = request.json();
    if (body.messaging_product !== 'whatsapp') return reply(400, graphError(400, 100, 'messaging_product is required').body);
    if (body.status === 'read') return reply(200, { success: true });
    const to = body.to ?? body.recipient;
    if (!to || !body.type || body[body.type] === undefined) return reply(400, graphError(400, 100, 'The parameters to and type are required.').body);
    const id = `wamid.FAKE${String(this.nextMessage++).padStart(8, '0')}`;
    reply(200, { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id, message_status: 'accepted' }] });
  }

  private async upload(request: RecordedRequest, reply: (status: number, body: unknown) => void): Promise<void> {
    const form = await new Request('http://fake/upload', {
      method: 'POST',
      headers: { 'content-type': request.headers['content-type'] ?? '' },
      body: new Uint8Array(request.body),
    }).formData();
    const file = form.get('file');
    if (form.get('messaging_product') !== 'whatsapp' || !(file instanceof Blob)) {
      return reply(400, graphError(400, 100, 'file and messaging_product are required').body);
    }
    const id = this.storeMedia(Buffer.from(await file.arrayBuffer()), file.type || String(form.get('type')));
    reply(200, { id });
  }
}
