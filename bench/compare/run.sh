#!/usr/bin/env bash
# The comparison BENCHMARKS.md reports, in one run: per webhook, the component (criterion:
# floor, native, reused instance, fresh instance) interleaved round by round with the peers
# (whatsapp-api-js, pywa) on the same payloads (bench/payloads); then end to end, `serve`
# beside whatsapp-api-js behind node:http under the same wrk load (bench/load, interleaved
# itself). Prints the per-webhook table (median of the round medians, and their spread) and the
# load table. Takes about 10 minutes on 2 cores.
#
# Needs what bench/peers and bench/load need (node + npm, python3 + venv, wrk, nats-server).
# Env: ROUNDS (3), LOAD_ROUNDS (2), DURATION (10s), OUT (a directory kept for the raw results).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
echo "== raw results in $OUT" >&2

cargo bench -p omni-host --bench plugin --no-run >&2
for round in $(seq "$ROUNDS"); do
  echo "== round $round/$ROUNDS: component (criterion)" >&2
  cargo bench -p omni-host --bench plugin -- --warm-up-time 1 --measurement-time 3 webhook/ >&2
  python3 bench/compare/criterion_medians.py target/criterion/webhook > "$OUT/component-$round.jsonl"
  echo "== round $round/$ROUNDS: peers" >&2
  ROUNDS=1 ITERATIONS=${ITERATIONS:-2000} bash bench/peers/run.sh > "$OUT/peers-$round.jsonl"
done
python3 bench/compare/summarize.py "$OUT"/component-*.jsonl "$OUT"/peers-*.jsonl | tee "$OUT/per-webhook.md"

echo "== end to end (wrk)" >&2
ROUNDS=${LOAD_ROUNDS:-2} DURATION=${DURATION:-10s} RESULTS="$OUT/load.tsv" bash bench/load/run.sh >&2
cat "$OUT/load.tsv"
