/**
 * The instances the plugin hosts, as the component validated them: what each call for an
 * instance passes (`{id, config}`), where it may connect, and which instances are one Meta app.
 */

import type { ConnectionInfo, Instance, Route } from './runtime/wit.js';

export interface HostedInstance {
  /** What the component receives: the configuration it normalised. */
  wit: Instance;
  /** Origins the instance's calls may reach: the component's declaration, within the operator's `egress`. */
  egress: string[];
  /** The component's name for the instance's Meta app. */
  appKey: string;
  /** What Meta names the instance by in notifications (its phone number id). */
  routingKeys: string[];
  /** What the last successful `connect` reported. */
  connection?: ConnectionInfo;
  /** Disconnected by omni: it sends nothing until connected again; its webhooks are handled. */
  paused?: boolean;
}

export class InstanceRegistry {
  private readonly byId = new Map<string, HostedInstance>();

  get(id: string): HostedInstance | undefined {
    return this.byId.get(id);
  }

  set(instance: HostedInstance): void {
    this.byId.set(instance.wit.id, instance);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  /** Every hosted instance. */
  all(): HostedInstance[] {
    return [...this.byId.values()];
  }

  /** The other instances of `receiver`'s Meta app, as webhook routes (no configuration). */
  routesFor(receiver: HostedInstance): Route[] {
    return [...this.byId.values()]
      .filter((other) => other.wit.id !== receiver.wit.id && other.appKey === receiver.appKey)
      .map((other) => ({ instanceId: other.wit.id, routingKeys: other.routingKeys }));
  }

  /** The receiver of a webhook URL that names no instance: any instance, when all are one Meta
   * app (the component routes each change by phone number); `undefined` when that is ambiguous. */
  soleApp(): HostedInstance | undefined {
    const all = [...this.byId.values()];
    const first = all[0];
    return first && all.every((i) => i.appKey === first.appKey) ? first : undefined;
  }
}
