import type { EventBus } from '@omni/core/events';

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  child(context: Record<string, unknown>): Logger;
}

// Per-plugin key/value store; `ttlMs` expires the entry.
export interface PluginStorage {
  get<T>(key: string): Promise<T | null>;
  set<T>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  has(key: string): Promise<boolean>;
  keys(pattern?: string): Promise<string[]>;
}

export interface GlobalConfig {
  env: 'development' | 'staging' | 'production';
  apiBaseUrl: string;
  webhookBaseUrl: string;
  mediaStorage: {
    type: 'local' | 's3';
    basePath: string;
  };
}

export interface PluginDatabase {
  execute<T>(sql: string, params?: unknown[]): Promise<T[]>;
  getDrizzle(): unknown;
}

export interface PluginContext {
  eventBus: EventBus;
  storage: PluginStorage;
  logger: Logger;
  config: GlobalConfig;
  db: PluginDatabase;
}
