/**
 * omni's `InstanceConfig` → the component's instance configuration.
 *
 * omni keeps secrets in `credentials` and the rest in `options`; the component takes one flat
 * JSON object (its schema: `plugin.config-schema`, the secrets marked `writeOnly`), so the two
 * are merged, `credentials` winning, and the component validates the result, naming every
 * problem by its key. Two options are the host's, as in `omni-host`'s configuration, and are
 * not passed on: `egress`, the operator's list of origins (the instance is granted only those
 * of the origins the component declares for it: listing one it did not declare grants
 * nothing), and `subscribeWebhooks`, which lets `connect` subscribe the app to the business
 * account's webhooks when it is not.
 */

import type { InstanceConfig } from '@omni/channel-sdk';

/** The component's configuration, and the host's own options. */
export interface SplitConfig {
  componentConfig: string;
  /** The operator's egress list; absent: every declared origin is granted. */
  egress?: string[];
  subscribeWebhooks: boolean;
}

export function splitConfig(config: InstanceConfig): SplitConfig {
  const { egress, subscribeWebhooks, ...options } = config.options ?? {};
  const merged: Record<string, unknown> = { ...options, ...config.credentials };
  const split: SplitConfig = { componentConfig: JSON.stringify(merged), subscribeWebhooks: subscribeWebhooks === true };
  if (Array.isArray(egress)) split.egress = egress.filter((h): h is string => typeof h === 'string');
  return split;
}
