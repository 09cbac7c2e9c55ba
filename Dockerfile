# omni-host with the WhatsApp Cloud component built in and compiled ahead of time.
#
#   docker build -t omni-host .
#   docker run --rm -p 8080:8080 -v "$PWD/config.toml:/etc/omni-host/config.toml:ro" \
#     -e WHATSAPP_APP_SECRET -e WHATSAPP_ACCESS_TOKEN omni-host \
#     serve --config /etc/omni-host/config.toml --listen 0.0.0.0:8080 --events nats://nats:4222
#
# The README's "Deployment" section says how to run many.

# --- build: the host and, through its build script, the component from source -------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# rust-toolchain.toml pins the toolchain and the wasm32 target, but rustup honours `targets`
# only when it installs the toolchain itself, and this image already has 1.95: add the target.
RUN rustup show active-toolchain || rustup toolchain install
RUN rustup target add wasm32-unknown-unknown
RUN cargo build --release --locked -p omni-host --bin omni-host

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
