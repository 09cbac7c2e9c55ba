// Parameter shapes of BaseChannelPlugin's emit* helpers.

import type { ContentType } from '@omni/core/types';

export interface EmitMessageReceivedParams {
  instanceId: string;
  externalId: string;
  chatId: string;
  threadId?: string;
  from: string;
  content: {
    type: ContentType;
    text?: string;
    mediaUrl?: string;
    mimeType?: string;
  };
  replyToId?: string;
  rawPayload?: Record<string, unknown>;
  // journey checkpoints, copied into the event metadata
  timings?: Record<string, number>;
}

export interface EmitMessageSentParams {
  instanceId: string;
  externalId: string;
  chatId: string;
  threadId?: string;
  to: string;
  content: {
    type: ContentType;
    text?: string;
    mediaUrl?: string;
  };
  replyToId?: string;
}

export interface EmitMessageFailedParams {
  instanceId: string;
  externalId?: string;
  chatId: string;
  error: string;
  errorCode?: string;
  retryable: boolean;
}

export interface EmitMessageDeliveredParams {
  instanceId: string;
  externalId: string;
  chatId: string;
  deliveredAt: number;
}

export interface EmitMessageReadParams {
  instanceId: string;
  externalId: string;
  chatId: string;
  readAt: number;
}

export interface EmitMediaReceivedParams {
  instanceId: string;
  eventId: string;
  mediaId: string;
  mimeType: string;
  size: number;
  url: string;
  duration?: number;
}

export interface EmitReactionReceivedParams {
  instanceId: string;
  messageId: string;
  chatId: string;
  from: string;
  emoji: string;
  emojiName?: string;
  isCustomEmoji?: boolean;
  rawPayload?: Record<string, unknown>;
}

export interface EmitReactionRemovedParams {
  instanceId: string;
  messageId: string;
  chatId: string;
  from: string;
  emoji: string;
  emojiName?: string;
  isCustomEmoji?: boolean;
}

export interface InstanceConnectedMetadata {
  profileName?: string;
  profilePicUrl?: string;
  ownerIdentifier?: string;
}

export interface EmitButtonClickParams {
  instanceId: string;
  callbackQueryId?: string;
  messageId?: string;
  chatId?: string;
  from: string;
  text?: string;
  data?: string;
  rawPayload?: Record<string, unknown>;
}

export interface EmitPollParams {
  instanceId: string;
  pollId: string;
  chatId?: string;
  from?: string;
  question: string;
  options: string[];
  multiSelect?: boolean;
  rawPayload?: Record<string, unknown>;
}

export interface EmitPollVoteParams {
  instanceId: string;
  pollId: string;
  chatId?: string;
  from: string;
  optionIds: number[];
  rawPayload?: Record<string, unknown>;
}
