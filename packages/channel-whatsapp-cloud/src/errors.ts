/**
 * The component's typed errors in omni's terms: the `error`, `errorCode` and `retryable` of a
 * `SendResult`, and the error `connect` throws.
 */

import { PluginFailure } from './runtime/index.js';
import type { ChannelError, ConfigProblem } from './runtime/wit.js';

/** What omni is told about a failure. */
export interface ErrorSummary {
  message: string;
  /** The Graph API error code (`131047`) for Meta's errors; the error's kind otherwise
   * (`invalid-request`, `unreachable`, `outcome-unknown`, `plugin-timeout`...). */
  code: string;
  retryable: boolean;
}

export function summarize(error: ChannelError | PluginFailure): ErrorSummary {
  if (error instanceof PluginFailure) {
    // Only a call that never got a process can safely be tried again.
    return { message: error.message, code: `plugin-${error.kind}`, retryable: error.kind === 'unavailable' };
  }
  switch (error.tag) {
    case 'provider': {
      const e = error.val;
      const message = e.details && !e.message.includes(e.details) ? `${e.message}: ${e.details}` : e.message;
      return { message, code: e.code !== undefined ? String(e.code) : `http-${e.httpStatus}`, retryable: e.retry !== undefined };
    }
    case 'unreachable':
      return { message: error.val.message, code: 'unreachable', retryable: error.val.retry !== undefined };
    case 'invalid-config':
      return { message: `invalid configuration: ${problemList(error.val)}`, code: 'invalid-config', retryable: false };
    case 'invalid-request':
      return { message: `${error.val.field}: ${error.val.reason}`, code: 'invalid-request', retryable: false };
    case 'outcome-unknown':
      return { message: `the outcome is unknown (the message may have been sent): ${error.val}`, code: 'outcome-unknown', retryable: false };
    case 'integrity':
      return { message: error.val, code: 'integrity', retryable: false };
    case 'other':
      return { message: error.val, code: 'other', retryable: false };
  }
}

/** Configuration problems as one line: `/appSecret: is required; /phoneNumberId: ...`. */
export function problemList(problems: ConfigProblem[]): string {
  return problems.map((p) => `${p.field || '(config)'}: ${p.message}`).join('; ');
}

/** What `connect` throws: the component's reason, typed. */
export class WhatsAppCloudError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** For `invalid-config`: every problem, by field (a JSON pointer into the instance config). */
  readonly problems: ConfigProblem[];

  constructor(summary: ErrorSummary, problems: ConfigProblem[] = []) {
    super(summary.message);
    this.name = 'WhatsAppCloudError';
    this.code = summary.code;
    this.retryable = summary.retryable;
    this.problems = problems;
  }
}
