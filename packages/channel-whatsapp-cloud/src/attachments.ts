/**
 * omni's `OutgoingMessage` as the component reads it: JSON, with every binary value (a TTS
 * `metadata.audioBuffer`, any `Buffer` or `Uint8Array`) lifted out and passed beside it by its
 * JSON pointer, since JSON cannot carry bytes. Nothing else is converted here: reading omni's
 * shapes is the component's job (`messaging.decode-outgoing`).
 */

/** A binary value of the message, by its JSON pointer. */
export interface Attachment {
  pointer: string;
  bytes: Buffer;
}

/** The message as JSON, and its binary values. */
export function liftBinaries(message: unknown): { json: string; attachments: Attachment[] } {
  const attachments: Attachment[] = [];
  const walk = (value: unknown, pointer: string): unknown => {
    if (value instanceof Uint8Array) {
      attachments.push({ pointer, bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength) });
      return undefined;
    }
    if (value instanceof ArrayBuffer) {
      attachments.push({ pointer, bytes: Buffer.from(value) });
      return undefined;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${pointer}/${i}`));
    if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, `${pointer}/${escape(key)}`)]),
      );
    }
    return value;
  };
  const json = JSON.stringify(walk(message, '')) ?? 'null';
  return { json, attachments };
}

/** A key as a JSON pointer segment (RFC 6901). */
function escape(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}
