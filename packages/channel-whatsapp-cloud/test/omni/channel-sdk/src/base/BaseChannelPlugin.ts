import { generateCorrelationId } from '@omni/core';
import type { EventBus } from '@omni/core/events';
import { JOURNEY_STAGES, getJourneyTracker } from '@omni/core/tracing';
import type { ChannelType } from '@omni/core/types';
import type {
  EmitMediaReceivedParams,
  EmitMessageDeliveredParams,
  EmitMessageFailedParams,
  EmitMessageReadParams,
  EmitMessageReceivedParams,
  EmitMessageSentParams,
  EmitReactionReceivedParams,
  EmitReactionRemovedParams,
  EmitButtonClickParams,
  EmitPollParams,
  EmitPollVoteParams,
  InstanceConnectedMetadata,
} from '../helpers/events.js';
import type { ChannelCapabilities } from '../types/capabilities.js';
import type { GlobalConfig, Logger, PluginContext, PluginDatabase, PluginStorage } from '../types/context.js';
import type { ConnectionStatus, InstanceConfig } from '../types/instance.js';
import type { OutgoingMessage, SendResult } from '../types/messaging.js';
import type { ChannelPlugin, HealthCheck, HealthStatus } from '../types/plugin.js';
import { aggregateHealthChecks } from './HealthChecker.js';
import { InstanceManager } from './InstanceManager.js';

// Kept outside the class so subclasses see exactly omni's members and nothing more.
function eventMetadata(channelType: ChannelType, instanceId: string) {
  return {
    correlationId: generateCorrelationId('evt'),
    instanceId,
    channelType,
    source: `channel:${channelType}`,
  };
}

export abstract class BaseChannelPlugin implements ChannelPlugin {
  abstract readonly id: ChannelType;
  abstract readonly name: string;
  abstract readonly version: string;
  abstract readonly capabilities: ChannelCapabilities;

  // set by initialize()
  protected eventBus!: EventBus;
  protected logger!: Logger;
  protected storage!: PluginStorage;
  protected config!: GlobalConfig;
  protected db!: PluginDatabase;

  protected instances = new InstanceManager();

  // ── lifecycle ──────────────────────────────────────────────

  async initialize(context: PluginContext): Promise<void> {
    this.eventBus = context.eventBus;
    this.logger = context.logger.child({ plugin: this.id });
    this.storage = context.storage;
    this.config = context.config;
    this.db = context.db;
    await this.onInitialize(context);
  }

  protected async onInitialize(_context: PluginContext): Promise<void> {}

  /** Disconnects every known instance (errors ignored), then onDestroy(), then forgets the instances. */
  async destroy(): Promise<void> {
    this.logger.info('Destroying plugin');
    await Promise.all(this.instances.getAllIds().map((id) => this.disconnect(id).catch(() => {})));
    await this.onDestroy();
    this.instances.clear();
    this.logger.info('Plugin destroyed');
  }

  protected async onDestroy(): Promise<void> {}

  // ── instances ──────────────────────────────────────────────

  abstract connect(instanceId: string, config: InstanceConfig): Promise<void>;
  abstract disconnect(instanceId: string): Promise<void>;
  abstract sendMessage(instanceId: string, message: OutgoingMessage): Promise<SendResult>;

  async getStatus(instanceId: string): Promise<ConnectionStatus> {
    return (
      this.instances.getStatus(instanceId) ?? { state: 'disconnected', since: new Date(), message: 'Instance not found' }
    );
  }

  getConnectedInstances(): string[] {
    return this.instances.getConnectedIds();
  }

  // ── health ─────────────────────────────────────────────────

  async getHealth(): Promise<HealthStatus> {
    const checks = await this.getHealthChecks();
    return { status: aggregateHealthChecks(checks), checks, checkedAt: new Date() };
  }

  /** Default: one 'instances' check; override to add more. */
  protected async getHealthChecks(): Promise<HealthCheck[]> {
    const total = this.instances.count();
    const connected = this.instances.connectedCount();
    const data = { connected, total };

    if (total === 0) return [{ name: 'instances', status: 'pass', message: 'No instances configured' }];
    if (connected === total) {
      return [{ name: 'instances', status: 'pass', message: `All ${total} instance(s) connected`, data }];
    }
    if (connected > 0) {
      return [{ name: 'instances', status: 'warn', message: `${connected}/${total} instance(s) connected`, data }];
    }
    return [{ name: 'instances', status: 'fail', message: `No instances connected (${total} configured)`, data }];
  }

  // ── journey timings ────────────────────────────────────────

  /** Platform timestamp to unix ms (pass isSeconds for second-resolution platforms). */
  protected captureT0(platformTimestamp: number, isSeconds = false): number {
    return isSeconds ? platformTimestamp * 1000 : platformTimestamp;
  }

  /** T0/T1 timings for an inbound message, or undefined when the tracker does not sample it. */
  protected captureInboundTimings(platformTimestamp: number): Record<string, number> | undefined {
    if (!getJourneyTracker().shouldSample()) return undefined;
    return { [JOURNEY_STAGES.T0]: platformTimestamp, [JOURNEY_STAGES.T1]: Date.now() };
  }

  /** After publishing: records T0/T1 (when present in `timings`) and T2 = now. */
  protected captureT2(correlationId: string, timings: Record<string, number>): void {
    const publishedAt = Date.now();
    const tracker = getJourneyTracker();
    const t0 = timings[JOURNEY_STAGES.T0];
    const t1 = timings[JOURNEY_STAGES.T1];
    if (t0 != null) tracker.recordCheckpoint(correlationId, 'T0', JOURNEY_STAGES.T0, t0);
    if (t1 != null) tracker.recordCheckpoint(correlationId, 'T1', JOURNEY_STAGES.T1, t1);
    tracker.recordCheckpoint(correlationId, 'T2', JOURNEY_STAGES.T2, publishedAt);
  }

  /** Before handing a message to the platform; recorded only for journeys already tracked. */
  protected captureT10(correlationId: string): number {
    const now = Date.now();
    const tracker = getJourneyTracker();
    if (tracker.isTracking(correlationId)) tracker.recordCheckpoint(correlationId, 'T10', JOURNEY_STAGES.T10, now);
    return now;
  }

  /** When the platform confirms delivery; recorded only for journeys already tracked. */
  protected captureT11(correlationId: string): number {
    const now = Date.now();
    const tracker = getJourneyTracker();
    if (tracker.isTracking(correlationId)) tracker.recordCheckpoint(correlationId, 'T11', JOURNEY_STAGES.T11, now);
    return now;
  }

  // ── event emission ─────────────────────────────────────────

  /** Publishes message.received; resolves to the correlation id it used. */
  protected async emitMessageReceived(params: EmitMessageReceivedParams): Promise<string> {
    const metadata = { ...eventMetadata(this.id, params.instanceId), timings: params.timings };
    await this.eventBus.publish(
      'message.received',
      {
        externalId: params.externalId,
        chatId: params.chatId,
        threadId: params.threadId,
        from: params.from,
        content: params.content,
        replyToId: params.replyToId,
        rawPayload: params.rawPayload,
      },
      metadata,
    );
    this.instances.recordActivity(params.instanceId);
    this.logger.debug('Emitted message.received', { instanceId: params.instanceId, externalId: params.externalId });
    return metadata.correlationId;
  }

  protected async emitMessageSent(params: EmitMessageSentParams): Promise<void> {
    await this.eventBus.publish(
      'message.sent',
      {
        externalId: params.externalId,
        chatId: params.chatId,
        threadId: params.threadId,
        to: params.to,
        content: params.content,
        replyToId: params.replyToId,
      },
      eventMetadata(this.id, params.instanceId),
    );
    this.instances.recordActivity(params.instanceId);
    this.logger.debug('Emitted message.sent', { instanceId: params.instanceId, externalId: params.externalId });
  }

  protected async emitMessageFailed(params: EmitMessageFailedParams): Promise<void> {
    await this.eventBus.publish(
      'message.failed',
      {
        externalId: params.externalId,
        chatId: params.chatId,
        error: params.error,
        errorCode: params.errorCode,
        retryable: params.retryable,
      },
      eventMetadata(this.id, params.instanceId),
    );
    this.logger.warn('Emitted message.failed', {
      instanceId: params.instanceId,
      error: params.error,
      retryable: params.retryable,
    });
  }

  protected async emitMessageDelivered(params: EmitMessageDeliveredParams): Promise<void> {
    await this.eventBus.publish(
      'message.delivered',
      { externalId: params.externalId, chatId: params.chatId, deliveredAt: params.deliveredAt },
      eventMetadata(this.id, params.instanceId),
    );
    this.instances.recordActivity(params.instanceId);
  }

  protected async emitMessageRead(params: EmitMessageReadParams): Promise<void> {
    await this.eventBus.publish(
      'message.read',
      { externalId: params.externalId, chatId: params.chatId, readAt: params.readAt },
      eventMetadata(this.id, params.instanceId),
    );
    this.instances.recordActivity(params.instanceId);
  }

  protected async emitReactionReceived(params: EmitReactionReceivedParams): Promise<void> {
    await this.eventBus.publish(
      'reaction.received',
      {
        messageId: params.messageId,
        chatId: params.chatId,
        from: params.from,
        emoji: params.emoji,
        emojiName: params.emojiName,
        isCustomEmoji: params.isCustomEmoji,
        rawPayload: params.rawPayload,
      },
      eventMetadata(this.id, params.instanceId),
    );
    this.instances.recordActivity(params.instanceId);
    this.logger.debug('Emitted reaction.received', {
      instanceId: params.instanceId,
      messageId: params.messageId,
      emoji: params.emoji,
    });
  }

  protected async emitReactionRemoved(params: EmitReactionRemovedParams): Promise<void> {
    await this.eventBus.publish(
      'reaction.removed',
      {
        messageId: params.messageId,
        chatId: params.chatId,
        from: params.from,
        emoji: params.emoji,
        emojiName: params.emojiName,
        isCustomEmoji: params.isCustomEmoji,
      },
      eventMetadata(this.id, params.instanceId),
    );
    this.instances.recordActivity(params.instanceId);
    this.logger.debug('Emitted reaction.removed', {
      instanceId: params.instanceId,
      messageId: params.messageId,
      emoji: params.emoji,
    });
  }

  protected async emitButtonClick(params: EmitButtonClickParams): Promise<void> {
    const { instanceId, ...payload } = params;
    await this.eventBus.publish('message.button_click', payload, eventMetadata(this.id, instanceId));
    this.instances.recordActivity(instanceId);
    this.logger.debug('Emitted message.button_click', { instanceId, messageId: params.messageId, data: params.data });
  }

  protected async emitPoll(params: EmitPollParams): Promise<void> {
    const { instanceId, ...payload } = params;
    await this.eventBus.publish('message.poll', payload, eventMetadata(this.id, instanceId));
    this.instances.recordActivity(instanceId);
    this.logger.debug('Emitted message.poll', { instanceId, pollId: params.pollId, question: params.question });
  }

  protected async emitPollVote(params: EmitPollVoteParams): Promise<void> {
    const { instanceId, ...payload } = params;
    await this.eventBus.publish('message.poll_vote', payload, eventMetadata(this.id, instanceId));
    this.instances.recordActivity(instanceId);
    this.logger.debug('Emitted message.poll_vote', { instanceId, pollId: params.pollId, optionIds: params.optionIds });
  }

  protected async emitInstanceConnected(instanceId: string, metadata?: InstanceConnectedMetadata): Promise<void> {
    await this.eventBus.publish(
      'instance.connected',
      {
        instanceId,
        channelType: this.id,
        profileName: metadata?.profileName,
        profilePicUrl: metadata?.profilePicUrl,
        ownerIdentifier: metadata?.ownerIdentifier,
      },
      eventMetadata(this.id, instanceId),
    );
    this.logger.info('Instance connected', { instanceId, ...metadata });
  }

  protected async emitInstanceDisconnected(instanceId: string, reason?: string, willReconnect = false): Promise<void> {
    await this.eventBus.publish(
      'instance.disconnected',
      { instanceId, channelType: this.id, reason, willReconnect },
      eventMetadata(this.id, instanceId),
    );
    this.logger.info('Instance disconnected', { instanceId, reason, willReconnect });
  }

  protected async emitQrCode(instanceId: string, qrCode: string, expiresAt: Date): Promise<void> {
    await this.eventBus.publish(
      'instance.qr_code',
      { instanceId, channelType: this.id, qrCode, expiresAt: expiresAt.getTime() },
      eventMetadata(this.id, instanceId),
    );
    this.logger.debug('QR code generated', { instanceId, expiresAt: expiresAt.toISOString() });
  }

  protected async emitMediaReceived(params: EmitMediaReceivedParams): Promise<void> {
    await this.eventBus.publish(
      'media.received',
      {
        eventId: params.eventId,
        mediaId: params.mediaId,
        mimeType: params.mimeType,
        size: params.size,
        url: params.url,
        duration: params.duration,
      },
      eventMetadata(this.id, params.instanceId),
    );
    this.instances.recordActivity(params.instanceId);
    this.logger.debug('Emitted media.received', {
      instanceId: params.instanceId,
      mediaId: params.mediaId,
      mimeType: params.mimeType,
    });
  }

  // ── utilities ──────────────────────────────────────────────

  /** Records the instance's config and status (no event is published). */
  protected async updateInstanceStatus(
    instanceId: string,
    config: InstanceConfig,
    status: ConnectionStatus,
  ): Promise<void> {
    this.instances.setInstance(instanceId, config, status);
  }
}
