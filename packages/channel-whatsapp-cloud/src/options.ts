/** How the plugin is set up beyond what omni passes it: every field has a default. */

import type { NativeRuntimeLimits } from './native.js';

export interface WhatsAppCloudPluginOptions {
  /** How long published event ids are remembered to drop Meta's redeliveries. */
  dedupTtlMs?: number;
  /** How long a chat's last received message is remembered (for read receipts and typing). */
  chatTtlMs?: number;
  /** Largest webhook body accepted (default 4 MiB; Meta documents deliveries of up to 3 MB). */
  maxWebhookBytes?: number;
  /** Largest event payload published (default 1 MiB less 16 KiB for omni's envelope: NATS's
   * default `max_payload`). The component sheds the raw copy of a larger event, or reports the
   * item instead, so the rest of the delivery is still published. */
  maxEventBytes?: number;
  /** omni's webhook base, where media links point (default: omni's `webhookBaseUrl`, which
   * omni serves at `/webhooks`: links are `{base}/whatsapp-cloud/media/...`). */
  mediaBaseUrl?: string;
  /** How long a media link stays valid, in seconds (default 3600). */
  mediaLinkTtlSeconds?: number;
  /** The plugin's secret (at least 32 bytes), from which the keys that encrypt the stored
   * instance settings and sign media links are derived. Default: `WHATSAPP_CLOUD_SECRET`, else
   * a key file beside omni's data (see `secretKeyFile`). omni replicas behind one load balancer
   * need the same one. */
  secret?: string;
  /** Where the generated secret is kept when none is given (default
   * `{omni's data}/whatsapp-cloud/secret.key`, beside `MEDIA_STORAGE_PATH`). */
  secretKeyFile?: string;
  /** The origins instances may reach (`https://graph.facebook.com`...), as the operator lists
   * them: omni's API callers choose an instance's settings, its Graph base URL included, so an
   * instance is granted only the origins its component declares within this list. Default:
   * `WHATSAPP_CLOUD_EGRESS` (origins separated by commas or spaces); without either, `https`
   * origins named by DNS that resolve to public addresses (never loopback or private ones). */
  egress?: string[];
  /** The host's limits and capacity (see `NativeRuntimeLimits`), and another component than the
   * package's own (tests run a misbehaving one). */
  runtime?: NativeRuntimeLimits & { component?: string };
}

/** A day, the default time events and chats are remembered. */
export const DAY_MS = 24 * 60 * 60 * 1000;
/** The largest webhook body taken unless `maxWebhookBytes` says otherwise. */
export const DEFAULT_MAX_WEBHOOK_BYTES = 4 * 1024 * 1024;
