/**
 * Retrying sends with `omni-host`'s policy: the component says whether and how (every retryable
 * error carries a schedule from its error table); the plugin waits and tries again, at most
 * 4 attempts and 60 s of waiting in all. Throttling and transient failures are retried; terminal
 * and auth errors are not, and neither is an unknown outcome (a timeout after the request left:
 * retrying could deliver twice). Each attempt tells the component whether it is the last, so
 * exactly one `message.failed` is published for a send that fails for good.
 */

import type { ChannelError, RetrySchedule } from './runtime/wit.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The most waited between attempts, in all. */
  maxTotalWaitMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, maxTotalWaitMs: 60_000 };

/** The retry schedule of an error, when it may be retried. */
export function scheduleOf(error: ChannelError): RetrySchedule | undefined {
  return error.tag === 'provider' || error.tag === 'unreachable' ? error.val.retry : undefined;
}

/** The wait before retry number `retry` (1 for the first): `first × multiplier^(retry-1)`, raised by
 * up to 25 % of jitter (`jitter` in 0..1), never shorter than Meta's own estimate. */
export function retryDelay(schedule: RetrySchedule, retry: number, jitter: number): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 16);
  const base = schedule.firstDelayMs * Math.max(schedule.multiplier, 1) ** exponent;
  const jittered = base + Math.floor(base * 0.25 * Math.min(Math.max(jitter, 0), 1));
  return Math.max(jittered, Number(schedule.notBeforeMs ?? 0n));
}

/** What to do after a failed attempt. */
export type AfterFailure =
  | { retry: true; waitMs: number }
  /** `failureHeldBack`: the attempt was not final and its error retryable, so the component held
   * back `message.failed`: have it published with `messaging.report-send-failure`. */
  | { retry: false; failureHeldBack: boolean };

/** The retry decisions for one send, attempt by attempt. */
export class RetryPlan {
  private attempt = 1;
  private waited = 0;
  private previous: RetrySchedule | undefined;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Attempts made so far, the current one included. */
  get attempts(): number {
    return this.attempt;
  }

  /** Whether the current attempt is the last. */
  get finalAttempt(): boolean {
    const anotherFits =
      this.previous === undefined || this.waited + retryDelay(this.previous, this.attempt, 0) <= this.policy.maxTotalWaitMs;
    return this.attempt >= Math.max(this.policy.maxAttempts, 1) || !anotherFits;
  }

  /** After a failed attempt: wait and retry, or stop. */
  afterFailure(error: ChannelError): AfterFailure {
    const schedule = scheduleOf(error);
    // Not retryable: the component reported it as final whatever the flag said.
    if (schedule === undefined || this.finalAttempt) return { retry: false, failureHeldBack: false };
    const remaining = Math.max(this.policy.maxTotalWaitMs - this.waited, 0);
    if (retryDelay(schedule, this.attempt, 0) > remaining) return { retry: false, failureHeldBack: true };
    const waitMs = Math.min(retryDelay(schedule, this.attempt, this.random()), remaining);
    this.waited += waitMs;
    this.previous = schedule;
    this.attempt++;
    return { retry: true, waitMs };
  }
}
