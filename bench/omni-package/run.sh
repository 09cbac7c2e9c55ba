#!/usr/bin/env bash
# The omni package's benchmark on Bun and on Node, one after the other, on the same machine.
# Builds the package first (the component cargo built, transpiled; the test stand-ins of omni's
# packages compiled for Node). Usage: bash bench/omni-package/run.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/../.."
export BENCH_ITERATIONS="${1:-2000}"
(cd packages/channel-whatsapp-cloud && npm ci --silent --no-audit --no-fund && npm run --silent build && npm run --silent build:stand-ins)
bun_bin="$(command -v bun || echo target/tools/node_modules/.bin/bun)"
"$bun_bin" bench/omni-package/bench.mjs
node bench/omni-package/bench.mjs
du -sb packages/channel-whatsapp-cloud/generated packages/channel-whatsapp-cloud/src packages/channel-whatsapp-cloud/dist
