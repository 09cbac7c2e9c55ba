/**
 * The retry policy, as `omni-host` runs it (`host-harness/src/retry.rs` has the same cases).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { DEFAULT_RETRY_POLICY, RetryPlan, type RetryPolicy, retryDelay } from '../../src/retry.js';
import type { ChannelError, RetrySchedule } from '../../src/runtime/wit.js';

function provider(code: number, klass: 'transient' | 'throttled' | 'auth' | 'terminal', retry?: RetrySchedule): ChannelError {
  return { tag: 'provider', val: { httpStatus: 400, code: BigInt(code), message: `error ${code}`, class: klass, retry } };
}

/** Runs a plan over failures; returns the final-attempt flag of each attempt and the decisions. */
function run(policy: RetryPolicy, errors: ChannelError[]) {
  const plan = new RetryPlan(policy, () => 0);
  const finals: boolean[] = [];
  const decisions = [];
  for (const error of errors) {
    finals.push(plan.finalAttempt);
    const decision = plan.afterFailure(error);
    decisions.push(decision);
    if (!decision.retry) break;
  }
  return { finals, decisions, attempts: plan.attempts };
}

test('the pair rate limit backs off by powers of four, never before Meta’s estimate', () => {
  const pair = { firstDelayMs: 4_000, multiplier: 4 };
  assert.deepEqual([1, 2, 3].map((n) => retryDelay(pair, n, 0)), [4_000, 16_000, 64_000]);
  assert.equal(retryDelay(pair, 1, 1), 5_000, 'jitter only lengthens');
  assert.equal(retryDelay({ ...pair, notBeforeMs: 30_000n }, 1, 0.5), 30_000);
});

test('terminal, auth and unknown outcomes are never retried', () => {
  for (const error of [provider(131047, 'terminal'), provider(190, 'auth'), { tag: 'outcome-unknown', val: 'timed out' } as ChannelError]) {
    const { decisions, finals } = run(DEFAULT_RETRY_POLICY, [error]);
    assert.deepEqual(decisions, [{ retry: false, failureHeldBack: false }]);
    assert.deepEqual(finals, [false]);
  }
});

test('the last attempt is marked final', () => {
  const failing = provider(500, 'transient', { firstDelayMs: 10, multiplier: 2 });
  const { finals, attempts } = run({ maxAttempts: 3, maxTotalWaitMs: 60_000 }, [failing, failing, failing]);
  assert.deepEqual(finals, [false, false, true]);
  assert.equal(attempts, 3);
});

test('an attempt after which no retry fits the budget is final', () => {
  // 4 s then 16 s: with 30 s of budget, the third attempt cannot be followed by a 64 s wait.
  const pair = provider(131056, 'throttled', { firstDelayMs: 4_000, multiplier: 4 });
  const { finals } = run({ maxAttempts: 10, maxTotalWaitMs: 30_000 }, [pair, pair, pair]);
  assert.deepEqual(finals, [false, false, true]);
});

test('a wait beyond the budget stops and says the failure was held back', () => {
  const transient = provider(500, 'transient', { firstDelayMs: 1_000, multiplier: 2 });
  const throttled = provider(130429, 'throttled', { firstDelayMs: 1_000, multiplier: 2, notBeforeMs: 300_000n });
  const { decisions, finals } = run(DEFAULT_RETRY_POLICY, [transient, throttled]);
  assert.deepEqual(finals, [false, false]);
  assert.deepEqual(decisions.at(-1), { retry: false, failureHeldBack: true });
});
