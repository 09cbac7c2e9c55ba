#!/usr/bin/env bash
# Hostile traffic against `omni-host serve` (release build) over loopback. Prints one RESULT line
# per scenario (detail lines above it) and a markdown table at the end. Needs only bash and python3.
#
#   1  unauthenticated 100 MB uploads ×16, and an announced 50 MB body with a valid token
#   2  1,100 idle connections (ulimit -n 1024, --header-timeout 5)
#   3  large deliveries under CPU contention
#   4  sends stuck on a slow Graph API (GRAPH_DELAY) vs webhooks and verification
#   5  SIGTERM with half-sent requests
#   6  2.5 / 3.5 / 5 MB signed batches
#   7  800 webhook bodies trickled at 1 B/s vs --max-connections 768 (Content-Length 4 MiB, then 1000)
#   8  1,000 connections holding 4 MiB - 1 B webhook bodies (known, then unknown instance): RSS,
#      and what a signed webhook gets meanwhile (200, or 503 + Retry-After at the body budget)
#   9  SIGHUP on an emptied config file; a reload storm (half / whole / empty file) under 2,000 webhooks
#  10  32 slow downloads of one 100 MiB file through the media route: RSS, and a send meanwhile
#  11  1,100 half-sent request heads (ulimit -n 1024)
#  12  a send through an instance whose Graph host does not resolve (graph.example.invalid)
#  13  the instances API with its token: {"env": "HOME"}, a loopback graphBaseUrl
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
