/**
 * The frames between the plugin and a component process, over the process's stdin/stdout.
 *
 * Each frame is a 4-byte little-endian length and the frame structured-cloned with `node:v8`
 * (`serialize`), which keeps what the component's values are made of — `Uint8Array` bodies,
 * `bigint` (WIT `u64`), `undefined` (WIT `none`) — without a JSON detour. Both ends run the same
 * runtime (the process is spawned with `process.execPath`), so the format always matches.
 */

import { deserialize, serialize } from 'node:v8';

/** The component's exports, as jco names them (`interface.function`). */
export type ExportName =
  | 'plugin.info'
  | 'plugin.configSchema'
  | 'plugin.validateConfig'
  | 'plugin.connect'
  | 'webhook.handleWebhook'
  | 'messaging.decodeOutgoing'
  | 'messaging.sendMessage'
  | 'messaging.reportSendFailure'
  | 'messaging.markRead'
  | 'media.uploadMedia'
  | 'media.downloadMedia'
  | 'account.blockUsers'
  | 'account.getBusinessProfile'
  | 'account.updateBusinessProfile';

/** The imports the plugin answers: `outbound-http.send`, `events.publish`, `media-links.link`
 * (whose answer is `{tag: 'ok', val: link | undefined}`). */
export type HostOp = 'http' | 'publish' | 'link';

/** A WIT `result` as jco represents it. */
export type WitResult<T = unknown, E = unknown> = { tag: 'ok'; val: T } | { tag: 'err'; val: E };

/** What the plugin sends a component process. */
export type ToProcess =
  /** Run one export. */
  | { kind: 'call'; name: ExportName; args: unknown[] }
  /** The answer to the process's latest `host` frame. */
  | { kind: 'reply'; value: WitResult };

/** What a component process sends the plugin. */
export type FromProcess =
  /** The component is instantiated and waits for calls. */
  | { kind: 'ready' }
  /** The component called an import that needs an answer (it waits for a `reply`). */
  | { kind: 'host'; op: HostOp; arg: unknown }
  /** The component logged a line (no answer). */
  | { kind: 'log'; level: string; message: string }
  /** The export returned (`ok` for a WIT result's value, or a plain return value). */
  | { kind: 'return'; value: unknown }
  /** The export returned a WIT result's error. */
  | { kind: 'error'; payload: unknown }
  /** The component trapped; the process has discarded the instance and made a fresh one. */
  | { kind: 'trap'; message: string; memoryExhausted: boolean }
  /** The process cannot run the component at all. */
  | { kind: 'fatal'; message: string };

/** One frame, ready to write. */
export function encodeFrame(frame: ToProcess | FromProcess): Buffer {
  const body = serialize(frame);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}

/** Collects stream chunks and yields whole frames. */
export class FrameReader<T> {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds a chunk; returns the frames it completed. */
  push(chunk: Buffer): T[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: T[] = [];
    while (this.buffered >= 4) {
      const head = this.peek(4);
      const length = head.readUInt32LE(0);
      if (this.buffered < 4 + length) break;
      const frame = this.take(4 + length);
      frames.push(deserialize(frame.subarray(4)) as T);
    }
    return frames;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) return first;
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}
