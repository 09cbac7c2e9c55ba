// Package root of the @omni/core stand-in.

export * from './types/channel.js';
export * from './events/index.js';
export * from './tracing/index.js';

/** `${prefix}-${base36 time}-${random}`, the shape omni's ids take. */
export function generateCorrelationId(prefix = 'corr'): string {
  const time = Date.now().toString(36);
  const random = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  return `${prefix}-${time}-${random}`;
}

// ── logging ──────────────────────────────────────────────────

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  child(context: Record<string, unknown>): Logger;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

// Silent unless OMNI_TEST_LOG is set; a level name there sets the threshold, anything else means 'debug'.
function threshold(): number {
  const raw = globalThis.process?.env?.['OMNI_TEST_LOG'];
  if (!raw || raw === '0' || raw === 'false') return Number.POSITIVE_INFINITY;
  const index = LEVELS.indexOf(raw as Level);
  return index === -1 ? 0 : index;
}

export function createLogger(module: string, context: Record<string, unknown> = {}): Logger {
  const emit = (level: Level, message: string, data?: Record<string, unknown>): void => {
    if (LEVELS.indexOf(level) < threshold()) return;
    const extra = { ...context, ...data };
    const line = `[${level}] [${module}] ${message}`;
    if (Object.keys(extra).length > 0) console[level](line, extra);
    else console[level](line);
  };
  return {
    debug: (message, data) => emit('debug', message, data),
    info: (message, data) => emit('info', message, data),
    warn: (message, data) => emit('warn', message, data),
    error: (message, data) => emit('error', message, data),
    child: (extra) => createLogger(module, { ...context, ...extra }),
  };
}

// ── streaming ────────────────────────────────────────────────

// Text fields are cumulative (the whole text so far), not increments.
export type StreamDelta =
  | { phase: 'thinking'; thinking: string; thinkingElapsedMs: number }
  | { phase: 'content'; content: string; thinking?: string; thinkingDurationMs?: number }
  | { phase: 'final'; content: string; thinking?: string; thinkingDurationMs?: number }
  | { phase: 'error'; error: string };
