/**
 * Where the package is: the directory of its `package.json`, found from this module, so that
 * `generated/` (the component, the runtime, the component's info) is found whether the package
 * runs from `src/` (Bun, omni), `dist/` (Node) or a compiled copy of its tests.
 */

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NAME = '@omni/channel-whatsapp-cloud';

function find(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`${NAME}: no package.json of the package above ${from}`);
  }
}

export const packageRoot = find(dirname(fileURLToPath(import.meta.url)));

/** A file of `generated/`. */
export function generatedFile(name: string): string {
  return join(packageRoot, 'generated', name);
}
