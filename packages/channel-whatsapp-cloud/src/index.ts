/**
 * WhatsApp Business Cloud API channel for Omni v2.
 *
 * The channel's logic is a sandboxed WebAssembly component (the same one `omni-host` runs); this
 * package runs it in-process. omni discovers it as `packages/channel-whatsapp-cloud` and loads the
 * default export.
 *
 * @example
 * ```typescript
 * import whatsappCloud from '@omni/channel-whatsapp-cloud';
 * registry.register(whatsappCloud);
 * ```
 */

import { WhatsAppCloudPlugin } from './plugin.js';

const plugin = new WhatsAppCloudPlugin();
export default plugin;

export { WhatsAppCloudPlugin, type WhatsAppCloudPluginOptions } from './plugin.js';
export { WHATSAPP_CLOUD_CAPABILITIES, capabilitiesOf } from './capabilities.js';
export { componentInfo, type ComponentInfo } from './component-info.js';
export { WhatsAppCloudError, type ErrorSummary } from './errors.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export type { WhatsAppSendResult } from './sending.js';
export { ComponentRuntime, PluginFailure, type PluginFailureKind, type RuntimeOptions } from './runtime/index.js';
