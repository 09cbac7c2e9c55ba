import type { ConnectionStatus, InstanceConfig, InstanceState } from '../types/instance.js';

// Connection state of every instance a plugin handles, keyed by instance id.
export class InstanceManager {
  private instances = new Map<string, InstanceState>();

  /** Creates the instance or replaces its config and status (createdAt is kept). */
  setInstance(instanceId: string, config: InstanceConfig, status: ConnectionStatus): void {
    const now = new Date();
    const known = this.instances.get(instanceId);
    if (known) {
      known.status = status;
      known.config = config;
      known.lastActivity = now;
      return;
    }
    this.instances.set(instanceId, { instanceId, config, status, createdAt: now, lastActivity: new Date() });
  }

  /** False when the instance is unknown. */
  updateStatus(instanceId: string, status: ConnectionStatus): boolean {
    const known = this.instances.get(instanceId);
    if (!known) return false;
    known.status = status;
    known.lastActivity = new Date();
    return true;
  }

  get(instanceId: string): InstanceState | undefined {
    return this.instances.get(instanceId);
  }

  getStatus(instanceId: string): ConnectionStatus | undefined {
    return this.instances.get(instanceId)?.status;
  }

  has(instanceId: string): boolean {
    return this.instances.has(instanceId);
  }

  remove(instanceId: string): boolean {
    return this.instances.delete(instanceId);
  }

  getAllIds(): string[] {
    return [...this.instances.keys()];
  }

  getConnectedIds(): string[] {
    const ids: string[] = [];
    for (const [id, state] of this.instances) {
      if (state.status.state === 'connected') ids.push(id);
    }
    return ids;
  }

  getAll(): InstanceState[] {
    return [...this.instances.values()];
  }

  count(): number {
    return this.instances.size;
  }

  connectedCount(): number {
    return this.getConnectedIds().length;
  }

  recordActivity(instanceId: string): void {
    const known = this.instances.get(instanceId);
    if (known) known.lastActivity = new Date();
  }

  clear(): void {
    this.instances.clear();
  }
}
