// Package root of the @omni/channel-sdk stand-in.

export * from './types/index.js';
export * from './base/index.js';
export * from './helpers/events.js';
export * from './helpers/typing.js';
export * from './helpers/message.js';
export * from './discovery/index.js';
export type { StreamSender } from './types/streaming.js';

// re-exported from @omni/core so channels need only this package
export {
  buildSubject,
  buildSubscribePattern,
  parseSubject,
  eventTypeToPattern,
  matchesPattern,
} from '@omni/core/events/nats';
export type { ParsedSubject } from '@omni/core/events/nats';

export type {
  EventBus,
  EventHandler,
  GenericEventHandler,
  PublishResult,
  SubscribeOptions,
  Subscription,
  CoreEventType,
  EventType,
  OmniEvent,
  EventMetadata,
  EventPayloadMap,
  TypedOmniEvent,
  MessageReceivedPayload,
  MessageSentPayload,
  MessageDeliveredPayload,
  MessageReadPayload,
  MessageFailedPayload,
  MediaReceivedPayload,
  MediaProcessedPayload,
  InstanceConnectedPayload,
  InstanceDisconnectedPayload,
  InstanceQrCodePayload,
} from '@omni/core/events';

export { CHANNEL_TYPES, CONTENT_TYPES } from '@omni/core/types';
export type { ChannelType, ContentType } from '@omni/core/types';
