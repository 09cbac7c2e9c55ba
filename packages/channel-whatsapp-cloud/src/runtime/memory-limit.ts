/**
 * A memory limit for a component's core modules, the way JavaScript engines can enforce one:
 * as the declared maximum of each memory the module defines. Past it `memory.grow` fails, the
 * guest's allocator aborts, and the call traps — the wasmtime host's memory limiter, in effect,
 * without which a memory bomb would grow a process to 4 GiB.
 */

const WASM_PAGE = 65_536;
const MEMORY_SECTION = 5;

/** The module with every memory it defines capped at `maxBytes`. */
export function limitMemory(module: Uint8Array, maxBytes: number): Uint8Array<ArrayBuffer> {
  const maxPages = Math.max(1, Math.floor(maxBytes / WASM_PAGE));
  const pieces: Uint8Array[] = [module.subarray(0, 8)];
  let offset = 8;
  while (offset < module.length) {
    const id = module[offset] as number;
    const [size, sizeEnd] = readLeb(module, offset + 1);
    const payloadEnd = sizeEnd + size;
    if (id === MEMORY_SECTION) {
      const payload = capMemories(module.subarray(sizeEnd, payloadEnd), maxPages);
      pieces.push(Uint8Array.from([id, ...writeLeb(payload.length), ...payload]));
    } else {
      pieces.push(module.subarray(offset, payloadEnd));
    }
    offset = payloadEnd;
  }
  return Buffer.concat(pieces);
}

function capMemories(section: Uint8Array, maxPages: number): number[] {
  const [count, start] = readLeb(section, 0);
  const out = writeLeb(count);
  let offset = start;
  for (let i = 0; i < count; i++) {
    const flags = section[offset] as number;
    if (flags & 0b110) {
      // Shared or 64-bit memories: not something a component of this contract defines.
      throw new Error(`unsupported memory flags 0x${flags.toString(16)}`);
    }
    const [min, afterMin] = readLeb(section, offset + 1);
    let max: number | undefined;
    offset = afterMin;
    if (flags & 1) {
      [max, offset] = readLeb(section, offset);
    }
    if (min > maxPages) {
      throw new Error(`the component needs ${min} pages of memory at start, more than the limit of ${maxPages}`);
    }
    out.push(1, ...writeLeb(min), ...writeLeb(Math.min(max ?? maxPages, maxPages)));
  }
  return out;
}

function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let offset = at;
  for (;;) {
    const byte = bytes[offset++];
    if (byte === undefined) throw new Error('truncated module');
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, offset];
    shift += 7;
  }
}

function writeLeb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    out.push(byte);
  } while (rest > 0);
  return out;
}
