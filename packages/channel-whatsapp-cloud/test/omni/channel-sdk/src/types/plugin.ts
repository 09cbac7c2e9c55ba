import type { ChannelType } from '@omni/core/types';
import type { ChannelCapabilities } from './capabilities.js';
import type { PluginContext } from './context.js';
import type { ConnectionStatus, InstanceConfig } from './instance.js';
import type { OutgoingMessage, SendResult } from './messaging.js';
import type { StreamSender } from './streaming.js';

export interface HealthStatus {
  status: 'healthy' | 'degraded' | 'unhealthy';
  message?: string;
  checks: HealthCheck[];
  checkedAt: Date;
}

export interface HealthCheck {
  name: string;
  status: 'pass' | 'warn' | 'fail';
  message?: string;
  data?: Record<string, unknown>;
}

export interface ChannelPlugin {
  readonly id: ChannelType;
  readonly name: string;
  readonly version: string;
  readonly capabilities: ChannelCapabilities;

  // lifecycle
  initialize(context: PluginContext): Promise<void>;
  destroy(): Promise<void>;

  // instances
  connect(instanceId: string, config: InstanceConfig): Promise<void>;
  disconnect(instanceId: string): Promise<void>;
  getStatus(instanceId: string): Promise<ConnectionStatus>;
  getConnectedInstances(): string[];

  // messaging
  sendMessage(instanceId: string, message: OutgoingMessage): Promise<SendResult>;
  createStreamSender?(
    instanceId: string,
    chatId: string,
    replyToMessageId?: string,
    chatType?: 'dm' | 'group' | 'channel',
  ): StreamSender;
  sendTyping?(instanceId: string, chatId: string, duration?: number): Promise<void>;
  // messageIds may be ['all'] for the whole chat
  markAsRead?(instanceId: string, chatId: string, messageIds: string[]): Promise<void>;
  markChatAsRead?(instanceId: string, chatId: string): Promise<void>;

  // profiles and contacts
  getProfile?(instanceId: string): Promise<{
    name?: string;
    avatarUrl?: string;
    bio?: string;
    ownerIdentifier?: string;
    platformMetadata: Record<string, unknown>;
  }>;
  fetchUserProfile?(
    instanceId: string,
    userId: string,
  ): Promise<{
    displayName?: string;
    avatarUrl?: string;
    bio?: string;
    phone?: string;
    platformData?: Record<string, unknown>;
  }>;
  fetchContacts?(
    instanceId: string,
    options: Record<string, unknown>,
  ): Promise<{
    totalFetched: number;
    contacts: Array<{
      platformUserId: string;
      name?: string;
      phone?: string;
      profilePicUrl?: string;
      isGroup: boolean;
      isBusiness?: boolean;
      metadata?: Record<string, unknown>;
    }>;
  }>;
  fetchGroups?(
    instanceId: string,
    options: Record<string, unknown>,
  ): Promise<{
    totalFetched: number;
    groups: Array<{
      externalId: string;
      name?: string;
      description?: string;
      memberCount?: number;
      createdAt?: Date;
      createdBy?: string;
      isReadOnly?: boolean;
      metadata?: Record<string, unknown>;
    }>;
  }>;

  // health and webhooks
  getHealth(): Promise<HealthStatus>;
  handleWebhook?(request: Request): Promise<Response>;
}
