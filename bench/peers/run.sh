#!/usr/bin/env bash
# Both peer microbenchmarks on the shared payloads of bench/payloads: whatsapp-api-js (npm ci in
# bench/peers/whatsapp-api-js, run on the node on PATH) then pywa (a venv under target/bench-venv,
# see pywa/run.sh). Prints their JSON lines, one per peer and payload, on stdout; install chatter
# goes to stderr. Needs node >= 20 with npm, python3 >= 3.10 with venv, and the npm registry and
# PyPI for the first install.
# Env: ROUNDS (default 5), ITERATIONS per round and payload (default 2000), WARMUP (default
# ITERATIONS), PAYLOADS (default text,status,batch20,non_ascii); PEERS (default
# "whatsapp-api-js pywa").
set -euo pipefail
cd "$(dirname "$0")/../.."
export ROUNDS=${ROUNDS:-5} ITERATIONS=${ITERATIONS:-2000}
[[ -n ${WARMUP:-} ]] && export WARMUP
[[ -n ${PAYLOADS:-} ]] && export PAYLOADS
for peer in ${PEERS:-whatsapp-api-js pywa}; do
  case $peer in
    whatsapp-api-js)
      (cd bench/peers/whatsapp-api-js && npm ci --silent --no-audit --no-fund >&2)
      node bench/peers/whatsapp-api-js/bench.mjs ;;
    pywa)
      bash bench/peers/pywa/run.sh ;;
    *)
      echo "run.sh: unknown peer $peer (whatsapp-api-js or pywa)" >&2; exit 2 ;;
  esac
done
