/**
 * Meta's webhook as omni forwards it (`handleWebhook(request: Request)`): which instance it is
 * for, the raw request for the host — bytes untouched, so signatures verify — and the host's
 * answer as a `Response`.
 */

import type { NativeAnswer, NativeHost } from './native.js';

/** The path segment the webhook lives under: `{webhookBaseUrl}/whatsapp-cloud` (omni serves its
 * `webhookBaseUrl` at `/webhooks`, so Meta calls `/webhooks/whatsapp-cloud/{instance}`). */
export const WEBHOOK_SEGMENT = 'whatsapp-cloud';

/** The instance a webhook URL names: `?instance={id}`, or the segment after `/whatsapp-cloud/`. */
export function instanceOf(url: URL): string | undefined {
  const query = url.searchParams.get('instance');
  if (query) return query;
  const segments = url.pathname.split('/').filter(Boolean);
  const at = segments.lastIndexOf(WEBHOOK_SEGMENT);
  return at >= 0 ? segments[at + 1] : undefined;
}

/** The body, or `undefined` when it is larger than `limit` (announced or actual). */
export async function readBody(request: Request, limit: number): Promise<Buffer | undefined> {
  const length = request.headers.get('content-length');
  const declared = Number(length ?? 0);
  if (declared > limit) return undefined;
  if (!request.body) return Buffer.alloc(0);
  if (length !== null && Number.isSafeInteger(declared)) {
    // Announced within the limit: read whole (the runtime stops at the announced length).
    const body = Buffer.from(await request.arrayBuffer());
    return body.length > limit ? undefined : body;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A request's headers as the host takes them: `[name, value, name, value…]`. */
export function flatHeaders(headers: Headers): string[] {
  const flat: string[] = [];
  for (const [name, value] of headers) flat.push(name, value);
  return flat;
}

/** The host's answer as a `Response`. */
export function toResponse(answer: NativeAnswer): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < answer.headers.length; i += 2) headers.append(answer.headers[i] as string, answer.headers[i + 1] as string);
  return new Response(answer.body.length > 0 ? (answer.body as Uint8Array<ArrayBuffer>) : null, { status: answer.status, headers });
}

/** A JSON error response of the plugin's own. */
export function jsonResponse(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** Meta's webhook, or one of the media links the plugin hands out, answered by the host.
 * Tried first right here on the JavaScript thread (a signed text webhook is a few tens of µs of
 * guest time), its events published (`publish`) before its answer; else, or when the bus refused
 * them for good, in the host's webhook lane. */
export async function answerWebhook(
  host: NativeHost,
  publish: (events: string) => Promise<string>,
  request: Request,
  maxBytes: number,
): Promise<Response> {
  const url = new URL(request.url);
  if (host.isMediaLink(url.pathname)) {
    const expires = url.searchParams.get('expires') ?? '';
    return toResponse(await host.media(url.pathname, expires, url.searchParams.get('signature') ?? ''));
  }
  const receiver = host.webhookReceiver(instanceOf(url) ?? null);
  if (!receiver) return jsonResponse(400, { error: 'the webhook URL names no instance: add /{instanceId}' });
  const body = await readBody(request, maxBytes);
  if (!body) return jsonResponse(413, { error: 'the body is larger than the webhook accepts' });
  const query = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const headers = flatHeaders(request.headers);
  const attempt = host.webhookInline(receiver, request.method, url.pathname, query, headers, body);
  if (attempt !== null && 'settle' in attempt) {
    const answer = attempt.settle(attempt.events === '[]' ? 'ok' : await publish(attempt.events));
    if (answer) return toResponse(answer);
  } else if (attempt !== null) {
    return toResponse(attempt);
  }
  return toResponse(await host.handleWebhook(receiver, request.method, url.pathname, query, headers, body));
}
