/**
 * What the plugin notes once one of its events is on omni's bus: the instance's activity, the
 * chat's last received message (read receipts and typing point at it), the inbound timings, and
 * an instance whose credentials Meta refused.
 */

import type { InstanceManager, Logger } from '@omni/channel-sdk';

import type { ChatIndex } from './chats.js';
import type { BusEvent } from './events.js';

/** The plugin's parts the bookkeeping touches. */
export interface Books {
  instances: InstanceManager;
  chats: ChatIndex;
  logger: Logger;
  /** `BaseChannelPlugin.captureT2`: the inbound timings of a received message. */
  captureT2(correlationId: string, timings: Record<string, number>): void;
}

/** Bookkeeping once `event` is on the bus. */
export async function afterPublish(event: BusEvent, books: Books): Promise<void> {
  books.instances.recordActivity(event.instanceId);
  const payload = event.payload;
  if (event.type === 'message.received') {
    if (event.metadata.timings && event.metadata.correlationId) books.captureT2(event.metadata.correlationId, event.metadata.timings);
    if (typeof payload.chatId === 'string' && typeof payload.externalId === 'string' && payload.externalId) {
      await books.chats.remember(event.instanceId, payload.chatId, payload.externalId).catch((error: unknown) => {
        books.logger.warn('could not remember the chat of a message', { error: String(error) });
      });
    }
  } else if (event.type === 'instance.disconnected' && typeof payload.errorCode === 'string') {
    // Meta refused the token: the component said so; the instance stays hosted for webhooks.
    const message = `${typeof payload.reason === 'string' ? payload.reason : 'Meta refused the credentials'} (${payload.errorCode})`;
    books.instances.updateStatus(event.instanceId, {
      state: 'error',
      since: new Date(),
      message,
      error: { code: 'WHATSAPP_AUTH_FAILED', message, retryable: false },
    });
  }
}
