/**
 * What the component publishes, onto omni's bus: each event checked (it names an instance of
 * the call, a valid event type, a JSON object payload), wrapped in omni's metadata and handed to
 * `eventBus.publish` (core events) or `publishGeneric` (`custom.*`).
 *
 * omni's bus gives every event its own id, so redeliveries cannot be dropped by the bus as
 * JetStream drops them for `omni-host`. The plugin does it: the component's event ids are
 * deterministic (a redelivered webhook yields the same ids), and each id published is kept in
 * omni's `PluginStorage` for a while; concurrent duplicates within this process wait for the
 * first. If the bus refuses, the component answers the webhook 5xx and Meta redelivers: the
 * events already published are skipped then, the rest published.
 */

import type { Logger, PluginStorage } from '@omni/channel-sdk';
import type { CoreEventType, EventBus, EventMetadata, EventType } from '@omni/core/events';

import type { WitResult } from './runtime/index.js';
import type { Event, EventKind, PublishError } from './runtime/wit.js';

/** omni's name for each core event kind of the contract (a new kind fails to compile here). */
const CORE_EVENT: Record<Exclude<EventKind['tag'], 'other'>, CoreEventType> = {
  'message-received': 'message.received',
  'message-sent': 'message.sent',
  'message-delivered': 'message.delivered',
  'message-read': 'message.read',
  'message-failed': 'message.failed',
  'message-button-click': 'message.button_click',
  'media-received': 'media.received',
  'reaction-received': 'reaction.received',
  'reaction-removed': 'reaction.removed',
  'instance-connected': 'instance.connected',
  'instance-disconnected': 'instance.disconnected',
};

/** omni's name for an event kind. */
export function eventName(kind: EventKind): EventType | string {
  return kind.tag === 'other' ? kind.val : CORE_EVENT[kind.tag];
}

const MAX_PAYLOAD_BYTES = 1 << 20;
const SUBJECT_TOKENS = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]{1,256}$/;

/** An event as it goes onto omni's bus. */
export interface BusEvent {
  id: string;
  type: string;
  instanceId: string;
  payload: Record<string, unknown>;
  metadata: Partial<EventMetadata>;
  occurredAt: number | undefined;
}

export interface ForwarderOptions {
  eventBus: EventBus;
  storage: PluginStorage;
  logger: Logger;
  channelType: string;
  /** How long a published event id is remembered. */
  dedupTtlMs: number;
  /** omni's timing checkpoints for an event (inbound messages only), if sampled. */
  timings(event: BusEvent): Record<string, number> | undefined;
  /** Called once an event is on the bus (bookkeeping: chats, instance status). */
  published(event: BusEvent): Promise<void>;
}

export class EventForwarder {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly options: ForwarderOptions) {}

  /** The `events.publish` import of a call that may publish for `instances`. */
  publisher(instances: readonly string[]): (events: Event[]) => Promise<WitResult<undefined, PublishError>> {
    return (events) => this.publish(events, instances);
  }

  async publish(events: Event[], instances: readonly string[]): Promise<WitResult<undefined, PublishError>> {
    const checked: BusEvent[] = [];
    for (const event of events) {
      const busEvent = this.check(event, instances);
      if (typeof busEvent === 'string') {
        this.options.logger.warn('refused an event from the component', { reason: busEvent });
        return { tag: 'err', val: { tag: 'rejected', val: busEvent } };
      }
      checked.push(busEvent);
    }
    try {
      for (const event of checked) await this.once(event);
      return { tag: 'ok', val: undefined };
    } catch (error) {
      this.options.logger.error('the event bus refused events; the webhook asks Meta to redeliver', { error: String(error) });
      return { tag: 'err', val: { tag: 'unavailable', val: String(error) } };
    }
  }

  private check(event: Event, instances: readonly string[]): BusEvent | string {
    const type = eventName(event.kind);
    if (!SUBJECT_TOKENS.test(type) || type.length > 200) return `\`${type}\` is not a valid event type`;
    if (event.kind.tag === 'other' && !type.startsWith('custom.')) return `\`${type}\` is neither a core nor a custom.* event`;
    if (!instances.includes(event.instanceId)) return `event for instance \`${event.instanceId}\`, which this call does not concern`;
    if (!PRINTABLE_ASCII.test(event.id)) return 'event ids must be 1 to 256 printable ASCII characters';
    if (event.payload.length > MAX_PAYLOAD_BYTES) return `a ${event.payload.length}-byte payload exceeds the ${MAX_PAYLOAD_BYTES}-byte limit`;
    let payload: unknown;
    try {
      payload = JSON.parse(event.payload);
    } catch (error) {
      return `payload is not JSON: ${String(error)}`;
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return 'payload must be a JSON object';
    const occurredAt = event.occurredAtMs === undefined ? undefined : Number(event.occurredAtMs);
    const busEvent: BusEvent = {
      id: event.id,
      type,
      instanceId: event.instanceId,
      payload: payload as Record<string, unknown>,
      metadata: {
        correlationId: event.correlationId ?? event.id,
        instanceId: event.instanceId,
        channelType: this.options.channelType as EventMetadata['channelType'],
        source: `channel:${this.options.channelType}`,
      },
      occurredAt,
    };
    const timings = this.options.timings(busEvent);
    if (timings) busEvent.metadata.timings = timings;
    return busEvent;
  }

  /** Publishes an event unless its id was published already. A state change of the instance
   * (`instance.*`) is published each time it happens: a reconnect after omni restarts says
   * what the last connect said, and omni must hear it again (`omni-host` sends these without
   * JetStream's `Nats-Msg-Id` for the same reason). */
  private async once(event: BusEvent): Promise<void> {
    if (event.type === 'instance.connected' || event.type === 'instance.disconnected') return this.publishNew(event, false);
    const pending = this.inFlight.get(event.id);
    if (pending) return pending;
    const work = this.publishNew(event).finally(() => this.inFlight.delete(event.id));
    this.inFlight.set(event.id, work);
    return work;
  }

  private async publishNew(event: BusEvent, deduplicate = true): Promise<void> {
    const key = `event:${event.id}`;
    const seen = deduplicate && await this.options.storage.has(key).catch((error: unknown) => {
      // Better a duplicate than a lost event.
      this.options.logger.warn('plugin storage unreadable; publishing without deduplication', { error: String(error) });
      return false;
    });
    if (seen) {
      this.options.logger.debug('dropped a redelivered event', { id: event.id, type: event.type });
      return;
    }
    const bus = this.options.eventBus;
    if (event.type.startsWith('custom.')) {
      await bus.publishGeneric(event.type as EventType, event.payload, event.metadata);
    } else {
      await bus.publish(event.type as CoreEventType, event.payload as never, event.metadata);
    }
    if (deduplicate) {
      await this.options.storage.set(key, true, this.options.dedupTtlMs).catch((error: unknown) => {
        this.options.logger.warn('could not remember a published event id', { id: event.id, error: String(error) });
      });
    }
    await this.options.published(event);
  }
}
