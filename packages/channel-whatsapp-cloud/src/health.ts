/**
 * What omni's health checks show of the plugin: whether the host runs and has capacity, and what
 * the last connect of each instance found wrong with its setup (it still connected).
 */

import type { HealthCheck } from '@omni/channel-sdk';

import { componentInfo } from './component-info.js';

/** What the last successful `connect` of an instance reported. */
export interface Connection {
  profileName?: string;
  ownerIdentifier?: string;
  qualityRating?: string;
  checks: Array<{ name: string; passed: boolean; detail: string; fix?: string }>;
  raw: Record<string, unknown> | null;
}

/** An instance the host runs, with what its last connect reported. */
export interface Hosted {
  connection?: Connection;
  /** omni disconnected it: it sends nothing until connected again. */
  paused?: boolean;
}

/** The checks of the component (`stats`: the host's `stats()`, absent when it is not running)
 * and of each hosted instance's setup. */
export function componentChecks(stats: string | undefined, hosted: Map<string, Hosted>): HealthCheck[] {
  if (stats === undefined) {
    return [{ name: 'component', status: 'fail', message: 'the host is not running (initialize not called, or destroyed)' }];
  }
  const parsed = JSON.parse(stats) as { lanes: Record<string, { running: number; capacity: number }>; shed: number };
  const full = Object.entries(parsed.lanes).filter(([, lane]) => lane.running >= lane.capacity).map(([name]) => name);
  const checks: HealthCheck[] = [
    {
      name: 'component',
      status: full.length > 0 ? 'warn' : 'pass',
      message: full.length > 0 ? `calls wait for capacity in: ${full.join(', ')}` : `${componentInfo.contract} component running`,
      data: { ...parsed, sha256: componentInfo.component.sha256 },
    },
  ];
  for (const [id, instance] of hosted) {
    for (const check of instance.connection?.checks ?? []) {
      if (check.passed) continue;
      checks.push({ name: `${id}: ${check.name}`, status: 'warn', message: check.detail, data: { fix: check.fix } });
    }
  }
  return checks;
}
