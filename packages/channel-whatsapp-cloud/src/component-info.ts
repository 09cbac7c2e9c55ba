/**
 * Who the component says it is, as the build step asked it (`plugin.info`,
 * `plugin.config-schema`, through the host) and wrote to `generated/plugin-info.json`, beside
 * the component itself. omni reads a plugin's identity and capabilities as soon as it loads the
 * package, before any component runs; this is the component's own answer, not a second copy
 * kept by hand.
 */

import { readFileSync } from 'node:fs';

import { generatedFile } from './package-root.js';

/** The component's identity and capabilities, as JSON. */
export interface ComponentInfo {
  id: string;
  name: string;
  version: string;
  contract: string;
  /** The contract's optional interfaces the component exports (`receipts`, `media`...). */
  interfaces: string[];
  component: { sha256: string; bytes: number };
  capabilities: {
    /** The `plugin.features` flags that are set, by their WIT names (`send-text`...). */
    features: string[];
    maxTextLength: number;
    media: Array<{ kind: string; maxBytes: number; mimeTypes: string[] }>;
  };
  /** The JSON Schema of an instance's configuration. */
  configSchema: Record<string, unknown>;
}

export const componentInfo: ComponentInfo = JSON.parse(readFileSync(generatedFile('plugin-info.json'), 'utf8')) as ComponentInfo;

/** The component the package runs. */
export const componentPath = generatedFile('whatsapp_cloud_plugin.wasm');
