#!/usr/bin/env bash
# The omni package against whatsapp-api-js in one process, on Bun and then on Node, on the same
# machine (see bench.mjs). Builds the package with a release build of its runtime (the first one
# takes several minutes) and installs the peer. Usage: bash bench/omni-package/run.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/../.."
export BENCH_ITERATIONS="${1:-2000}"
(cd bench/peers/whatsapp-api-js && npm ci --silent --no-audit --no-fund)
(cd packages/channel-whatsapp-cloud && npm ci --silent --no-audit --no-fund \
    && WHATSAPP_CLOUD_CARGO_PROFILE=release npm run --silent build && npm run --silent build:stand-ins)
bun_bin="$(command -v bun || echo target/tools/node_modules/.bin/bun)"
"$bun_bin" bench/omni-package/bench.mjs
node --expose-gc bench/omni-package/bench.mjs
