/**
 * omni's `InstanceConfig` → the component's instance configuration.
 *
 * omni keeps secrets in `credentials` and the rest in `options`; the component takes one flat
 * JSON object (its schema: `plugin.config-schema`, the secrets marked `writeOnly`), so the two
 * are merged, `credentials` winning, and the component validates the result, naming every
 * problem by its key.
 *
 * Not passed on:
 * - omni's own connect options, which omni's API adds to every connect whatever the channel
 *   (`forceNewQr` for WhatsApp Web's QR code, `token` for bot channels): they mean nothing here;
 * - the host's two options: `egress`, a list of origins that narrows further what the instance
 *   is granted (the origins the component declares for it, within the operator's list: the
 *   plugin's `egress` option, see `egressFromEnvironment`), and `subscribeWebhooks`, which lets
 *   `connect` subscribe the app to the business account's webhooks when it is not.
 */

import type { InstanceConfig } from '@omni/channel-sdk';

/** Options omni's API passes to every channel's `connect` (packages/api/src/routes/v2/instances.ts). */
export const OMNI_CONNECT_OPTIONS: readonly string[] = ['forceNewQr', 'token'];

/** An instance's settings as the operator gave them: what the component validates, and the
 * host's own options. This is what the plugin keeps (encrypted) between restarts. */
export interface InstanceSettings {
  /** The component's configuration (credentials and options merged). */
  config: Record<string, unknown>;
  /** The instance's own egress list, narrowing what the operator allows; absent: no narrowing. */
  egress?: string[];
  subscribeWebhooks: boolean;
}

/** The settings a `connect` carries; `undefined` when it carries none (omni reconnecting an
 * instance at start-up or from its monitor passes only its own options). */
export function settingsOf(config: InstanceConfig): InstanceSettings | undefined {
  const options = { ...config.options };
  for (const key of OMNI_CONNECT_OPTIONS) delete options[key];
  const { egress, subscribeWebhooks, ...componentOptions } = options;
  const merged: Record<string, unknown> = { ...componentOptions, ...config.credentials };
  const given = Object.keys(merged).length > 0 || egress !== undefined || subscribeWebhooks !== undefined;
  if (!given) return undefined;
  const settings: InstanceSettings = { config: merged, subscribeWebhooks: subscribeWebhooks === true };
  if (Array.isArray(egress)) settings.egress = egress.filter((h): h is string => typeof h === 'string');
  return settings;
}

/** `update` over `stored`: a connect that names only some settings (a rotated access token)
 * keeps the others. */
export function mergeSettings(stored: InstanceSettings | undefined, update: InstanceSettings): InstanceSettings {
  if (!stored) return update;
  const merged: InstanceSettings = {
    config: { ...stored.config, ...update.config },
    subscribeWebhooks: update.subscribeWebhooks || stored.subscribeWebhooks,
  };
  const egress = update.egress ?? stored.egress;
  if (egress) merged.egress = egress;
  return merged;
}

/** Where the operator lists the origins instances may reach when the plugin's options do not. */
export const EGRESS_ENV = 'WHATSAPP_CLOUD_EGRESS';

/** The operator's origins from `WHATSAPP_CLOUD_EGRESS` (separated by commas or spaces);
 * `undefined` when it is unset or empty, leaving the host's default (public `https` names). */
export function egressFromEnvironment(env: Record<string, string | undefined>): string[] | undefined {
  const origins = (env[EGRESS_ENV] ?? '').split(/[\s,]+/).filter((origin) => origin.length > 0);
  return origins.length > 0 ? origins : undefined;
}
