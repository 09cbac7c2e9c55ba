#!/usr/bin/env bash
# The channel in a real omni, end to end (tests/omni/e2e.ts says what is checked).
#
#   OMNI_SRC=/path/to/omni bash scripts/omni-e2e.sh
#
# OMNI_SRC is a checkout of automagik-dev/omni at its `dev` branch (tried with c9429a2). This
# script copies it to a throwaway directory, applies the package's omni-patches/, builds the
# package and copies it into omni's packages/ as the package's README says, installs omni's
# dependencies with Bun, starts PostgreSQL and NATS JetStream on loopback ports from the
# distribution's binaries, creates omni's schema, and runs the flow. Nothing outside the
# throwaway directory changes; it is removed at the end unless KEEP=1.
#
# Without omni's source (CI has no copy) it says so and exits 0.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
package="$repo/packages/channel-whatsapp-cloud"

omni_src="${OMNI_SRC:-}"
if [ -z "$omni_src" ] || [ ! -f "$omni_src/packages/api/src/index.ts" ]; then
    echo "omni-e2e: skipped — no omni checkout (set OMNI_SRC to a checkout of automagik-dev/omni, branch dev)"
    exit 0
fi

say() { echo "omni-e2e: $*"; }
fail() { echo "omni-e2e: $*" >&2; exit 1; }

# Tools: PostgreSQL's server binaries and nats-server from the distribution, Bun from npm.
pg_bin="$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1 || true)")"
[ -x "$pg_bin/initdb" ] || fail "PostgreSQL's server is missing (Debian: apt-get install postgresql)"
command -v nats-server >/dev/null || fail "nats-server is missing (Debian: apt-get install nats-server)"
BUN_VERSION=1.4.5
if ! command -v bun >/dev/null; then
    tools="$repo/target/tools"
    if [ ! -x "$tools/node_modules/.bin/bun" ]; then
        say "installing bun $BUN_VERSION into target/tools (from the npm registry)"
        npm install --silent --no-audit --no-fund --prefix "$tools" "bun@$BUN_VERSION"
    fi
    export PATH="$tools/node_modules/.bin:$PATH"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/omni-e2e.XXXXXX")"
omni="$work/omni"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ -f "$work/pg/postmaster.pid" ]; then as_pg "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1 || true; fi
    if [ "${KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: as root, run it as `nobody`.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

say "omni from $omni_src ($(git -C "$omni_src" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout'))"
mkdir -p "$omni"
tar -C "$omni_src" --exclude=./node_modules --exclude='./packages/*/node_modules' --exclude=./.git --exclude=.turbo -cf - . | tar -C "$omni" -xf -

say "applying omni-patches/"
for patch in "$package"/omni-patches/*.patch; do
    git -C "$omni" apply --whitespace=nowarn "$patch" || fail "$(basename "$patch") does not apply to this omni"
    say "  $(basename "$patch")"
done

say "building the package (its README: bun install && bun run build) and copying it into omni's packages/"
# A test build: cargo's dev profile, sharing target/ with `cargo test` (a release build of the
# runtime takes several minutes more).
export WHATSAPP_CLOUD_CARGO_PROFILE="${WHATSAPP_CLOUD_CARGO_PROFILE:-dev}"
(cd "$package" && bun install --silent >/dev/null && bun run build >/dev/null)
mkdir -p "$omni/packages/channel-whatsapp-cloud"
tar -C "$package" --exclude=./node_modules --exclude=./test/generated -cf - . | tar -C "$omni/packages/channel-whatsapp-cloud" -xf -

say "installing omni's dependencies"
if ! (cd "$omni" && bun install --ignore-scripts >"$work/install.log" 2>&1); then
    # omni's WhatsApp Web channel (Baileys) depends on a GitHub tarball; where GitHub cannot be
    # reached, that channel is left out (nothing else needs it).
    if grep -q "whiskeysockets" "$work/install.log" && [ -d "$omni/packages/channel-whatsapp" ]; then
        say "  omni's channel-whatsapp (Baileys) cannot be installed here (a GitHub dependency): left out"
        rm -rf "$omni/packages/channel-whatsapp"
        sed -i '/"@omni\/channel-whatsapp": "workspace:\*",/d' "$omni/packages/api/package.json"
        (cd "$omni" && bun install --ignore-scripts >"$work/install.log" 2>&1) || { cat "$work/install.log"; fail "bun install failed"; }
    else
        cat "$work/install.log"; fail "bun install failed"
    fi
fi

pg_port="$(free_port)"; nats_port="$(free_port)"; api_port="$(free_port)"
say "PostgreSQL on 127.0.0.1:$pg_port, NATS on $nats_port, omni's API on $api_port"
mkdir -p "$work/pg" "$work/nats" "$work/data"
[ "$(id -u)" = 0 ] && chown nobody "$work/pg" && chmod 755 "$work"
as_pg "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; fail "initdb failed"; }
as_pg "$pg_bin/pg_ctl" -D "$work/pg" -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" -l "$work/pg/server.log" -w start >/dev/null
database="postgresql://postgres@127.0.0.1:$pg_port/omni"
psql="$pg_bin/psql"; [ -x "$psql" ] || psql=psql
"$psql" "postgresql://postgres@127.0.0.1:$pg_port/postgres" -qc "create database omni"
nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$work/nats" >"$work/nats.log" 2>&1 &
pids+=($!)

say "creating omni's schema (drizzle-kit push)"
(cd "$omni/packages/db" && DATABASE_URL="$database" bun x drizzle-kit push --force --strict=false </dev/null >"$work/schema.log" 2>&1) \
    || { tail -20 "$work/schema.log"; fail "schema push failed"; }

api_key="omni_sk_e2e$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
cat >"$work/omni.env" <<EOF
DATABASE_URL=$database
NATS_URL=nats://127.0.0.1:$nats_port
API_HOST=127.0.0.1
API_PORT=$api_port
OMNI_API_KEY=$api_key
NODE_ENV=development
LOG_LEVEL=info
MEDIA_STORAGE_PATH=$work/data/media
EOF

say "running the flow (tests/omni/e2e.ts)"
cd "$omni"
OMNI_DIR="$omni" OMNI_ENV_FILE="$work/omni.env" OMNI_LOG="$work/omni.log" API_PORT="$api_port" OMNI_API_KEY="$api_key" \
    DATABASE_URL="$database" NATS_URL="nats://127.0.0.1:$nats_port" MEDIA_STORAGE_PATH="$work/data/media" \
    bun "$repo/tests/omni/e2e.ts"
