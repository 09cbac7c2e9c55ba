/**
 * omni's `InstanceConfig` → the component's instance configuration.
 *
 * omni keeps secrets in `credentials` and the rest in `options`; the component takes one flat
 * JSON object (its schema: `plugin.config-schema`, the secrets marked `writeOnly`), so the two
 * are merged, `credentials` winning, and the component validates the result, naming every
 * problem by its key. The one option the plugin reads itself is `allowedHosts`: the operator's
 * extra egress origins, granted on top of what the component declares for the instance.
 */

import type { InstanceConfig } from '@omni/channel-sdk';

/** The component's configuration, and the operator's extra egress. */
export interface SplitConfig {
  componentConfig: string;
  allowedHosts: string[];
}

const HOST_OPTION = 'allowedHosts';

export function splitConfig(config: InstanceConfig): SplitConfig {
  const merged: Record<string, unknown> = { ...(config.options ?? {}), ...config.credentials };
  const extra = merged[HOST_OPTION];
  delete merged[HOST_OPTION];
  const allowedHosts = Array.isArray(extra) ? extra.filter((h): h is string => typeof h === 'string') : [];
  return { componentConfig: JSON.stringify(merged), allowedHosts };
}
