/**
 * The component's typed errors in omni's terms: the `error`, `errorCode` and `retryable` of a
 * `SendResult`, and the error `connect` throws.
 */

import { PluginFailure } from './runtime/index.js';
import type { ChannelError, ConfigProblem, ErrorClass } from './runtime/wit.js';

/** What omni is told about a failure. */
export interface ErrorSummary {
  message: string;
  /** omni's name for it, from the codes omni's API turns into answers (its channels'
   * `WHATSAPP_*` codes: `WHATSAPP_AUTH_FAILED` → 401, `WHATSAPP_RATE_LIMITED` → 429,
   * `WHATSAPP_NOT_CONNECTED` → 503...), or this channel's own where omni has none
   * (`WHATSAPP_INVALID_CONFIG`, `WHATSAPP_INVALID_REQUEST`, `WHATSAPP_OUTCOME_UNKNOWN`...). */
  code: string;
  /** The precise reason: the Graph API error code (`131047`) for Meta's errors; the error's
   * kind otherwise (`invalid-request`, `unreachable`, `outcome-unknown`, `plugin-timeout`...). */
  providerCode: string;
  retryable: boolean;
}

/** omni's code for an instance that is not connected (or not hosted at all). */
export const NOT_CONNECTED = 'WHATSAPP_NOT_CONNECTED';

export function summarize(error: ChannelError | PluginFailure): ErrorSummary {
  if (error instanceof PluginFailure) {
    // Only a call that never got a process can safely be tried again.
    return { message: error.message, code: 'WHATSAPP_PLUGIN_FAILED', providerCode: `plugin-${error.kind}`, retryable: error.kind === 'unavailable' };
  }
  switch (error.tag) {
    case 'provider': {
      const e = error.val;
      const message = e.details && !e.message.includes(e.details) ? `${e.message}: ${e.details}` : e.message;
      const providerCode = e.code !== undefined ? String(e.code) : `http-${e.httpStatus}`;
      return { message, code: providerClassCode(e.class, e.code), providerCode, retryable: e.retry !== undefined };
    }
    case 'unreachable':
      return { message: error.val.message, code: 'WHATSAPP_SEND_FAILED', providerCode: 'unreachable', retryable: error.val.retry !== undefined };
    case 'invalid-config':
      return { message: `invalid configuration: ${problemList(error.val)}`, code: 'WHATSAPP_INVALID_CONFIG', providerCode: 'invalid-config', retryable: false };
    case 'invalid-request': {
      // A recipient omni gave that is no phone number, chat id or user id.
      const code = error.val.field === 'to' ? 'WHATSAPP_INVALID_PHONE' : 'WHATSAPP_INVALID_REQUEST';
      return { message: `${error.val.field}: ${error.val.reason}`, code, providerCode: 'invalid-request', retryable: false };
    }
    case 'outcome-unknown':
      return {
        message: `the outcome is unknown (the message may have been sent): ${error.val}`,
        code: 'WHATSAPP_OUTCOME_UNKNOWN',
        providerCode: 'outcome-unknown',
        retryable: false,
      };
    case 'integrity':
      return { message: error.val, code: 'WHATSAPP_MEDIA_INTEGRITY', providerCode: 'integrity', retryable: false };
    case 'other':
      return { message: error.val, code: 'WHATSAPP_SEND_FAILED', providerCode: 'other', retryable: false };
  }
}

/** omni's code for an error Meta returned, by the class the component's error table gave it. */
function providerClassCode(errorClass: ErrorClass, code: bigint | undefined): string {
  switch (errorClass) {
    case 'auth':
      return 'WHATSAPP_AUTH_FAILED';
    case 'throttled':
      return 'WHATSAPP_RATE_LIMITED';
    default:
      // 131026 "message undeliverable", 131030 "recipient not in allowed list": the number.
      return code === 131026n || code === 131030n ? 'WHATSAPP_INVALID_PHONE' : 'WHATSAPP_SEND_FAILED';
  }
}

/** Configuration problems as one line: `/appSecret: is required; /phoneNumberId: ...`. */
export function problemList(problems: ConfigProblem[]): string {
  return problems.map((p) => `${p.field || '(config)'}: ${p.message}`).join('; ');
}

/** What `connect` throws: the component's reason, typed. */
export class WhatsAppCloudError extends Error {
  /** omni's code (see `ErrorSummary.code`): omni's API answers with its status and message. */
  readonly code: string;
  /** The precise reason (see `ErrorSummary.providerCode`). */
  readonly providerCode: string;
  readonly retryable: boolean;
  /** For `invalid-config`: every problem, by field (a JSON pointer into the instance config). */
  readonly problems: ConfigProblem[];

  constructor(summary: ErrorSummary, problems: ConfigProblem[] = []) {
    super(summary.message);
    this.name = 'WhatsAppCloudError';
    this.code = summary.code;
    this.providerCode = summary.providerCode;
    this.retryable = summary.retryable;
    this.problems = problems;
  }
}
