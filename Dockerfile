# omni-host with the WhatsApp Cloud component built in and compiled ahead of time.
#
#   docker build -t omni-host .
#   docker run --rm -p 8080:8080 -v "$PWD/config.toml:/etc/omni-host/config.toml:ro" \
#     -e WHATSAPP_APP_SECRET -e WHATSAPP_ACCESS_TOKEN omni-host \
#     serve --config /etc/omni-host/config.toml --listen 0.0.0.0:8080 --events nats://nats:4222
#
# compose.yaml runs it with NATS JetStream and a TLS proxy; docs/deployment.md says how to run many.

# --- build: the dependencies first, in a layer of their own ------------------------------------
# Only the manifests and empty crates: this layer (wasmtime and every other dependency, most of
# the build's time) is rebuilt when Cargo.toml or Cargo.lock change, not when the sources do.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# rust-toolchain.toml pins the toolchain and the wasm32 target, but rustup honours `targets`
# only when it installs the toolchain itself, and this image already has 1.95: add the target.
COPY rust-toolchain.toml ./
RUN rustup show active-toolchain || rustup toolchain install
RUN rustup target add wasm32-unknown-unknown
COPY Cargo.toml Cargo.lock ./
COPY plugin/Cargo.toml plugin/
COPY vocabulary/Cargo.toml vocabulary/
COPY host-harness/Cargo.toml host-harness/
COPY host-node/Cargo.toml host-node/
COPY build-support/Cargo.toml build-support/
COPY tests/Cargo.toml tests/
COPY tests/echo-channel/Cargo.toml tests/echo-channel/
COPY tests/misbehaving-plugin/Cargo.toml tests/misbehaving-plugin/
RUN for crate in plugin vocabulary host-harness host-node build-support tests tests/echo-channel tests/misbehaving-plugin; do \
      mkdir -p "$crate/src" && touch "$crate/src/lib.rs"; \
    done \
 && mkdir -p host-harness/src/bin/omni-host host-harness/benches host-harness/tests host-harness/examples build-support/src/bin \
 && echo 'fn main() {}' > host-harness/src/bin/omni-host/main.rs \
 && echo 'fn main() {}' > build-support/src/bin/build-component.rs \
 && awk '/^\[\[(test|bench|example)\]\]/ { kind = $0 } \
        /^name = / && kind != "" { gsub(/"/, "", $3); \
          dir = kind ~ /test/ ? "tests" : kind ~ /bench/ ? "benches" : "examples"; \
          print "host-harness/" dir "/" $3 ".rs"; kind = "" }' host-harness/Cargo.toml | xargs touch \
 && cargo build --release --locked -p omni-host

# --- build: the host and, through its build script, the component from source -------------------
COPY . .
# The sources are older than the empty crates just built: make cargo see them as changed.
RUN find plugin vocabulary host-harness build-support -name '*.rs' -exec touch {} + \
 && cargo build --release --locked -p omni-host --bin omni-host

# --- run: the binary, a non-root user, the compiled component in its cache --------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin omni \
 && install -d -o omni -g omni -m 0700 /var/cache/omni-host
COPY --from=build /src/target/release/omni-host /usr/local/bin/omni-host
USER 10001:10001
ENV OMNI_HOST_CACHE_DIR=/var/cache/omni-host \
    OMNI_HOST_LOG=info
# Compile the component into the cache `serve` loads it from, at build time: a replica answers
# its first webhook milliseconds after it starts instead of after compiling (BENCHMARKS.md,
# startup). The cache is private to this user, as omni-host requires.
RUN omni-host info > /dev/null
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/omni-host"]
CMD ["serve", "--config", "/etc/omni-host/config.toml", "--listen", "0.0.0.0:8080"]
