import { channelRegistry } from '../base/ChannelRegistry.js';
import type { Logger } from '../types/context.js';
import type { ChannelPlugin } from '../types/plugin.js';
import { loadChannelPlugin } from './loader.js';
import { type DiscoveredPackage, getDefaultPackagesDir, scanChannelPackages } from './scanner.js';

export { scanChannelPackages, getDefaultPackagesDir } from './scanner.js';
export type { DiscoveredPackage } from './scanner.js';
export { loadChannelPlugin, loadChannelPlugins } from './loader.js';
export type { LoadResult } from './loader.js';
export { validatePluginInterface, isValidChannelType, formatValidationErrors } from './validator.js';
export type { ValidationResult, ValidationError } from './validator.js';

export interface DiscoveryResult {
  registered: ChannelPlugin[];
  failed: Array<{ path: string; error: string }>;
  discovered: number;
}

/** Scan, load and register every channel package into `channelRegistry`; never throws. */
export async function discoverAndRegisterPlugins(options?: {
  packagesDir?: string;
  logger?: Logger;
}): Promise<DiscoveryResult> {
  const packagesDir = options?.packagesDir ?? getDefaultPackagesDir();
  const logger = options?.logger;
  const result: DiscoveryResult = { registered: [], failed: [], discovered: 0 };

  let packages: DiscoveredPackage[];
  try {
    packages = await scanChannelPackages(packagesDir);
  } catch (error) {
    logger?.error('Failed to scan packages directory', { error: String(error) });
    return result;
  }
  result.discovered = packages.length;

  if (packages.length === 0) {
    logger?.info('No channel packages discovered');
    return result;
  }
  logger?.info(`Discovered ${packages.length} channel package(s)`, { packages: packages.map((p) => p.name) });

  for (const pkg of packages) {
    const loaded = await loadChannelPlugin(pkg.path, logger);
    if (!loaded.success || !loaded.plugin) {
      result.failed.push({ path: pkg.path, error: loaded.error ?? 'Unknown error' });
      continue;
    }
    try {
      channelRegistry.register(loaded.plugin);
      result.registered.push(loaded.plugin);
    } catch (error) {
      result.failed.push({ path: pkg.path, error: `Registration failed: ${String(error)}` });
    }
  }
  return result;
}
