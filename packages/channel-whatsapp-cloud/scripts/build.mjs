#!/usr/bin/env node
/**
 * The package's build step (`bun run build`, `npm run build`): turns the component cargo built
 * into everything the package needs at run time.
 *
 * 1. Finds the component: `$WHATSAPP_CLOUD_COMPONENT`, or the one `cargo test` builds in this
 *    repository (built here with `cargo run -p build-support` when it is missing).
 * 2. Transpiles it with jco's transpiler (pinned) into `generated/component/`: plain ESM and
 *    core wasm, no runtime dependency (the component imports no WASI).
 * 3. Asks the component who it is (`plugin.info`, `plugin.config-schema`) and writes
 *    `generated/plugin-info.json`: the plugin's capabilities come from the component, one source.
 * 4. Compiles `src/` to `dist/` for Node (Bun runs `src/` as it is).
 *
 * `--test-components` also transpiles the misbehaving test component into `test/generated/`.
 * Inside omni, without this repository's cargo workspace, an existing build is kept.
 */

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repository = resolve(packageDir, '../..');
const generated = join(packageDir, 'generated');

/** The `.wasm` of a workspace package, built by cargo if need be; `undefined` outside the repo. */
function cargoComponent(cratePackage) {
  if (!existsSync(join(repository, 'Cargo.toml')) || !existsSync(join(repository, 'build-support'))) return undefined;
  const output = execFileSync(
    'cargo',
    ['run', '--quiet', '--manifest-path', join(repository, 'Cargo.toml'), '-p', 'build-support', '--bin', 'build-component', '--', cratePackage],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return output.trim().split('\n').pop();
}

/** Transpiles `wasm` into `outDir` unless it already holds that exact component. */
async function transpileInto(wasm, name, outDir) {
  const bytes = readFileSync(wasm);
  const digest = createHash('sha256').update(bytes).digest('hex');
  const stamp = join(outDir, 'component.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return { digest, fresh: false };
  const { transpileBytes } = await import('@bytecodealliance/jco-transpile');
  const { files } = await transpileBytes(bytes, {
    name,
    // The component process instantiates synchronously, with its own imports and core modules.
    instantiation: 'sync',
    // A WIT result's error arrives as jco's `ComponentError` with the payload: distinct from a trap.
    noComponentErrorWrapping: false,
    quiet: true,
  });
  rmSync(outDir, { recursive: true, force: true });
  for (const [file, source] of Object.entries(files)) {
    const path = join(outDir, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, source);
  }
  writeFileSync(stamp, digest);
  return { digest, fresh: true };
}

/** `plugin.info` and `plugin.config-schema`, asked of the component itself. */
async function describe(componentJs, digest) {
  const { instantiate } = await import(pathToFileURL(componentJs).href);
  const directory = dirname(componentJs);
  const refuse = () => {
    throw new Error('plugin.info and plugin.config-schema use no import');
  };
  const root = instantiate(
    (file) => new WebAssembly.Module(readFileSync(join(directory, file))),
    {
      'omni:channel/outbound-http': { send: refuse },
      'omni:channel/events': { publish: refuse },
      'omni:channel/logging': { log: () => {} },
      'omni:channel/media-links': { link: refuse },
      'omni:channel/types': {},
    },
  );
  const info = root.plugin.info();
  const features = Object.entries(info.capabilities.features)
    .filter(([, on]) => on)
    .map(([feature]) => feature);
  return {
    id: info.id,
    name: info.name,
    version: info.version,
    contract: info.contract,
    component: { sha256: digest },
    capabilities: {
      features,
      maxTextLength: info.capabilities.maxTextLength,
      media: info.capabilities.media.map((m) => ({ kind: m.kind, maxBytes: Number(m.maxBytes), mimeTypes: m.mimeTypes })),
    },
    configSchema: JSON.parse(root.plugin.configSchema()),
  };
}

function findComponent(envName, cratePackage) {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  return cargoComponent(cratePackage);
}

async function main() {
  const testComponents = process.argv.includes('--test-components');
  const wasm = findComponent('WHATSAPP_CLOUD_COMPONENT', 'whatsapp-cloud-plugin');
  const componentJs = join(generated, 'component', 'whatsapp_cloud_plugin.js');
  if (!wasm) {
    if (!existsSync(componentJs)) {
      throw new Error('no component to build from: set WHATSAPP_CLOUD_COMPONENT to the .wasm, or build in the repository');
    }
    console.log('channel-whatsapp-cloud: no cargo workspace here; keeping the existing build in generated/');
    return;
  }
  const { digest, fresh } = await transpileInto(wasm, 'whatsapp_cloud_plugin', join(generated, 'component'));
  const described = await describe(componentJs, digest);
  described.component = { sha256: digest, bytes: readFileSync(wasm).length };
  writeFileSync(join(generated, 'plugin-info.json'), `${JSON.stringify(described, null, 2)}\n`);
  console.log(`channel-whatsapp-cloud: component ${digest.slice(0, 12)} (${described.component.bytes} bytes)${fresh ? ' transpiled' : ' unchanged'}`);

  if (testComponents) {
    const misbehaving = findComponent('MISBEHAVING_COMPONENT', 'misbehaving-plugin');
    if (!misbehaving) throw new Error('the test components are built from the repository');
    await transpileInto(misbehaving, 'misbehaving_plugin', join(packageDir, 'test', 'generated', 'misbehaving'));
  }

  // Node runs the compiled package; Bun (and omni) run src/ directly. Outside omni the type
  // checker needs omni's two packages: the test stand-ins.
  execFileSync(process.execPath, [join(packageDir, 'scripts', 'link-omni-stand-ins.mjs')], { stdio: 'inherit' });
  const tsc = join(packageDir, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(packageDir, 'tsconfig.build.json')], { stdio: 'inherit' });
}

await main();
