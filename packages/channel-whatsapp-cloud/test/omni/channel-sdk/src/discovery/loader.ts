import { createLogger } from '@omni/core';
import type { Logger } from '../types/context.js';
import type { ChannelPlugin } from '../types/plugin.js';
import { formatValidationErrors, validatePluginInterface } from './validator.js';

export interface LoadResult {
  success: boolean;
  plugin?: ChannelPlugin;
  error?: string;
  path: string;
}

const defaultLogger: Logger = createLogger('plugin-loader');

/**
 * Imports a plugin from an entry file (.ts/.js) or a package directory (its `src/index.ts`).
 * Takes the default export, else `plugin`, else `Plugin`; a class is instantiated with no arguments.
 * Never throws: failures come back as `{ success: false, error }`.
 */
export async function loadChannelPlugin(path: string, logger: Logger = defaultLogger): Promise<LoadResult> {
  try {
    let entryPath = path;
    if (!path.endsWith('.ts') && !path.endsWith('.js')) {
      entryPath = `${path}/src/index.ts`;
      logger.debug('Resolving plugin entry point from directory', { path, entryPath });
    }

    const mod = await import(entryPath);
    let plugin: unknown = mod.default || mod.plugin || mod.Plugin;
    if (!plugin) {
      return {
        success: false,
        path,
        error: 'No plugin export found. Export a default plugin or named "plugin" export.',
      };
    }

    if (typeof plugin === 'function') {
      try {
        plugin = new (plugin as new () => ChannelPlugin)();
      } catch (error) {
        return { success: false, path, error: `Failed to instantiate plugin class: ${String(error)}` };
      }
    }

    const validation = validatePluginInterface(plugin);
    if (!validation.valid) {
      return {
        success: false,
        path,
        error: `Invalid plugin interface:\n${formatValidationErrors(validation.errors)}`,
      };
    }

    const loaded = plugin as ChannelPlugin;
    logger.info(`Loaded plugin: ${loaded.id}`, { name: loaded.name, version: loaded.version });
    return { success: true, path, plugin: loaded };
  } catch (error) {
    return { success: false, path, error: `Failed to load plugin: ${String(error)}` };
  }
}

export async function loadChannelPlugins(paths: string[], logger: Logger = defaultLogger): Promise<LoadResult[]> {
  return Promise.all(paths.map((path) => loadChannelPlugin(path, logger)));
}
