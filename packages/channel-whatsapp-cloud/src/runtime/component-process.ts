/**
 * A component process: runs one instance of the component, one call at a time, entirely
 * synchronously.
 *
 * The component's imports are synchronous in WIT (`outbound-http.send`, `events.publish`) while
 * the plugin's fetch and event bus are async. So the component never runs where omni runs: this
 * process blocks in a read on stdin while the plugin performs the import, and resumes with the
 * answer. Being a process rather than a worker thread is what lets the plugin stop a runaway
 * guest on every runtime: Bun cannot terminate a worker that is inside a wasm loop, a killed
 * process always stops. A crash here (a memory bomb, an engine abort) never reaches omni.
 *
 * Usage: `<runtime> component-process.(ts|js) <component.js> <memory limit in bytes>`.
 */

import { readFileSync, readSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deserialize } from 'node:v8';

import { limitMemory } from './memory-limit.js';
import { type ExportName, type FromProcess, type HostOp, type ToProcess, type WitResult, encodeFrame } from './protocol.js';

const STDIN = 0;
const STDOUT = 1;
const [componentPath, memoryLimitArg] = process.argv.slice(2);
const memoryLimit = Number(memoryLimitArg);

/** Sleeps the thread briefly (a pipe that is momentarily not ready). */
const pause = (() => {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return () => Atomics.wait(cell, 0, 0, 1);
})();

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(STDOUT, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      pause();
    }
  }
}

function readExact(length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let offset = 0;
  while (offset < length) {
    let read: number;
    try {
      read = readSync(STDIN, buffer, offset, length - offset, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      pause();
      continue;
    }
    // The plugin closed the pipe: it is done with this process.
    if (read === 0) process.exit(0);
    offset += read;
  }
  return buffer;
}

function send(frame: FromProcess): void {
  writeAll(encodeFrame(frame));
}

function receive(): ToProcess {
  const length = readExact(4).readUInt32LE(0);
  return deserialize(readExact(length)) as ToProcess;
}

/** An import that waits for the plugin's answer. */
function hostCall(op: HostOp, arg: unknown): WitResult {
  send({ kind: 'host', op, arg });
  const frame = receive();
  if (frame.kind !== 'reply') throw new Error(`expected a reply, got ${frame.kind}`);
  return frame.value;
}

const imports = {
  'omni:channel/outbound-http': { send: (request: unknown) => hostCall('http', request) },
  'omni:channel/events': { publish: (events: unknown) => hostCall('publish', events) },
  'omni:channel/logging': {
    log: (level: string, message: string) => send({ kind: 'log', level, message }),
  },
  'omni:channel/media-links': {
    link: (instanceId: string, mediaId: string) => hostCall('link', [instanceId, mediaId]).val,
  },
  'omni:channel/types': {},
};

type Instantiate = (
  getCoreModule: (path: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore?: (module: WebAssembly.Module, imports: Record<string, unknown>) => WebAssembly.Instance,
) => Record<string, Record<string, (...args: unknown[]) => unknown>>;

async function load(): Promise<() => ReturnType<Instantiate>> {
  if (!componentPath || !(memoryLimit > 0)) throw new Error('usage: component-process <component.js> <memory bytes>');
  // jco's code tries `WebAssembly.promising` for every export when the engine has no JSPI
  // (Bun, Node ≤ 22); each failed attempt costs milliseconds per instantiation.
  const wasm = WebAssembly as unknown as { promising?: unknown };
  if (typeof wasm.promising !== 'function') wasm.promising = (f: unknown) => f;

  const { instantiate } = (await import(pathToFileURL(componentPath).href)) as { instantiate: Instantiate };
  const directory = dirname(componentPath);
  const compiled = new Map<string, WebAssembly.Module>();
  const getCoreModule = (name: string): WebAssembly.Module => {
    let module = compiled.get(name);
    if (!module) {
      module = new WebAssembly.Module(limitMemory(readFileSync(join(directory, name)), memoryLimit));
      compiled.set(name, module);
    }
    return module;
  };
  // Keyed by interface without the package version: that is what jco's code reads (its types
  // show the version).
  return () =>
    instantiate(getCoreModule, imports, (module, moduleImports) => {
      const instance = new WebAssembly.Instance(module, moduleImports as ConstructorParameters<typeof WebAssembly.Instance>[1]);
      if (instance.exports.memory instanceof WebAssembly.Memory) memories.push(instance.exports.memory);
      return instance;
    });
}

/** The memories of the current instance, to tell memory exhaustion from other traps. */
let memories: WebAssembly.Memory[] = [];

/** Whether a thrown value is a WIT result's error (jco's `ComponentError`) rather than a trap. */
function typedError(error: unknown): { payload: unknown } | undefined {
  if (error instanceof Error && Object.prototype.hasOwnProperty.call(error, 'payload')) {
    return error as Error & { payload: unknown };
  }
  return undefined;
}

function nearLimit(): boolean {
  const used = memories.reduce((sum, memory) => sum + memory.buffer.byteLength, 0);
  return used >= memoryLimit * 0.9;
}

async function main(): Promise<void> {
  let make: () => ReturnType<Instantiate>;
  let root: ReturnType<Instantiate>;
  try {
    make = await load();
    root = make();
  } catch (error) {
    send({ kind: 'fatal', message: String(error) });
    process.exit(1);
  }
  send({ kind: 'ready' });
  for (;;) {
    const frame = receive();
    if (frame.kind !== 'call') {
      send({ kind: 'fatal', message: `unexpected ${frame.kind} frame between calls` });
      process.exit(1);
    }
    const [space, name] = frame.name.split('.') as [string, string];
    const fn = root[space]?.[name];
    if (typeof fn !== 'function') {
      send({ kind: 'fatal', message: `the component has no export ${frame.name as ExportName}` });
      process.exit(1);
    }
    try {
      send({ kind: 'return', value: fn(...frame.args) });
    } catch (error) {
      const typed = typedError(error);
      if (typed) {
        send({ kind: 'error', payload: typed.payload });
        continue;
      }
      // A trap poisons the instance: report it and start over with a fresh one.
      send({ kind: 'trap', message: String(error), memoryExhausted: nearLimit() });
      memories = [];
      root = make();
    }
  }
}

await main();
