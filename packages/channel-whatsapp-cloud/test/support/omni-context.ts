/**
 * omni's side of a plugin, for the tests: a `PluginContext` whose event bus records what is
 * published (and can be made to refuse, as NATS does when it is down), whose storage keeps
 * values in memory with their TTL, and whose logger keeps its lines.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger, PluginContext, PluginStorage } from '@omni/channel-sdk';
import type { EventBus, EventMetadata, PublishResult } from '@omni/core/events';

export interface Published {
  type: string;
  payload: Record<string, any>;
  metadata: Partial<EventMetadata>;
  generic: boolean;
}

/** An `EventBus` that records publishes; `outage` makes every publish throw. */
export class RecordingBus implements Pick<EventBus, 'publish' | 'publishGeneric'> {
  readonly events: Published[] = [];
  outage: string | undefined;
  private sequence = 0;

  async publish(type: string, payload: unknown, metadata?: Partial<EventMetadata>): Promise<PublishResult> {
    return this.record(type, payload, metadata, false);
  }

  async publishGeneric(type: string, payload: unknown, metadata?: Partial<EventMetadata>): Promise<PublishResult> {
    return this.record(type, payload, metadata, true);
  }

  of(type: string): Published[] {
    return this.events.filter((e) => e.type === type);
  }

  clear(): void {
    this.events.length = 0;
  }

  private async record(type: string, payload: unknown, metadata: Partial<EventMetadata> | undefined, generic: boolean) {
    if (this.outage) throw new Error(this.outage);
    this.events.push({ type, payload: payload as Record<string, any>, metadata: metadata ?? {}, generic });
    this.sequence++;
    return { id: `bus-${this.sequence}`, sequence: this.sequence, stream: 'TEST' };
  }
}

/** `PluginStorage` in memory, honouring TTLs. */
export class MemoryStorage implements PluginStorage {
  readonly values = new Map<string, { value: unknown; expires: number }>();

  async get<T>(key: string): Promise<T | null> {
    const entry = this.values.get(key);
    if (!entry || entry.expires < Date.now()) return null;
    return entry.value as T;
  }

  async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    this.values.set(key, { value, expires: ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlMs });
  }

  async delete(key: string): Promise<boolean> {
    return this.values.delete(key);
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== null;
  }

  async keys(pattern?: string): Promise<string[]> {
    const all = [...this.values.keys()];
    return pattern ? all.filter((k) => k.startsWith(pattern.replace(/\*$/, ''))) : all;
  }
}

export class RecordingLogger implements Logger {
  constructor(readonly lines: Array<{ level: string; message: string; data?: Record<string, unknown> }> = []) {}
  debug(message: string, data?: Record<string, unknown>): void {
    this.lines.push({ level: 'debug', message, data });
  }
  info(message: string, data?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', message, data });
  }
  warn(message: string, data?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', message, data });
  }
  error(message: string, data?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', message, data });
  }
  child(): Logger {
    return this;
  }
}

export interface TestContext {
  context: PluginContext;
  bus: RecordingBus;
  storage: MemoryStorage;
  logger: RecordingLogger;
}

export function testContext(): TestContext {
  const bus = new RecordingBus();
  const storage = new MemoryStorage();
  const logger = new RecordingLogger();
  const context: PluginContext = {
    eventBus: bus as unknown as EventBus,
    storage,
    logger,
    config: {
      env: 'development',
      apiBaseUrl: 'http://127.0.0.1:8882',
      // As omni builds it (packages/api/src/plugins/context.ts): its API, under `/webhooks`.
      webhookBaseUrl: 'http://127.0.0.1:8882/webhooks',
      // omni's `./data/media`: the plugin keeps its generated secret beside it.
      mediaStorage: { type: 'local', basePath: join(mkdtempSync(join(tmpdir(), 'omni-data-')), 'media') },
    },
    db: {
      execute: async () => [],
      getDrizzle: () => undefined,
    },
  };
  return { context, bus, storage, logger };
}
