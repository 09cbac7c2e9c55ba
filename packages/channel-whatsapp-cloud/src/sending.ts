/**
 * `sendMessage`: omni's `OutgoingMessage` → the component decodes it into the messages to send
 * (one, or several for long text) → each is sent in order with `omni-host`'s retry policy →
 * omni's `SendResult`. The component publishes `message.sent` / `message.failed` itself.
 */

import type { Logger, OutgoingMessage, SendResult } from '@omni/channel-sdk';

import { liftBinaries } from './attachments.js';
import { type ErrorSummary, summarize } from './errors.js';
import type { HostedInstance } from './instances.js';
import { RetryPlan, type RetryPolicy } from './retry.js';
import { type CallCapabilities, type ComponentRuntime, PluginFailure, type Result } from './runtime/index.js';
import type { ChannelError, OutgoingMessage as WitMessage, SendReceipt } from './runtime/wit.js';

/** omni's `SendResult` (`errorCode` is omni's `WHATSAPP_*` code), with the precise reason
 * (`providerCode`: the Graph API's error code, `131047`) and the id of every message sent when
 * the text went out in parts. */
export type WhatsAppSendResult = SendResult & { messageIds?: string[]; providerCode?: string };

export interface Sender {
  runtime: ComponentRuntime;
  retry: RetryPolicy;
  sleep(ms: number): Promise<void>;
  capabilities(instance: HostedInstance): CallCapabilities;
  logger: Logger;
}

/** Sends omni's message through `instance`. */
export async function sendOmniMessage(
  sender: Sender,
  instance: HostedInstance,
  message: OutgoingMessage,
): Promise<WhatsAppSendResult> {
  const { json, attachments } = liftBinaries(message);
  let decoded: Awaited<ReturnType<ComponentRuntime['decodeOutgoing']>>;
  try {
    decoded = await sender.runtime.decodeOutgoing(json, attachments);
  } catch (error) {
    return failed(summarize(asFailure(error)), []);
  }
  if (!decoded.ok) {
    return failed(summarize({ tag: 'invalid-request', val: decoded.error }), []);
  }
  const correlationId = decoded.value.correlationId ?? `wa-${crypto.randomUUID()}`;
  const sent: string[] = [];
  // In order; the first part that fails ends the send, so one message yields one failure.
  for (const part of decoded.value.parts) {
    const outcome = await sendWithRetries(sender, instance, part, correlationId);
    if (!outcome.ok) {
      const summary = summarize(outcome.error);
      if (sent.length > 0) summary.message += ` (${sent.length} of ${decoded.value.parts.length} parts were sent)`;
      return failed(summary, sent);
    }
    sent.push(outcome.value.messageId);
  }
  const result: WhatsAppSendResult = { success: true, messageId: sent[0], timestamp: Date.now() };
  if (sent.length > 1) result.messageIds = sent;
  return result;
}

function failed(summary: ErrorSummary, sent: string[]): WhatsAppSendResult {
  const result: WhatsAppSendResult = {
    success: false,
    error: summary.message,
    errorCode: summary.code,
    providerCode: summary.providerCode,
    retryable: summary.retryable,
    timestamp: Date.now(),
  };
  if (sent.length > 0) {
    result.messageId = sent[0];
    result.messageIds = sent;
  }
  return result;
}

/** One message, retried as the component's error table advises. */
async function sendWithRetries(
  sender: Sender,
  instance: HostedInstance,
  message: WitMessage,
  correlationId: string,
): Promise<Result<SendReceipt, ChannelError | PluginFailure>> {
  const plan = new RetryPlan(sender.retry);
  const caps = sender.capabilities(instance);
  for (;;) {
    const options = { correlationId, finalAttempt: plan.finalAttempt };
    let attempt: Result<SendReceipt, ChannelError>;
    try {
      attempt = await sender.runtime.sendMessage(caps, instance.wit, message, options);
    } catch (error) {
      // The component failed as a call (trap, budget): the request may have left; never retry.
      return { ok: false, error: asFailure(error) };
    }
    if (attempt.ok) return attempt;
    const next = plan.afterFailure(attempt.error);
    if (next.retry) {
      sender.logger.info('send failed with a retryable error; retrying', { waitMs: next.waitMs, attempt: plan.attempts });
      await sender.sleep(next.waitMs);
      continue;
    }
    if (next.failureHeldBack) {
      const reported = await sender.runtime
        .reportSendFailure(caps, instance.wit, message, options, attempt.error)
        .catch((error: unknown) => ({ ok: false as const, error }));
      if (!reported.ok) sender.logger.warn('message.failed of an abandoned send not published', { error: String(reported.error) });
    }
    return attempt;
  }
}

function asFailure(error: unknown): PluginFailure {
  return error instanceof PluginFailure ? error : new PluginFailure('host', String(error));
}
