#!/usr/bin/env bash
# Every test of the project, in one command (the README's): the Rust workspace (which builds the
# components from source), then the omni package's tests on Bun and on Node.
set -euo pipefail
cd "$(dirname "$0")/.."

# The crates' modules form a DAG (no module imports one that imports it back).
python3 scripts/module-cycles.py sdk/src plugin/src host-harness/src

cargo test "$@"
# The host with no channel built in (feature `whatsapp` off) runs a second channel as it is.
cargo test "$@" -p omni-host --no-default-features --test second_channel

# The omni package: Bun from the npm registry when it is not installed, the package's pinned
# dev dependencies, its build (the component cargo just built, and omni-host's runtime as a
# Node-API addon, built in the same target/ and profile as the tests above so that nothing of
# wasmtime is compiled twice), then its tests on Bun and on Node.
BUN_VERSION=1.4.5
if ! command -v bun >/dev/null || [ "$(bun --version)" != "$BUN_VERSION" ]; then
    tools="$PWD/target/tools"
    if [ ! -x "$tools/node_modules/.bin/bun" ] || [ "$("$tools/node_modules/.bin/bun" --version)" != "$BUN_VERSION" ]; then
        echo "installing bun $BUN_VERSION into target/tools (from the npm registry)"
        npm install --silent --no-audit --no-fund --prefix "$tools" "bun@$BUN_VERSION"
    fi
    export PATH="$tools/node_modules/.bin:$PATH"
fi

cd packages/channel-whatsapp-cloud
npm ci --silent --no-audit --no-fund
WHATSAPP_CLOUD_CARGO_PROFILE=dev npm test

# omni itself, when a checkout of it is given (OMNI_SRC); otherwise this says so and passes.
cd ../..
bash scripts/omni-e2e.sh
