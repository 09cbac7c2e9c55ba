/**
 * Failures in omni's terms, as the host summarizes them (`omni-host`'s `omni::results`): the
 * `code` omni's API answers with (`WHATSAPP_AUTH_FAILED` → 401, `WHATSAPP_RATE_LIMITED` → 429,
 * `WHATSAPP_NOT_CONNECTED` → 503, …), the precise `providerCode` (Meta's `131047`, or the
 * failure's kind), and whether trying again may help.
 */

/** What omni is told about a failure. */
export interface ErrorSummary {
  message: string;
  /** omni's code (`WHATSAPP_AUTH_FAILED`...). */
  code: string;
  /** The precise reason: Meta's error code (`131047`), or the failure's kind (`invalid-request`,
   * `unreachable`, `outcome-unknown`, `plugin-timeout`...). */
  providerCode: string;
  retryable: boolean;
}

/** A configuration problem, by field (a JSON pointer into the instance's settings). */
export interface ConfigProblem {
  field: string;
  message: string;
}

/** omni's code for an instance that is not connected (or not hosted at all). */
export const NOT_CONNECTED = 'WHATSAPP_NOT_CONNECTED';

/** Configuration problems as one line: `/appSecret: is required; /phoneNumberId: ...`. */
export function problemList(problems: ConfigProblem[]): string {
  return problems.map((p) => `${p.field || '(config)'}: ${p.message}`).join('; ');
}

/** What the plugin throws: the failure's summary, and for settings every problem by field. */
export class WhatsAppCloudError extends Error {
  /** omni's code: omni's API answers with its status and message. */
  readonly code: string;
  /** The precise reason. */
  readonly providerCode: string;
  readonly retryable: boolean;
  /** For `WHATSAPP_INVALID_CONFIG`: every problem, by field. */
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

export function notConnected(instanceId: string): WhatsAppCloudError {
  return new WhatsAppCloudError({ message: `instance ${instanceId} is not connected`, code: NOT_CONNECTED, providerCode: 'not-connected', retryable: false });
}

export function invalidConfig(problems: ConfigProblem[]): WhatsAppCloudError {
  return new WhatsAppCloudError(
    { message: `invalid configuration: ${problemList(problems)}`, code: 'WHATSAPP_INVALID_CONFIG', providerCode: 'invalid-config', retryable: false },
    problems,
  );
}
