import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface DiscoveredPackage {
  name: string;
  path: string;
  packageJsonPath: string;
}

/** Directories named `channel-*` (except `channel-sdk`) that have a package.json. */
export async function scanChannelPackages(packagesDir: string): Promise<DiscoveredPackage[]> {
  let entries;
  try {
    entries = await readdir(packagesDir, { withFileTypes: true });
  } catch {
    throw new Error(`Failed to scan packages directory: ${packagesDir}`);
  }

  const found: DiscoveredPackage[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith('channel-') || entry.name === 'channel-sdk') continue;
    const path = join(packagesDir, entry.name);
    const packageJsonPath = join(path, 'package.json');
    try {
      await stat(packageJsonPath);
    } catch {
      continue;
    }
    found.push({ name: entry.name, path, packageJsonPath });
  }
  return found;
}

export function getDefaultPackagesDir(): string {
  return join(process.cwd(), 'packages');
}
