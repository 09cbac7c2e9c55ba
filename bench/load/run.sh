#!/usr/bin/env bash
# End-to-end load over loopback with wrk, at 1 and 64 connections, on:
#   serve-jsonl  `omni-host serve --events jsonl:PATH` (release build)
#   node         whatsapp-api-js behind node:http (bench/peers/node-http/server.mjs), doing the
#                same work: verify, dispatch, append one JSON event line per message, answer 200
#   serve-nats   `omni-host serve --events nats://...` into NATS JetStream (nats-server -js)
# The same signed bodies (make-bodies.py, secret `load-secret`, path /webhooks/whatsapp-cloud/load)
# and the same wrk script (webhook.lua) drive every target. Runs are interleaved (for each round,
# for each connection count: serve-jsonl, node, serve-nats), each on a freshly started server, so
# drift of the machine spreads over all targets. Prints each run's wrk lines as it goes and one
# summary table at the end: requests/s, p50, p99, non-2xx, socket errors, the server's peak RSS
# (VmHWM; for serve-nats the nats-server process is not counted), and wrk's request count beside
# the event lines the server wrote in the same run (a check that it did the work; "-" for NATS).
#
# Needs: wrk (Debian: `apt-get install -y wrk`), python3, curl; cargo (builds omni-host unless
# OMNI_HOST is given); node >= 20 and npm for the node peer (`npm ci` in
# bench/peers/whatsapp-api-js is run here); nats-server (Debian: `apt-get install -y
# nats-server`) for the NATS rows.
#
# Env (defaults):
#   DURATION=10s    wrk duration of each measured run
#   WARMUP=2s       unmeasured wrk run on each fresh server first (0 to skip)
#   ROUNDS=2        interleaved rounds
#   CONNECTIONS="1 64"
#   NODE=1          include the node peer (default 1 if node is on PATH)
#   NATS=1          include the NATS rows (default 1 if nats-server is on PATH)
#   BODIES=50000    distinct signed bodies (each run cycles through them)
#   OMNI_HOST=PATH  use this omni-host binary instead of `cargo build --release -p omni-host`
#   BASELINE=PATH   also run an earlier omni-host binary (rows serve-jsonl-base, serve-nats-base),
#                   interleaved with the others: before and after from one run
#   RESULTS=PATH    also write the summary as TSV to PATH
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-2}
CONNECTIONS=${CONNECTIONS:-1 64}
BODIES=${BODIES:-50000}
if [[ -z ${NODE:-} ]]; then command -v node >/dev/null && NODE=1 || NODE=0; fi
if [[ -z ${NATS:-} ]]; then command -v nats-server >/dev/null && NATS=1 || NATS=0; fi
SERVE_PORT=18765
NODE_PORT=18766
NATS_PORT=14222
URL_PATH=/webhooks/whatsapp-cloud/load

for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not on PATH (see the top of this script)" >&2; exit 1; }
done

WORK=$(mktemp -d)
cleanup() {
  local pids
  pids=$(jobs -p)
  [[ -n $pids ]] && kill $pids 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -n ${OMNI_HOST:-} ]]; then
  BIN=$OMNI_HOST
else
  echo "== building omni-host (release; the first build takes several minutes)" >&2
  cargo build --release -p omni-host >/dev/null
  BIN=target/release/omni-host
fi
if [[ $NODE == 1 ]]; then
  (cd bench/peers/whatsapp-api-js && npm ci --silent --no-audit --no-fund >/dev/null)
  NODE_VERSION=$(node --version)
fi

python3 bench/load/make-bodies.py load-secret "$BODIES" "$WORK/bodies.txt"
cat > "$WORK/config.toml" <<TOML
[[instances]]
id = "load"

[instances.config]
appSecret = "load-secret"
webhookVerifyToken = "load-verify"
phoneNumberId = "106540352242922"
businessAccountId = "102290129340398"
accessToken = "EAAload"
graphBaseUrl = "http://127.0.0.1:9"
TOML

wait_healthy() { # port pid
  local port=$1 pid=$2 tries=0
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "run.sh: server on port $port exited" >&2; cat "$WORK/server.log" >&2; return 1; }
    (( ++tries > 600 )) && { echo "run.sh: server on port $port not healthy after 60 s" >&2; return 1; }
    sleep 0.1
  done
}

stop() { # pid
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# wrk with the shared script; the measured run's output goes to $WORK/wrk.out.
drive() { # port connections duration
  wrk -t "$(( $2 < 2 ? 1 : 2 ))" -c "$2" -d "$3" --latency -s bench/load/webhook.lua \
    "http://127.0.0.1:$1$URL_PATH" -- "$WORK/bodies.txt"
}

# wrk prints latencies as 812.00us, 1.23ms or 1.02s: normalised to ms.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) printf "%.3f", substr(v, 1, length(v) - 2) / 1000;
    else if (v ~ /ms$/) printf "%.2f", substr(v, 1, length(v) - 2);
    else if (v ~ /m$/) printf "%.0f", substr(v, 1, length(v) - 1) * 60000;
    else if (v ~ /s$/) printf "%.1f", substr(v, 1, length(v) - 1) * 1000;
    else printf "%s", v }'
}

printf "target\tconnections\tround\treq_per_s\tp50_ms\tp99_ms\tnon_2xx\tsocket_errors\tvmhwm_mb\trequests\tevents\n" \
  > "$WORK/summary.tsv"

run() { # target connections round
  local target=$1 conns=$2 round=$3 pid port nats_pid="" bin=$BIN
  if [[ $target == *-base ]]; then bin=$BASELINE; fi
  case ${target%-base} in
    serve-jsonl)
      port=$SERVE_PORT
      "$bin" serve --config "$WORK/config.toml" --listen 127.0.0.1:$port \
        --events "jsonl:$WORK/events.jsonl" --max-concurrency 64 >"$WORK/server.log" 2>&1 &
      pid=$! ;;
    serve-nats)
      port=$SERVE_PORT
      rm -rf "$WORK/nats"
      nats-server -js -a 127.0.0.1 -p $NATS_PORT -sd "$WORK/nats" >"$WORK/nats.log" 2>&1 &
      nats_pid=$!
      local tries=0
      until (echo >"/dev/tcp/127.0.0.1/$NATS_PORT") 2>/dev/null; do
        (( ++tries > 100 )) && { echo "run.sh: nats-server did not start" >&2; cat "$WORK/nats.log" >&2; return 1; }
        sleep 0.1
      done
      "$bin" serve --config "$WORK/config.toml" --listen 127.0.0.1:$port \
        --events "nats://127.0.0.1:$NATS_PORT" --max-concurrency 64 >"$WORK/server.log" 2>&1 &
      pid=$! ;;
    node)
      port=$NODE_PORT
      node bench/peers/node-http/server.mjs $port --events "$WORK/events.jsonl" \
        --secret load-secret --instance load >"$WORK/server.log" 2>&1 &
      pid=$! ;;
  esac
  wait_healthy "$port" "$pid"
  echo "== $target connections=$conns round=$round"
  [[ $WARMUP != 0 ]] && drive "$port" "$conns" "$WARMUP" >/dev/null
  # Both servers append (O_APPEND) to the events file: emptied after the warm-up, its line count
  # after the run says whether each answered request really published its event.
  : > "$WORK/events.jsonl"
  drive "$port" "$conns" "$DURATION" > "$WORK/wrk.out"
  grep -E "Requests/sec|Latency |  50%|  99%|requests in|non-2xx" "$WORK/wrk.out" || true
  local hwm events=-
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  echo "VmHWM: $hwm kB"
  stop "$pid"
  [[ -n $nats_pid ]] && stop "$nats_pid"
  [[ ${target%-base} != serve-nats ]] && events=$(wc -l < "$WORK/events.jsonl")
  rm -f "$WORK/events.jsonl"

  local rps p50 p99 non2xx sockerr requests
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk.out")
  requests=$(awk '$2 == "requests" && $3 == "in" {print $1}' "$WORK/wrk.out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$WORK/wrk.out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")")
  non2xx=$(sed -n 's/^non-2xx responses: \([0-9]*\), socket errors: \([0-9]*\)$/\1/p' "$WORK/wrk.out")
  sockerr=$(sed -n 's/^non-2xx responses: \([0-9]*\), socket errors: \([0-9]*\)$/\2/p' "$WORK/wrk.out")
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$target" "$conns" "$round" "${rps:-?}" "${p50:-?}" \
    "${p99:-?}" "${non2xx:-?}" "${sockerr:-?}" "$(awk -v k="$hwm" 'BEGIN {printf "%.1f", k / 1024}')" \
    "${requests:-?}" "$events" >> "$WORK/summary.tsv"
}

targets=(serve-jsonl)
[[ -n ${BASELINE:-} ]] && targets+=(serve-jsonl-base)
[[ $NODE == 1 ]] && targets+=(node)
[[ $NATS == 1 ]] && targets+=(serve-nats)
[[ $NATS == 1 && -n ${BASELINE:-} ]] && targets+=(serve-nats-base)
for (( round = 1; round <= ROUNDS; round++ )); do
  for conns in $CONNECTIONS; do
    for target in "${targets[@]}"; do run "$target" "$conns" "$round"; done
  done
done

echo
echo "== summary: $(nproc) CPUs, wrk $DURATION per run (after $WARMUP warm-up), $ROUNDS round(s), $BODIES bodies;" \
  "omni-host $("$BIN" --version | awk '{print $2}')${NODE_VERSION:+, node $NODE_VERSION + whatsapp-api-js $(node -p 'require("./bench/peers/whatsapp-api-js/package-lock.json").packages["node_modules/whatsapp-api-js"].version')}"
{ head -1 "$WORK/summary.tsv"; tail -n +2 "$WORK/summary.tsv" | sort -t$'\t' -k2,2n -k1,1 -k3,3n; } | column -t -s$'\t'
[[ -n ${RESULTS:-} ]] && cp "$WORK/summary.tsv" "$RESULTS"
exit 0
