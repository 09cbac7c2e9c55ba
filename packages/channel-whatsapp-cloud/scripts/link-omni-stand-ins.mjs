#!/usr/bin/env node
/**
 * Outside omni, `@omni/channel-sdk` and `@omni/core` (the package's peer dependencies, omni's
 * workspace packages) do not resolve: link the test-owned stand-ins of `test/omni/` where module
 * resolution finds them, in the `node_modules` of the directory above the package — never in
 * the package itself, so a copy of the package into omni's `packages/` carries no stand-in.
 * Inside omni's workspace the real packages resolve and nothing is linked.
 */

import { mkdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(packageDir, 'package.json'));

/** Whether `name` is installed where the package's imports look for it. */
function resolves(name) {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch (error) {
    // Found, but its `exports` do not list package.json: installed all the same.
    return error.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED';
  }
}

const scope = join(packageDir, '..', 'node_modules', '@omni');
for (const name of ['channel-sdk', 'core']) {
  if (resolves(`@omni/${name}`)) continue;
  mkdirSync(scope, { recursive: true });
  const target = join(packageDir, 'test', 'omni', name);
  symlinkSync(relative(scope, target), join(scope, name), 'dir');
  console.log(`linked the test stand-in for @omni/${name} (${relative(process.cwd(), join(scope, name))})`);
}
