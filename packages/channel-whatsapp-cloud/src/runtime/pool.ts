/**
 * A small pool of component processes. Instances are stateless, so any idle process serves any
 * call; none is ever re-entered (one call per process at a time). Calls queue (boundedly) and
 * are dispatched as processes become free; a process that is stopped (budget, crash) is
 * replaced on demand.
 */

import { PluginFailure } from './failure.js';
import { type CallHost, type CallLimits, type CallOutcome, ComponentProcess, type ProcessSpec } from './process.js';
import type { ExportName } from './protocol.js';

export interface PoolOptions {
  /** Processes at most. */
  size: number;
  /** Calls that may wait for a process; more are refused as `unavailable`. */
  maxWaiting: number;
}

interface Job {
  name: ExportName;
  args: unknown[];
  host: CallHost;
  limits: CallLimits;
  resolve(outcome: CallOutcome): void;
  reject(failure: unknown): void;
}

/** Counters for health checks and tests. */
export interface PoolStats {
  processes: number;
  /** Their process ids. */
  pids: number[];
  busy: number;
  waiting: number;
  started: number;
  stopped: number;
}

export class ComponentPool {
  private readonly processes: ComponentProcess[] = [];
  private readonly queue: Job[] = [];
  private started = 0;
  private stopped = 0;
  private closed = false;

  constructor(
    private readonly spec: ProcessSpec,
    private readonly options: PoolOptions,
  ) {}

  /** Starts one process ahead of the first call and waits until it is ready. */
  async warm(): Promise<void> {
    await (this.processes.find((p) => p.alive) ?? this.spawn()).ready;
  }

  /** Runs one export on the next free process. */
  run(name: ExportName, args: unknown[], host: CallHost, limits: CallLimits): Promise<CallOutcome> {
    if (this.closed) return Promise.reject(new PluginFailure('unavailable', 'the component runtime was shut down'));
    if (this.queue.length >= this.options.maxWaiting) {
      return Promise.reject(new PluginFailure('unavailable', `${this.queue.length} calls already wait for the component`));
    }
    return new Promise<CallOutcome>((resolve, reject) => {
      this.queue.push({ name, args, host, limits, resolve, reject });
      this.dispatch();
    });
  }

  get stats(): PoolStats {
    const alive = this.processes.filter((p) => p.alive);
    return {
      processes: alive.length,
      pids: alive.map((p) => p.pid).filter((pid): pid is number => pid !== undefined),
      busy: alive.filter((p) => p.isReady && !p.idle).length,
      waiting: this.queue.length,
      started: this.started,
      stopped: this.stopped,
    };
  }

  /** Stops every process; waiting and later calls fail. */
  close(): void {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new PluginFailure('unavailable', 'the component runtime was shut down'));
    for (const process of this.processes.splice(0)) process.kill();
  }

  /** Starts waiting calls on idle processes, and starts processes for the rest (up to the size). */
  private dispatch(): void {
    for (;;) {
      const job = this.queue[0];
      if (!job) return;
      const process = this.processes.find((p) => p.isReady && p.idle);
      if (!process) break;
      this.queue.shift();
      process.call(job.name, job.args, job.host, job.limits).then(job.resolve, job.reject).finally(() => this.dispatch());
    }
    const starting = this.processes.filter((p) => p.alive && !p.isReady).length;
    const wanted = Math.min(this.options.size - this.processes.length, this.queue.length - starting);
    for (let i = 0; i < wanted; i++) this.spawn();
  }

  private spawn(): ComponentProcess {
    const process = new ComponentProcess(this.spec, (gone) => {
      const index = this.processes.indexOf(gone);
      if (index >= 0) this.processes.splice(index, 1);
      this.stopped++;
      if (!this.closed) this.dispatch();
    });
    this.processes.push(process);
    this.started++;
    process.ready.then(
      () => this.dispatch(),
      (failure: unknown) => {
        // The component cannot start: waiting calls would wait for a process that never comes.
        for (const job of this.queue.splice(0)) job.reject(failure);
      },
    );
    return process;
  }
}
