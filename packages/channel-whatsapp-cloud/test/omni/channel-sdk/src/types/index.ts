export * from './plugin.js';
export * from './capabilities.js';
export * from './context.js';
export * from './instance.js';
export * from './messaging.js';
export * from './streaming.js';
