#!/usr/bin/env bash
# The pywa peer microbenchmark: makes (or refreshes) a venv under target/bench-venv with the
# pinned requirements, then runs bench.py, which prints one JSON line per payload.
# Needs python3 (>= 3.10, with venv) and PyPI. Env: ROUNDS, ITERATIONS, WARMUP, PAYLOADS (see
# bench.py); PYTHON picks the interpreter for the venv (default python3).
set -euo pipefail
cd "$(dirname "$0")/../../.."
VENV=target/bench-venv
REQ=bench/peers/pywa/requirements.txt
stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [[ ! -x $VENV/bin/python || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ" >&2
  echo "$want" > "$stamp"
fi
exec "$VENV/bin/python" bench/peers/pywa/bench.py
