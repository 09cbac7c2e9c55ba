/**
 * The host's events onto omni's bus. The host has checked them (a valid event type, an
 * instance of the call, a JSON object payload within the size limit) and wrapped them in omni's
 * metadata; here they go to `eventBus.publish` (core events) or `publishGeneric` (`custom.*`).
 *
 * omni's bus gives every event its own id, so redeliveries cannot be dropped by the bus as
 * JetStream drops them for `omni-host`. The plugin does it: the component's event ids are
 * deterministic (a redelivered webhook yields the same ids), and each id published is kept in
 * omni's `PluginStorage` for a while; concurrent duplicates within this process wait for the
 * first. A state change (`instance.*`, which the host marks not to be deduplicated) is published
 * each time it happens.
 */

import type { Logger, PluginStorage } from '@omni/channel-sdk';
import type { CoreEventType, EventBus, EventMetadata, EventType } from '@omni/core/events';

/** An event as the host hands it over. */
export interface BusEvent {
  id: string;
  type: string;
  instanceId: string;
  payload: Record<string, unknown>;
  metadata: Partial<EventMetadata>;
  /** When it happened by the provider's clock (Unix ms). */
  occurredAt: number | null;
  deduplicate: boolean;
}

export interface PublisherOptions {
  eventBus: EventBus;
  storage: PluginStorage;
  logger: Logger;
  /** How long a published event id is remembered. */
  dedupTtlMs: number;
  /** omni's journey timings for an event, when sampled (inbound messages). */
  timings(event: BusEvent): Record<string, number> | undefined;
  /** Called once an event is on the bus (bookkeeping: chats, instance status). */
  published(event: BusEvent): Promise<void>;
}

export class Publisher {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly options: PublisherOptions) {}

  /** The host's `publish`: every event of the batch on the bus, in order; `ok`, or
   * `unavailable:<why>` when omni's bus did not take one (the webhook then answers 503 and
   * Meta redelivers; what was published is skipped then). */
  readonly publish = async (eventsJson: string): Promise<string> => {
    const events = JSON.parse(eventsJson) as BusEvent[];
    try {
      for (const event of events) await this.once(event);
      return 'ok';
    } catch (error) {
      this.options.logger.error('the event bus refused events; the webhook asks Meta to redeliver', { error: String(error) });
      return `unavailable:${String(error)}`;
    }
  };

  /** Publishes an event unless its id was published already. */
  private async once(event: BusEvent): Promise<void> {
    if (!event.deduplicate) return this.publishNew(event, false);
    const pending = this.inFlight.get(event.id);
    if (pending) return pending;
    const work = this.publishNew(event, true).finally(() => this.inFlight.delete(event.id));
    this.inFlight.set(event.id, work);
    return work;
  }

  private async publishNew(event: BusEvent, deduplicate: boolean): Promise<void> {
    const key = `event:${event.id}`;
    const seen =
      deduplicate &&
      (await this.options.storage.has(key).catch((error: unknown) => {
        // Better a duplicate than a lost event.
        this.options.logger.warn('plugin storage unreadable; publishing without deduplication', { error: String(error) });
        return false;
      }));
    if (seen) {
      this.options.logger.debug('dropped a redelivered event', { id: event.id, type: event.type });
      return;
    }
    const timings = this.options.timings(event);
    const metadata = timings ? { ...event.metadata, timings } : event.metadata;
    const bus = this.options.eventBus;
    if (event.type.startsWith('custom.')) {
      await bus.publishGeneric(event.type as EventType, event.payload, metadata);
    } else {
      await bus.publish(event.type as CoreEventType, event.payload as never, metadata);
    }
    if (deduplicate) {
      await this.options.storage.set(key, true, this.options.dedupTtlMs).catch((error: unknown) => {
        this.options.logger.warn('could not remember a published event id', { id: event.id, error: String(error) });
      });
    }
    await this.options.published(event);
  }
}
