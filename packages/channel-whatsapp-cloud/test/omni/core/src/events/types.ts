import type { ChannelType, ContentType } from '../types/channel.js';

export const CORE_EVENT_TYPES = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'message.button_click',
  'message.poll',
  'message.poll_vote',
  'media.received',
  'media.processed',
  'identity.created',
  'identity.linked',
  'identity.merged',
  'identity.unlinked',
  'instance.connected',
  'instance.disconnected',
  'instance.qr_code',
  'access.allowed',
  'access.denied',
  'presence.typing',
  'presence.online',
  'presence.offline',
  'sync.started',
  'sync.progress',
  'sync.completed',
  'sync.failed',
  'profile.synced',
  'reaction.received',
  'reaction.removed',
  'batch-job.created',
  'batch-job.started',
  'batch-job.progress',
  'batch-job.completed',
  'batch-job.cancelled',
  'batch-job.failed',
] as const;

export type CoreEventType = (typeof CORE_EVENT_TYPES)[number];
export type CustomEventType = `custom.${string}`;
export type SystemEventType = `system.${string}`;
export type EventType = CoreEventType | CustomEventType | SystemEventType;

const coreEventSet: ReadonlySet<string> = new Set(CORE_EVENT_TYPES);

export function isCoreEvent(type: string): type is CoreEventType {
  return coreEventSet.has(type);
}

export function isCustomEvent(type: string): type is CustomEventType {
  return type.startsWith('custom.');
}

export function isSystemEvent(type: string): type is SystemEventType {
  return type.startsWith('system.');
}

export interface OmniEvent<T extends EventType = EventType, P = unknown> {
  id: string;
  type: T;
  payload: P;
  metadata: EventMetadata;
  timestamp: number;
}

export interface EventMetadata {
  correlationId: string;
  instanceId?: string;
  channelType?: ChannelType;
  personId?: string;
  platformIdentityId?: string;
  traceId?: string;
  source?: string;
  // set by the subscriber side, never by publishers
  streamSequence?: number;
  // checkpoint name -> unix ms
  timings?: Record<string, number>;
}

/** Returns a copy of `metadata` with one more timing checkpoint. */
export function withTiming(metadata: EventMetadata, checkpoint: string, timestamp: number = Date.now()): EventMetadata {
  return { ...metadata, timings: { ...metadata.timings, [checkpoint]: timestamp } };
}

// ── message ──────────────────────────────────────────────────

export interface MessageReceivedPayload {
  externalId: string;
  chatId: string;
  threadId?: string;
  from: string;
  content: {
    type: ContentType;
    text?: string;
    mediaUrl?: string;
    mimeType?: string;
    localPath?: string;
    isVoiceNote?: boolean;
  };
  replyToId?: string;
  rawPayload?: Record<string, unknown>;
}

export interface MessageSentPayload {
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

export interface MessageDeliveredPayload {
  externalId: string;
  chatId: string;
  deliveredAt: number;
}

export interface MessageReadPayload {
  externalId: string;
  chatId: string;
  readAt: number;
}

export interface MessageFailedPayload {
  externalId?: string;
  chatId: string;
  error: string;
  errorCode?: string;
  retryable: boolean;
}

// ── interactive ──────────────────────────────────────────────

export interface MessageButtonClickPayload {
  callbackQueryId?: string;
  messageId?: string;
  chatId?: string;
  from: string;
  text?: string;
  data?: string;
  rawPayload?: Record<string, unknown>;
}

export interface MessagePollPayload {
  pollId: string;
  chatId?: string;
  from?: string;
  question: string;
  options: string[];
  multiSelect?: boolean;
  rawPayload?: Record<string, unknown>;
}

export interface MessagePollVotePayload {
  pollId: string;
  chatId?: string;
  from: string;
  optionIds: number[];
  rawPayload?: Record<string, unknown>;
}

// ── media ────────────────────────────────────────────────────

export interface MediaReceivedPayload {
  eventId: string;
  mediaId: string;
  mimeType: string;
  size: number;
  duration?: number;
  url: string;
}

export interface MediaProcessedPayload {
  eventId: string;
  mediaId: string;
  processingType: 'transcription' | 'description' | 'extraction';
  content: string;
  model?: string;
  provider?: string;
  tokensUsed?: number;
}

// ── identity ─────────────────────────────────────────────────

export interface IdentityCreatedPayload {
  personId: string;
  displayName?: string;
  primaryPhone?: string;
  primaryEmail?: string;
}

export interface IdentityLinkedPayload {
  personId: string;
  platformIdentityId: string;
  channelType: ChannelType;
  platformUserId: string;
  linkedBy: 'auto' | 'manual' | 'phone_match' | 'initial';
  confidence: number;
}

export interface IdentityMergedPayload {
  targetPersonId: string;
  sourcePersonId: string;
  mergedIdentityIds: string[];
  reason: 'same_phone' | 'same_email' | 'admin_linked' | 'user_claimed';
  mergedBy?: string;
}

export interface IdentityUnlinkedPayload {
  personId: string;
  platformIdentityId: string;
  reason?: string;
}

// ── instance ─────────────────────────────────────────────────

export interface InstanceConnectedPayload {
  instanceId: string;
  channelType: ChannelType;
  profileName?: string;
  profilePicUrl?: string;
  ownerIdentifier?: string;
}

export interface InstanceDisconnectedPayload {
  instanceId: string;
  channelType: ChannelType;
  reason?: string;
  willReconnect: boolean;
}

export interface InstanceQrCodePayload {
  instanceId: string;
  channelType: ChannelType;
  qrCode: string;
  expiresAt: number;
}

// ── access ───────────────────────────────────────────────────

export interface AccessAllowedPayload {
  instanceId: string;
  platformUserId: string;
  personId?: string;
  ruleId?: string;
}

export interface AccessDeniedPayload {
  instanceId: string;
  platformUserId: string;
  personId?: string;
  ruleId?: string;
  reason: string;
  action: 'block' | 'silent_block';
}

// ── sync ─────────────────────────────────────────────────────

export interface SyncJobConfig {
  depth?: '7d' | '30d' | '90d' | '1y' | 'all';
  channelId?: string;
  downloadMedia?: boolean;
  // ISO timestamps; `since` wins over `depth`
  since?: string;
  until?: string;
  chatJids?: string[];
}

export interface SyncJobProgress {
  fetched: number;
  stored: number;
  duplicates: number;
  mediaDownloaded: number;
  totalEstimated?: number;
}

export type SyncJobType = 'profile' | 'messages' | 'contacts' | 'groups' | 'all';

export interface SyncStartedPayload {
  jobId: string;
  instanceId: string;
  type: SyncJobType;
  config?: SyncJobConfig;
}

export interface SyncProgressPayload {
  jobId: string;
  instanceId: string;
  type: SyncJobType;
  progress: SyncJobProgress;
}

export interface SyncCompletedPayload {
  jobId: string;
  instanceId: string;
  type: SyncJobType;
  progress: SyncJobProgress;
}

export interface SyncFailedPayload {
  jobId: string;
  instanceId: string;
  type: SyncJobType;
  error: string;
}

export interface ProfileSyncedPayload {
  instanceId: string;
  name?: string;
  avatarUrl?: string;
  bio?: string;
  platformMetadata?: Record<string, unknown>;
}

// ── batch jobs ───────────────────────────────────────────────

export type BatchJobType = 'targeted_chat_sync' | 'time_based_batch' | 'media_redownload';

export interface BatchJobProgress {
  totalItems: number;
  processedItems: number;
  failedItems: number;
  skippedItems: number;
  currentItem?: string;
  progressPercent: number;
  totalCostCents: number;
  totalTokens: number;
}

export interface BatchJobCreatedPayload {
  jobId: string;
  instanceId: string;
  jobType: BatchJobType;
  requestParams: Record<string, unknown>;
}

export interface BatchJobStartedPayload {
  jobId: string;
  instanceId: string;
  jobType: BatchJobType;
  totalItems: number;
}

export interface BatchJobProgressPayload {
  jobId: string;
  instanceId: string;
  progress: BatchJobProgress;
}

export interface BatchJobCompletedPayload {
  jobId: string;
  instanceId: string;
  jobType: BatchJobType;
  progress: BatchJobProgress;
  durationMs: number;
}

export interface BatchJobCancelledPayload {
  jobId: string;
  instanceId: string;
  progress: BatchJobProgress;
}

export interface BatchJobFailedPayload {
  jobId: string;
  instanceId: string;
  error: string;
  progress?: BatchJobProgress;
}

// ── presence ─────────────────────────────────────────────────

export interface PresenceTypingPayload {
  chatId: string;
  from: string;
  timestamp?: number;
}

export interface PresenceOnlinePayload {
  userId: string;
  lastSeen?: number;
}

export interface PresenceOfflinePayload {
  userId: string;
  lastSeen: number;
}

// ── reactions ────────────────────────────────────────────────

export interface ReactionReceivedPayload {
  messageId: string;
  chatId: string;
  from: string;
  emoji: string;
  emojiName?: string;
  isCustomEmoji?: boolean;
  rawPayload?: Record<string, unknown>;
}

export interface ReactionRemovedPayload {
  messageId: string;
  chatId: string;
  from: string;
  emoji: string;
  emojiName?: string;
  isCustomEmoji?: boolean;
}

export interface EventPayloadMap {
  'message.received': MessageReceivedPayload;
  'message.sent': MessageSentPayload;
  'message.delivered': MessageDeliveredPayload;
  'message.read': MessageReadPayload;
  'message.failed': MessageFailedPayload;
  'message.button_click': MessageButtonClickPayload;
  'message.poll': MessagePollPayload;
  'message.poll_vote': MessagePollVotePayload;
  'media.received': MediaReceivedPayload;
  'media.processed': MediaProcessedPayload;
  'identity.created': IdentityCreatedPayload;
  'identity.linked': IdentityLinkedPayload;
  'identity.merged': IdentityMergedPayload;
  'identity.unlinked': IdentityUnlinkedPayload;
  'instance.connected': InstanceConnectedPayload;
  'instance.disconnected': InstanceDisconnectedPayload;
  'instance.qr_code': InstanceQrCodePayload;
  'access.allowed': AccessAllowedPayload;
  'access.denied': AccessDeniedPayload;
  'sync.started': SyncStartedPayload;
  'sync.progress': SyncProgressPayload;
  'sync.completed': SyncCompletedPayload;
  'sync.failed': SyncFailedPayload;
  'profile.synced': ProfileSyncedPayload;
  'reaction.received': ReactionReceivedPayload;
  'reaction.removed': ReactionRemovedPayload;
  'presence.typing': PresenceTypingPayload;
  'presence.online': PresenceOnlinePayload;
  'presence.offline': PresenceOfflinePayload;
  'batch-job.created': BatchJobCreatedPayload;
  'batch-job.started': BatchJobStartedPayload;
  'batch-job.progress': BatchJobProgressPayload;
  'batch-job.completed': BatchJobCompletedPayload;
  'batch-job.cancelled': BatchJobCancelledPayload;
  'batch-job.failed': BatchJobFailedPayload;
}

export type TypedOmniEvent<T extends CoreEventType> = OmniEvent<T, EventPayloadMap[T]>;

// custom.* / system.* payloads are only validated at run time
export type GenericEventPayload = Record<string, unknown>;
