#!/usr/bin/env bash
# Two builds side by side on this machine: an earlier revision against the working tree, for
# when a run on another VM cannot tell a change from the machine. Interleaved, three rounds:
#   criterion  the text webhook (floor, native, reused and fresh component), each build's own
#              bench (`host-harness/benches/plugin.rs`)
#   load       `bench/load/run.sh` with JSON lines, each tree's own script (and so its own
#              config format), at CONNECTIONS (1 and 64)
# Usage: bash bench/ab/run.sh REV   (REV: a commit, e.g. 7013415)
# The earlier revision is checked out in a git worktree under $WORK (default
# target/ab/<rev>) and built there with its own target directory: a release build of
# wasmtime, about 12 minutes on 2 cores the first time. Needs what bench/load needs (wrk,
# python3, curl).
set -euo pipefail
cd "$(dirname "$0")/../.."
REV=${1:?usage: bench/ab/run.sh REV}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-1 64}
OLD_SHA=$(git rev-parse --short "$REV")
WORK=${WORK:-$PWD/target/ab/$OLD_SHA}
OLD_TREE=$WORK/tree
OLD_TARGET=$WORK/target

if [[ ! -d $OLD_TREE ]]; then
  mkdir -p "$WORK"
  git worktree add --detach "$OLD_TREE" "$REV" >&2
fi
build() { # tree target-dir -> prints the bench executable
  (cd "$1" && CARGO_TARGET_DIR=$2 cargo build --release -q -p omni-host >&2 &&
    CARGO_TARGET_DIR=$2 cargo bench -q -p omni-host --bench plugin --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "plugin" and m.get("executable"):
        print(m["executable"])')
}
echo "== building $OLD_SHA in $OLD_TREE" >&2
OLD_BENCH=$(build "$OLD_TREE" "$OLD_TARGET")
echo "== building the working tree" >&2
NEW_BENCH=$(build "$PWD" "$PWD/target")
OLD_BIN=$OLD_TARGET/release/omni-host
NEW_BIN=$PWD/target/release/omni-host

printf "build\tround\tbench\tmedian\n"
for round in $(seq "$ROUNDS"); do
  for which in old new; do
    if [[ $which == old ]]; then tree=$OLD_TREE bench=$OLD_BENCH; else tree=$PWD bench=$NEW_BENCH; fi
    # criterion prints `name  time: [low median high]`, the name on its own line when long.
    (cd "$tree/host-harness" && "$bench" --bench --warm-up-time 1 --measurement-time 3 \
      'webhook/(floor|native|component_reused|component_fresh)/text$' 2>/dev/null) |
      tr -s ' \n' ' ' | sed 's/webhook\//\nwebhook\//g' |
      awk -v w="$which" -v r="$round" 'NF { printf "%s\t%s\t%s\t%s %s\n", w, r, $1, $5, $6 }'
  done
done

for conns in $CONNECTIONS; do
  for round in $(seq "$ROUNDS"); do
    for which in old new; do
      if [[ $which == old ]]; then tree=$OLD_TREE bin=$OLD_BIN; else tree=$PWD bin=$NEW_BIN; fi
      out=$(mktemp)
      (cd "$tree" && OMNI_HOST=$bin NODE=0 NATS=0 CONNECTIONS=$conns ROUNDS=1 RESULTS=$out \
        bash bench/load/run.sh >/dev/null 2>&1)
      tail -n +2 "$out" | awk -v w="$which" -v r="$round" -F'\t' \
        '{ printf "%s\t%s\tserve-jsonl/%s\t%s req/s (p50 %s ms, p99 %s ms)\n", w, r, $2, $4, $5, $6 }'
      rm -f "$out"
    done
  done
done
echo "== remove the worktree with: git worktree remove --force $OLD_TREE" >&2
