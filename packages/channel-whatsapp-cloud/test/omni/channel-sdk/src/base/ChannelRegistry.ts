import type { ChannelType } from '@omni/core/types';
import type { Logger, PluginContext } from '../types/context.js';
import type { ChannelPlugin, HealthStatus } from '../types/plugin.js';

export interface RegistryEntry {
  plugin: ChannelPlugin;
  initialized: boolean;
  registeredAt: Date;
}

// Plugins by channel id; one plugin per channel type.
export class ChannelRegistry {
  private plugins = new Map<ChannelType, RegistryEntry>();
  private logger: Logger | null = null;

  setLogger(logger: Logger): void {
    this.logger = logger;
  }

  /** A second plugin for an already registered id is ignored (with a warning). */
  register(plugin: ChannelPlugin): void {
    if (this.plugins.has(plugin.id)) {
      this.logger?.warn(`Plugin already registered: ${plugin.id}`);
      return;
    }
    this.plugins.set(plugin.id, { plugin, initialized: false, registeredAt: new Date() });
    this.logger?.info(`Registered plugin: ${plugin.id}`, { name: plugin.name, version: plugin.version });
  }

  /** Destroys the plugin first if it was initialized; errors from destroy are logged, not thrown. */
  async unregister(id: ChannelType): Promise<boolean> {
    const entry = this.plugins.get(id);
    if (!entry) return false;

    if (entry.initialized) {
      try {
        await entry.plugin.destroy();
      } catch (error) {
        this.logger?.error(`Error destroying plugin: ${id}`, { error: String(error) });
      }
    }
    this.plugins.delete(id);
    this.logger?.info(`Unregistered plugin: ${id}`);
    return true;
  }

  get(id: ChannelType): ChannelPlugin | undefined {
    return this.plugins.get(id)?.plugin;
  }

  has(id: ChannelType): boolean {
    return this.plugins.has(id);
  }

  isInitialized(id: ChannelType): boolean {
    return this.plugins.get(id)?.initialized ?? false;
  }

  getAll(): ChannelPlugin[] {
    return [...this.plugins.values()].map((entry) => entry.plugin);
  }

  getInitialized(): ChannelPlugin[] {
    return [...this.plugins.values()].filter((entry) => entry.initialized).map((entry) => entry.plugin);
  }

  getIds(): ChannelType[] {
    return [...this.plugins.keys()];
  }

  count(): number {
    return this.plugins.size;
  }

  /** Throws for an unknown id or when the plugin's initialize throws; a repeat call is a no-op. */
  async initialize(id: ChannelType, context: PluginContext): Promise<void> {
    const entry = this.plugins.get(id);
    if (!entry) throw new Error(`Plugin not found: ${id}`);
    if (entry.initialized) {
      this.logger?.warn(`Plugin already initialized: ${id}`);
      return;
    }

    try {
      await entry.plugin.initialize(context);
    } catch (error) {
      this.logger?.error(`Failed to initialize plugin: ${id}`, { error: String(error) });
      throw error;
    }
    entry.initialized = true;
    this.logger?.info(`Initialized plugin: ${id}`);
  }

  /** Never rejects; failures are counted in a log line. */
  async initializeAll(context: PluginContext): Promise<void> {
    const outcomes = await Promise.allSettled([...this.plugins.keys()].map((id) => this.initialize(id, context)));
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected').length;
    if (failures > 0) this.logger?.error(`${failures} plugin(s) failed to initialize`);
  }

  /** Destroys the initialized plugins and marks every entry uninitialized; never rejects. */
  async destroyAll(): Promise<void> {
    const initialized = [...this.plugins.values()].filter((entry) => entry.initialized);
    const outcomes = await Promise.allSettled(initialized.map((entry) => entry.plugin.destroy()));
    for (const entry of this.plugins.values()) entry.initialized = false;

    const failures = outcomes.filter((outcome) => outcome.status === 'rejected').length;
    if (failures > 0) this.logger?.error(`${failures} plugin(s) failed to destroy`);
  }

  /** Health of the initialized plugins; a throwing getHealth becomes an 'unhealthy' entry. */
  async getHealth(): Promise<Map<ChannelType, HealthStatus>> {
    const health = new Map<ChannelType, HealthStatus>();
    const probes = [...this.plugins.entries()]
      .filter(([, entry]) => entry.initialized)
      .map(async ([id, entry]) => {
        try {
          health.set(id, await entry.plugin.getHealth());
        } catch (error) {
          health.set(id, {
            status: 'unhealthy',
            message: `Health check error: ${String(error)}`,
            checks: [],
            checkedAt: new Date(),
          });
        }
      });
    await Promise.all(probes);
    return health;
  }
}

export const channelRegistry = new ChannelRegistry();
