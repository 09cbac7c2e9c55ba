/**
 * Outbound HTTP for the component (`outbound-http.send`), as `omni-host` grants it: deny by
 * default, only the origins the component declared for the instance (narrowed to the
 * operator's list when there is one), no redirects, a timeout, a cap on the response body.
 */

import type { HttpError, Request, Response } from '../../generated/component/interfaces/omni-channel-outbound-http.js';
import type { WitResult } from './protocol.js';

/** Where one call may connect, and how much it may read. */
export interface EgressPolicy {
  /** Allowed origins: `https://graph.facebook.com`, `http://127.0.0.1:8080`; `https://*.example.com`
   * allows the subdomains of a host. */
  origins: readonly string[];
  /** Largest response body read for the component. */
  maxResponseBytes: number;
  /** Longest exchange, whatever the component asks for. */
  maxTimeoutMs: number;
}

interface Origin {
  scheme: string;
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/** `scheme://host:port` of an http(s) URL, or why it is not one. */
function originOf(url: string): Origin | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `\`${url}\` is not a URL`;
  }
  const defaultPort = DEFAULT_PORTS[parsed.protocol];
  if (defaultPort === undefined) return `the scheme of \`${url}\` is not http or https`;
  if (parsed.username || parsed.password) return 'URLs with user info are refused';
  return { scheme: parsed.protocol, host: parsed.hostname.toLowerCase(), port: Number(parsed.port || defaultPort) };
}

function allows(pattern: string, origin: Origin): boolean {
  const wildcard = pattern.includes('://*.');
  const allowed = originOf(wildcard ? pattern.replace('://*.', '://') : pattern);
  if (typeof allowed === 'string' || allowed.scheme !== origin.scheme || allowed.port !== origin.port) return false;
  if (!wildcard) return allowed.host === origin.host;
  return origin.host.endsWith(`.${allowed.host}`);
}

/** The same origin, whatever its spelling (`https://GRAPH.facebook.com:443/` and `https://graph.facebook.com`). */
function sameOrigin(a: string, b: string): boolean {
  const [x, y] = [originOf(a.replace('://*.', '://')), originOf(b.replace('://*.', '://'))];
  if (typeof x === 'string' || typeof y === 'string') return false;
  return x.scheme === y.scheme && x.host === y.host && x.port === y.port && a.includes('://*.') === b.includes('://*.');
}

/**
 * What an instance may reach: the origins the component declared, within the operator's list
 * when there is one. The declaration stays the limit: a listed origin the component did not
 * declare is not granted (it is returned as `undeclared`, for a warning).
 */
export function grantEgress(declared: readonly string[], allowed?: readonly string[]): { granted: string[]; undeclared: string[] } {
  if (!allowed) return { granted: [...declared], undeclared: [] };
  return {
    granted: declared.filter((origin) => allowed.some((entry) => sameOrigin(origin, entry))),
    undeclared: allowed.filter((entry) => !declared.some((origin) => sameOrigin(origin, entry))),
  };
}

/** Whether `url` may be requested under `origins`; the refusal the component sees otherwise. */
export function checkEgress(origins: readonly string[], url: string): HttpError | undefined {
  const origin = originOf(url);
  if (typeof origin === 'string') return { tag: 'other', val: origin };
  if (origins.some((pattern) => allows(pattern, origin))) return undefined;
  return { tag: 'destination-not-allowed', val: `${origin.scheme}//${origin.host}:${origin.port}` };
}

/** Transport errors that mean nothing reached the server, as Node (undici) and Bun name them. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ConnectionRefused',
  'FailedToOpenSocket',
  'ConnectionClosed',
]);

function errorCode(error: unknown): string | undefined {
  const withCode = (e: unknown) => (e && typeof e === 'object' && 'code' in e ? String((e as { code: unknown }).code) : undefined);
  return withCode((error as { cause?: unknown })?.cause) ?? withCode(error);
}

/** Performs one request the way the WIT contract describes it. */
export async function send(
  request: Request,
  policy: EgressPolicy,
  callSignal: AbortSignal,
): Promise<WitResult<Response, HttpError>> {
  const refusal = checkEgress(policy.origins, request.url);
  if (refusal) return { tag: 'err', val: refusal };
  const timeoutMs = Math.min(request.timeoutMs ?? policy.maxTimeoutMs, policy.maxTimeoutMs);
  const timeout = AbortSignal.timeout(timeoutMs);
  const headers = new Headers();
  for (const [name, value] of request.headers) {
    // The host sets these itself.
    if (!['host', 'content-length'].includes(name.toLowerCase())) headers.append(name, value);
  }
  let response: globalThis.Response;
  try {
    response = await fetch(request.url, {
      method: request.method.toUpperCase(),
      headers,
      // The bytes arrive in their own ArrayBuffer (structured clone), never a shared one.
      body: request.body.length > 0 ? (request.body as Uint8Array<ArrayBuffer>) : undefined,
      redirect: 'manual',
      signal: AbortSignal.any([callSignal, timeout]),
    });
  } catch (error) {
    if (timeout.aborted) return { tag: 'err', val: { tag: 'timeout', val: 'maybe-sent' } };
    const code = errorCode(error);
    const progress = code !== undefined && NOT_SENT.has(code) ? 'not-sent' : 'maybe-sent';
    return { tag: 'err', val: { tag: 'connection', val: { progress, message: `${String(error)}${code ? ` (${code})` : ''}` } } };
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > policy.maxResponseBytes) {
    await response.body?.cancel().catch(() => {});
    return { tag: 'err', val: { tag: 'body-too-large', val: BigInt(policy.maxResponseBytes) } };
  }
  const body = await readCapped(response, policy.maxResponseBytes).catch((error: unknown) =>
    timeout.aborted ? 'timeout' : String(error),
  );
  if (body === 'timeout') return { tag: 'err', val: { tag: 'timeout', val: 'maybe-sent' } };
  if (typeof body === 'string') return { tag: 'err', val: { tag: 'connection', val: { progress: 'maybe-sent', message: body } } };
  if (body === undefined) return { tag: 'err', val: { tag: 'body-too-large', val: BigInt(policy.maxResponseBytes) } };
  return {
    tag: 'ok',
    val: { status: response.status, headers: [...response.headers].map(([n, v]) => [n.toLowerCase(), v]), body },
  };
}

/** The whole body, or `undefined` past `limit` bytes. */
async function readCapped(response: globalThis.Response, limit: number): Promise<Uint8Array | undefined> {
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
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
