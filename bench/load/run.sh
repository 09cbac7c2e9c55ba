#!/usr/bin/env bash
# End-to-end load on `serve` (release build) over loopback with wrk, at 1 and 64 connections,
# with the JSON-lines sink and with NATS JetStream; reports requests/s, latency percentiles and
# the server's peak memory (VmHWM). Needs wrk, nats-server and python3. See BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-15s}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

cargo build --release -p omni-host >/dev/null
BIN=target/release/omni-host
python3 bench/load/make-bodies.py load-secret 50000 "$WORK/bodies.txt"
cat > "$WORK/config.toml" <<TOML
[[instances]]
id = "load"
app_secret = "load-secret"
verify_token = "load-verify"
phone_number_id = "106540352242922"
business_account_id = "102290129340398"
access_token = "EAAload"
graph_base_url = "http://127.0.0.1:9"
TOML

run() { # sink connections
  local sink=$1 conns=$2 port=18765
  $BIN serve --config "$WORK/config.toml" --listen 127.0.0.1:$port --events "$sink" --max-concurrency 64 &
  local pid=$!
  until curl -sf http://127.0.0.1:$port/healthz >/dev/null; do sleep 0.1; done
  echo "== sink=${sink%%:*} connections=$conns"
  wrk -t "$(( conns < 2 ? 1 : 2 ))" -c "$conns" -d "$DURATION" --latency -s bench/load/webhook.lua \
    "http://127.0.0.1:$port/webhooks/whatsapp-cloud/load" -- "$WORK/bodies.txt" \
    | grep -E "Requests/sec|Latency |  50%|  99%|non-2xx"
  grep VmHWM /proc/$pid/status
  kill -TERM $pid; wait $pid || true
}

for conns in 1 64; do run "jsonl:$WORK/events.jsonl" "$conns"; done
nats-server -js -a 127.0.0.1 -p 14222 -sd "$WORK/nats" >/dev/null 2>&1 &
sleep 1
for conns in 1 64; do run "nats://127.0.0.1:14222" "$conns"; done
