/**
 * The last message each chat sent, kept in omni's `PluginStorage`: WhatsApp marks messages read
 * and shows typing indicators against a received message id, while omni asks by chat.
 */

import type { PluginStorage } from '@omni/channel-sdk';

export class ChatIndex {
  constructor(
    private readonly storage: PluginStorage,
    /** How long a chat's last message is kept (WhatsApp's customer service window is 24 h). */
    private readonly ttlMs: number,
  ) {}

  /** Remembers `messageId` as the latest message received in the chat. */
  remember(instanceId: string, chatId: string, messageId: string): Promise<void> {
    return this.storage.set(key(instanceId, chatId), messageId, this.ttlMs);
  }

  /** The latest message received in the chat, if still known. */
  lastReceived(instanceId: string, chatId: string): Promise<string | null> {
    return this.storage.get<string>(key(instanceId, chatId));
  }
}

function key(instanceId: string, chatId: string): string {
  return `chat:${instanceId}:${chatId}`;
}
