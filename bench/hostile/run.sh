#!/usr/bin/env bash
# Hostile traffic against `omni-host serve` (release build) over loopback: unauthenticated
# 100 MB uploads, 1,100 idle connections, large deliveries under CPU contention, sends stuck on a
# slow Graph API, SIGTERM with half-sent requests, and 2.5 / 3.5 / 5 MB batches. Prints one
# RESULT line per scenario (detail lines above it) and a markdown table at the end. Needs only bash and python3.
#
#   bash bench/hostile/run.sh                 # builds target/release/omni-host first
#   OMNI_HOST_BIN=path/to/omni-host bash bench/hostile/run.sh
#   GRAPH_DELAY=30 ONLY=2,5 bash bench/hostile/run.sh   # fake Graph delay (s), scenario subset
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ -z "${OMNI_HOST_BIN:-}" ]]; then
  echo "== building omni-host (release, nice)" >&2
  nice -n 10 cargo build --release -p omni-host >&2
  OMNI_HOST_BIN=target/release/omni-host
fi
[[ -x "$OMNI_HOST_BIN" ]] || { echo "omni-host binary not found: $OMNI_HOST_BIN" >&2; exit 1; }

PY_PID=
cleanup() {
  if [[ -n "$PY_PID" ]] && kill -0 "$PY_PID" 2>/dev/null; then
    kill -TERM "$PY_PID" 2>/dev/null || true
    wait "$PY_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python3 -u bench/hostile/hostile.py --bin "$OMNI_HOST_BIN" --only "${ONLY:-}" \
  --graph-delay "${GRAPH_DELAY:-30}" &
PY_PID=$!
set +e
wait "$PY_PID"
rc=$?
set -e
PY_PID=
exit "$rc"
