/**
 * The plugin's side of one component process: starts it, runs one call at a time on it,
 * answers its imports, and enforces each call's time budget by killing the process.
 */

import { type ChildProcess, spawn } from 'node:child_process';

import { PluginFailure } from './failure.js';
import { type ExportName, FrameReader, type FromProcess, type HostOp, type WitResult, encodeFrame } from './protocol.js';

/** What a call's imports do: the capabilities of that call. */
export interface CallHost {
  /** `outbound-http.send`; `signal` aborts when the call is stopped. */
  http(request: unknown, signal: AbortSignal): Promise<WitResult>;
  /** `events.publish`. */
  publish(events: unknown, signal: AbortSignal): Promise<WitResult>;
  /** `logging.log`. */
  log(level: string, message: string): void;
  /** `media-links.link`: a fetchable link to a received file, if the plugin serves media. */
  mediaLink(instanceId: string, mediaId: string): string | undefined;
}

/** How long a call may take. */
export interface CallLimits {
  /** Time the guest itself may compute: wall time while it runs, not while the plugin serves
   * its imports. */
  guestMs: number;
  /** Bound on the whole call, imports included. */
  wallMs: number;
}

/** A call's result: the export's value, or a WIT result's typed error. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** How to start a component process. */
export interface ProcessSpec {
  /** The component-process script (`.ts` on Bun, `.js` on Node). */
  script: string;
  /** The jco-generated component module. */
  component: string;
  /** Memory limit of the component's instance, in bytes. */
  memoryLimit: number;
  /** Where the process's own complaints (stderr) go. */
  onStderr(line: string): void;
}

interface Running {
  host: CallHost;
  limits: CallLimits;
  abort: AbortController;
  resolve(outcome: CallOutcome): void;
  reject(failure: PluginFailure): void;
  /** Guest time left, and when the guest clock last started (undefined while in an import). */
  remainingMs: number;
  clockStartedAt: number | undefined;
  budgetTimer: ReturnType<typeof setTimeout> | undefined;
  wallTimer: ReturnType<typeof setTimeout>;
}

export class ComponentProcess {
  /** Resolves once the component is instantiated; rejects if it cannot be. */
  readonly ready: Promise<void>;
  private readonly child: ChildProcess;
  private readonly reader = new FrameReader<FromProcess>();
  private running: Running | undefined;
  private dead = false;
  private started = false;
  private markReady!: () => void;
  private failStart!: (failure: PluginFailure) => void;

  constructor(
    spec: ProcessSpec,
    private readonly onExit: (process: ComponentProcess) => void,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.markReady = () => {
        this.started = true;
        resolve();
      };
      this.failStart = reject;
    });
    // Never left unhandled: `ready` is awaited by the pool, or the failure surfaces there.
    this.ready.catch(() => {});
    this.child = spawn(process.execPath, [spec.script, spec.component, String(spec.memoryLimit)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      for (const frame of this.reader.push(chunk)) this.onFrame(frame);
    });
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      for (let newline = stderr.indexOf('\n'); newline >= 0; newline = stderr.indexOf('\n')) {
        spec.onStderr(stderr.slice(0, newline));
        stderr = stderr.slice(newline + 1);
      }
    });
    // A write to a process that just died: its exit is what matters, reported below.
    this.child.stdin?.on('error', () => {});
    this.child.on('error', (error) => this.exited(`could not start: ${error.message}`));
    this.child.on('exit', (code, signal) => this.exited(signal ? `killed by ${signal}` : `exited with ${code}`));
  }

  /** Whether the component is instantiated (and the process alive). */
  get isReady(): boolean {
    return this.started && !this.dead;
  }

  /** Whether the process can take a call now. */
  get idle(): boolean {
    return !this.dead && this.running === undefined;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** The operating system's id of the process. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs one export. The process must be ready and idle. */
  call(name: ExportName, args: unknown[], host: CallHost, limits: CallLimits): Promise<CallOutcome> {
    if (!this.idle) return Promise.reject(new PluginFailure('unavailable', 'the component process is busy or gone'));
    return new Promise<CallOutcome>((resolve, reject) => {
      const running: Running = {
        host,
        limits,
        abort: new AbortController(),
        resolve,
        reject,
        remainingMs: limits.guestMs,
        clockStartedAt: undefined,
        budgetTimer: undefined,
        wallTimer: setTimeout(
          () => this.stop(new PluginFailure('timeout', `the call took longer than ${limits.wallMs} ms in all`)),
          limits.wallMs,
        ),
      };
      this.running = running;
      this.startGuestClock(running);
      this.write({ kind: 'call', name, args });
    });
  }

  /** Stops the process (and its call, if any). */
  kill(failure = new PluginFailure('unavailable', 'the component process was stopped')): void {
    this.stop(failure);
  }

  private write(frame: Parameters<typeof encodeFrame>[0]): void {
    this.child.stdin?.write(encodeFrame(frame));
  }

  private startGuestClock(running: Running): void {
    running.clockStartedAt = performance.now();
    running.budgetTimer = setTimeout(
      () =>
        this.stop(new PluginFailure('timeout', `the plugin computed for more than ${running.limits.guestMs} ms and was stopped`)),
      Math.max(0, running.remainingMs),
    );
  }

  private pauseGuestClock(running: Running): void {
    clearTimeout(running.budgetTimer);
    if (running.clockStartedAt !== undefined) running.remainingMs -= performance.now() - running.clockStartedAt;
    running.clockStartedAt = undefined;
  }

  private onFrame(frame: FromProcess): void {
    const running = this.running;
    switch (frame.kind) {
      case 'ready':
        this.markReady();
        return;
      case 'fatal':
        this.failStart(new PluginFailure('unavailable', frame.message));
        this.stop(new PluginFailure('crashed', frame.message));
        return;
      case 'log':
        running?.host.log(frame.level, frame.message);
        return;
      case 'host':
        if (running) this.serveImport(running, frame.op, frame.arg);
        return;
      case 'return':
        this.settle(running, (r) => r.resolve({ ok: true, value: frame.value }));
        return;
      case 'error':
        this.settle(running, (r) => r.resolve({ ok: false, error: frame.payload }));
        return;
      case 'trap':
        this.settle(running, (r) =>
          r.reject(
            frame.memoryExhausted
              ? new PluginFailure('memory', `the plugin exceeded its memory limit: ${frame.message}`)
              : new PluginFailure('trap', `the plugin trapped: ${frame.message}`),
          ),
        );
        return;
    }
  }

  private serveImport(running: Running, op: HostOp, arg: unknown): void {
    this.pauseGuestClock(running);
    const served = this.perform(running, op, arg);
    served
      .catch((error: unknown) => {
        // The capability itself failed: that is the host's bug, not something to hide from the
        // caller; stop the call.
        this.stop(new PluginFailure('host', `the ${op} capability failed: ${String(error)}`));
        return undefined;
      })
      .then((value) => {
        if (value === undefined || this.running !== running) return;
        this.write({ kind: 'reply', value });
        this.startGuestClock(running);
      });
  }

  private async perform(running: Running, op: HostOp, arg: unknown): Promise<WitResult> {
    const { host, abort } = running;
    switch (op) {
      case 'http':
        return host.http(arg, abort.signal);
      case 'publish':
        return host.publish(arg, abort.signal);
      case 'link': {
        const [instanceId, mediaId] = arg as [string, string];
        return { tag: 'ok', val: host.mediaLink(instanceId, mediaId) };
      }
    }
  }

  private settle(running: Running | undefined, finish: (running: Running) => void): void {
    if (!running || this.running !== running) return;
    this.running = undefined;
    clearTimeout(running.budgetTimer);
    clearTimeout(running.wallTimer);
    finish(running);
  }

  private stop(failure: PluginFailure): void {
    const running = this.running;
    if (running) {
      running.abort.abort(failure);
      this.settle(running, (r) => r.reject(failure));
    }
    if (!this.dead) {
      this.dead = true;
      this.child.kill('SIGKILL');
      this.onExit(this);
    }
  }

  private exited(how: string): void {
    this.failStart(new PluginFailure('unavailable', `the component process ${how}`));
    this.stop(new PluginFailure('crashed', `the component process ${how}`));
  }
}
