import type {
  CoreEventType,
  EventPayloadMap,
  EventType,
  GenericEventPayload,
  OmniEvent,
  TypedOmniEvent,
} from './types.js';

export type EventHandler<T extends CoreEventType> = (event: TypedOmniEvent<T>) => Promise<void>;

export type GenericEventHandler = (event: OmniEvent<EventType, GenericEventPayload>) => Promise<void>;

export interface PublishResult {
  id: string;
  sequence: number;
  stream: string;
}

export interface SubscribeOptions {
  // NATS wildcard subject, e.g. 'message.*.whatsapp-cloud.>'
  pattern?: string;
  queue?: string;
  durable?: string;
  startFrom?: 'new' | 'first' | 'last' | Date;
  maxRetries?: number;
  retryDelayMs?: number;
  ackWaitMs?: number;
  concurrency?: number;
}

// The bus assigns event ids and timestamps; publishers only give type, payload and metadata.
export interface EventBus {
  connect(): Promise<void>;

  publish<T extends CoreEventType>(
    type: T,
    payload: EventPayloadMap[T],
    metadata?: Partial<OmniEvent['metadata']>,
  ): Promise<PublishResult>;

  publishGeneric(
    type: EventType,
    payload: GenericEventPayload,
    metadata?: Partial<OmniEvent['metadata']>,
  ): Promise<PublishResult>;

  subscribe<T extends CoreEventType>(
    type: T,
    handler: EventHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription>;

  subscribePattern(pattern: string, handler: GenericEventHandler, options?: SubscribeOptions): Promise<Subscription>;

  subscribeMany<T extends CoreEventType>(
    types: T[],
    handler: EventHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Subscription>;

  subscribeAll(handler: (event: OmniEvent) => Promise<void>, options?: SubscribeOptions): Promise<Subscription>;

  close(): Promise<void>;

  isConnected(): boolean;
}

export interface Subscription {
  id: string;
  pattern: string;
  unsubscribe(): Promise<void>;
}

export interface EventBusConfig {
  url?: string;
  credentials?: {
    user: string;
    pass: string;
  };
  serviceName?: string;
  reconnect?: {
    maxRetries: number;
    delayMs: number;
    maxDelayMs: number;
  };
}
