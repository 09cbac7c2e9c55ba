export { BaseChannelPlugin } from './BaseChannelPlugin.js';
export { ChannelRegistry, channelRegistry } from './ChannelRegistry.js';
export type { RegistryEntry } from './ChannelRegistry.js';
export { HealthChecker, aggregateHealthChecks, createHealthCheck } from './HealthChecker.js';
export { InstanceManager } from './InstanceManager.js';
