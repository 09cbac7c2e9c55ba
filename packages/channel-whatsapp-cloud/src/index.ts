/**
 * WhatsApp Business Cloud API channel for Omni v2.
 *
 * The channel's logic is a sandboxed WebAssembly component (the same one `omni-host` runs); this
 * package runs it in omni's own process, through `omni-host`'s runtime built as a Node-API addon.
 * omni discovers it as `packages/channel-whatsapp-cloud` and loads the default export.
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

export { WhatsAppCloudPlugin } from './plugin.js';
export type { WhatsAppCloudPluginOptions } from './options.js';
export type { BlockOutcome, BusinessProfile, CallAction, CallSession, GroupAction, GroupOutcome, ProfileUpdate } from './actions.js';
export { WHATSAPP_CLOUD_CAPABILITIES, capabilitiesOf } from './capabilities.js';
export { componentInfo, type ComponentInfo } from './component-info.js';
export { WhatsAppCloudError, type ErrorSummary, type ConfigProblem } from './errors.js';
export { loadNative, platformName } from './native.js';
