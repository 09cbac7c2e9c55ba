#!/usr/bin/env node
/**
 * The package's build step (`bun run build`, `npm run build`): everything the package needs at
 * run time, in `generated/`.
 *
 * 1. Compiles `src/` to `dist/` for Node (Bun runs `src/` as it is; the type checker gets omni's
 *    two packages from the test stand-ins outside omni).
 * 2. The component: `$WHATSAPP_CLOUD_COMPONENT`, or the one this repository builds (with
 *    `cargo run -p build-support` when it is missing) → `generated/whatsapp_cloud_plugin.wasm`.
 * 3. The host runtime for this platform: `cargo build -p omni-host-node` (profile
 *    `$WHATSAPP_CLOUD_CARGO_PROFILE`, `release` unless told `dev`) →
 *    `generated/whatsapp-cloud.<platform>.node` (`linux-x64-gnu`...).
 * 4. Asks the component who it is (`plugin.info`, `plugin.config-schema`) through that runtime
 *    and writes `generated/plugin-info.json`: the plugin's capabilities come from the component.
 *
 * `--test-components` also copies the misbehaving test component to `test/generated/`.
 * Inside omni, without this repository's cargo workspace, an existing build is kept.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repository = resolve(packageDir, '../..');
const generated = join(packageDir, 'generated');
const inRepository = existsSync(join(repository, 'Cargo.toml')) && existsSync(join(repository, 'host-node'));

function cargo(args, options = {}) {
  return execFileSync('cargo', [...args, '--manifest-path', join(repository, 'Cargo.toml')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  });
}

/** The `.wasm` of a workspace package, built by cargo if need be. */
function cargoComponent(cratePackage) {
  console.log(`channel-whatsapp-cloud: building the component ${cratePackage} (cargo, wasm32; a first build takes a minute or two)`);
  const output = cargo(['run', '--quiet', '-p', 'build-support', '--bin', 'build-component', '--', cratePackage]);
  return output.trim().split('\n').pop();
}

/** Builds the addon and returns the path of the shared library cargo wrote. */
function cargoAddon() {
  const profile = process.env.WHATSAPP_CLOUD_CARGO_PROFILE ?? 'release';
  const metadata = JSON.parse(cargo(['metadata', '--format-version', '1', '--no-deps']));
  console.log(`channel-whatsapp-cloud: building the host runtime (cargo, profile ${profile}; the first release build takes several minutes)`);
  cargo(['build', '-p', 'omni-host-node', '--profile', profile], { stdio: ['ignore', 'inherit', 'inherit'] });
  const directory = join(metadata.target_directory, profile === 'dev' ? 'debug' : profile);
  const file = { darwin: 'libomni_host_node.dylib', win32: 'omni_host_node.dll' }[process.platform] ?? 'libomni_host_node.so';
  return join(directory, file);
}

/** Copies `from` to `to` through a temporary file: a process that has the old one loaded keeps it. */
function replace(from, to) {
  mkdirSync(dirname(to), { recursive: true });
  const temporary = `${to}.${process.pid}.tmp`;
  copyFileSync(from, temporary);
  renameSync(temporary, to);
}

function main() {
  const testComponents = process.argv.includes('--test-components');
  // 1. dist/, for Node, and for this script's own use of the loader.
  execFileSync(process.execPath, [join(packageDir, 'scripts', 'link-omni-stand-ins.mjs')], { stdio: 'inherit' });
  const tsc = join(packageDir, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.build.json')], { stdio: 'inherit' });

  const wasm = process.env.WHATSAPP_CLOUD_COMPONENT ?? (inRepository ? cargoComponent('whatsapp-cloud-plugin') : undefined);
  if (!wasm) {
    if (!existsSync(join(generated, 'plugin-info.json'))) {
      throw new Error('nothing to build from: build the package in its repository, or set WHATSAPP_CLOUD_COMPONENT');
    }
    console.log('channel-whatsapp-cloud: no cargo workspace here; keeping the existing build in generated/');
    return;
  }
  // 2. the component.
  const component = join(generated, 'whatsapp_cloud_plugin.wasm');
  replace(wasm, component);
  const bytes = readFileSync(component);

  // 3. the host runtime for this platform.
  return import(pathToFileURL(join(packageDir, 'dist', 'native.js')).href).then(({ builtAddonPath, platformName }) => {
    replace(cargoAddon(), builtAddonPath());

    // 4. who the component is, asked through the runtime.
    const require = createRequire(import.meta.url);
    const { Host } = require(builtAddonPath());
    const host = Host.load(
      { component, errorFamily: 'WHATSAPP', mediaLinksUrl: 'http://localhost/media', mediaLinkKey: Buffer.alloc(32) },
      async () => 'ok',
      () => {},
    );
    const info = JSON.parse(host.info());
    const described = {
      ...info,
      component: { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length },
      configSchema: JSON.parse(host.configSchema()),
    };
    writeFileSync(join(generated, 'plugin-info.json'), `${JSON.stringify(described, null, 2)}\n`);
    console.log(
      `channel-whatsapp-cloud: component ${described.component.sha256.slice(0, 12)} (${bytes.length} bytes), runtime for ${platformName()}`,
    );

    if (testComponents) {
      const misbehaving = process.env.MISBEHAVING_COMPONENT ?? (inRepository ? cargoComponent('misbehaving-plugin') : undefined);
      if (!misbehaving) throw new Error('the test components are built from the repository');
      replace(misbehaving, join(packageDir, 'test', 'generated', 'misbehaving_plugin.wasm'));
    }
  });
}

await main();
