/**
 * Meta's webhook as omni forwards it (`handleWebhook(request: Request)`), for the component:
 * which instance it is for, and the raw request — bytes untouched, so signatures verify.
 */

import type { IncomingRequest, OutgoingResponse } from './runtime/wit.js';

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
export async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > limit) return undefined;
  if (!request.body) return new Uint8Array(0);
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

/** The request as the component's `incoming-request`. */
export function incomingRequest(request: Request, url: URL, body: Uint8Array): IncomingRequest {
  return {
    method: request.method,
    path: url.pathname,
    query: url.search.startsWith('?') ? url.search.slice(1) : url.search,
    headers: [...request.headers],
    body,
  };
}

/** The component's response as a `Response`. */
export function toResponse(response: OutgoingResponse): Response {
  const headers = new Headers();
  for (const [name, value] of response.headers) headers.append(name, value);
  return new Response(response.body.length > 0 ? (response.body as Uint8Array<ArrayBuffer>) : null, {
    status: response.status,
    headers,
  });
}

/** A JSON error response of the plugin's own. */
export function jsonResponse(status: number, body: Record<string, unknown>): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
