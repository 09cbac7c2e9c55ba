/**
 * omni's `ChannelCapabilities`, derived from the component's `plugin.info`: which of the
 * component's features each capability stands for is the one table here.
 */

import type { ChannelCapabilities, SupportedMediaType } from '@omni/channel-sdk';

import { type ComponentInfo, componentInfo } from './component-info.js';

type Flag = {
  [K in keyof ChannelCapabilities]-?: ChannelCapabilities[K] extends boolean | undefined ? K : never;
}[keyof ChannelCapabilities];

/** omni capability → the component feature it needs (`null`: WhatsApp's Cloud API has none). */
const FEATURE_OF: Record<Flag, string | null> = {
  canSendText: 'send-text',
  canSendMedia: 'send-media',
  canSendReaction: 'send-reactions',
  canSendTyping: 'typing-indicator',
  canReceiveReadReceipts: 'receive-read-receipts',
  canReceiveDeliveryReceipts: 'receive-delivery-receipts',
  canEditMessage: null,
  canDeleteMessage: null,
  canReplyToMessage: 'reply',
  canForwardMessage: null,
  canSendContact: 'send-contacts',
  canSendLocation: 'send-location',
  canSendSticker: 'send-media',
  canHandleGroups: 'groups',
  canHandleBroadcast: null,
  canSendEmbed: null,
  canSendPoll: null,
  canSendButtons: 'send-interactive',
  canSendSelectMenu: 'send-interactive',
  canShowModal: null,
  canUseSlashCommands: null,
  canUseContextMenu: null,
  canHandleDMs: 'send-text',
  canHandleThreads: null,
  canCreateWebhooks: null,
  canSendViaWebhook: null,
  canHandleVoice: null,
  canStreamResponse: null,
};

/** omni's capabilities of a component. */
export function capabilitiesOf(info: ComponentInfo): ChannelCapabilities {
  const features = new Set(info.capabilities.features);
  const flags = Object.fromEntries(
    Object.entries(FEATURE_OF).map(([capability, feature]) => [capability, feature !== null && features.has(feature)]),
  ) as Record<Flag, boolean>;
  const media = info.capabilities.media;
  const supportedMediaTypes: SupportedMediaType[] = media.flatMap((limit) =>
    limit.mimeTypes.map((mimeType) => ({ mimeType, maxSize: limit.maxBytes })),
  );
  return {
    ...flags,
    canSendSticker: flags.canSendSticker && media.some((m) => m.kind === 'sticker'),
    maxMessageLength: info.capabilities.maxTextLength,
    supportedMediaTypes,
    maxFileSize: Math.max(0, ...media.map((m) => m.maxBytes)),
  };
}

/** The capabilities of this package's component. */
export const WHATSAPP_CLOUD_CAPABILITIES: ChannelCapabilities = capabilitiesOf(componentInfo);
