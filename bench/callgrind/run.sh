#!/usr/bin/env bash
# Instructions per webhook for builds of the component at several optimisation settings,
# counted by callgrind (deterministic, unlike wall time on a shared VM): how the opt-level of
# [profile.wasm-release] was chosen. Each variant is built into target/callgrind-variants/,
# then the same payload runs N1 and N2 times in a reused instance under valgrind; the
# difference divided by N2 - N1 is the count per webhook (compilation and start-up cancel out).
#
# Needs valgrind. Env: PAYLOAD (text), N1 (100), N2 (600), VARIANTS ("s 3 z 3+simd s+simd").
set -euo pipefail
cd "$(dirname "$0")/../.."
PAYLOAD=${PAYLOAD:-text}; N1=${N1:-100}; N2=${N2:-600}
HOST=$(rustc -vV | sed -n 's/^host: //p')
LINKER=$(rustc --print sysroot)/lib/rustlib/$HOST/bin/wasm-component-ld
echo "== building the webhook_loop example (release; the first build takes several minutes)" >&2
cargo build -q --release -p omni-host --example webhook_loop
LOOP=target/release/examples/webhook_loop
count() { # component iterations -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$LOOP" "$1" "$PAYLOAD" "$2" --no-pool 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-10s %10s %14s\n' variant bytes instructions/webhook
for variant in ${VARIANTS:-s 3 z 3+simd s+simd}; do
  opt=${variant%%+*}; flags=""
  [[ $variant == *+simd ]] && flags="-Ctarget-feature=+simd128"
  dir=target/callgrind-variants/$variant
  CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL=$opt CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="$flags" \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=$LINKER \
    cargo build -q -p whatsapp-cloud-plugin --target wasm32-unknown-unknown --profile wasm-release --target-dir "$dir"
  wasm=$dir/wasm32-unknown-unknown/wasm-release/whatsapp_cloud_plugin.wasm
  a=$(count "$wasm" "$N1"); b=$(count "$wasm" "$N2")
  printf '%-10s %10s %14s\n' "$variant" "$(stat -c %s "$wasm")" $(( (b - a) / (N2 - N1) ))
done
