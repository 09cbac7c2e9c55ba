//! `omni-host`: loads an omni channel component (WhatsApp Cloud's is built in) and runs it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use omni_host::bindings::types::ChannelError;
use omni_host::bindings::webhook::IncomingRequest;
use omni_host::capabilities::EventSink;
use omni_host::capabilities::events::SinkSpec;
use omni_host::capabilities::http_client::{ClientConfig, UreqClient};
use omni_host::capabilities::nats::{NatsOptions, NatsSink};
use omni_host::channel_host::ChannelHost;
use omni_host::component_cache::{CacheOutcome, ComponentCache};
use omni_host::config::HostConfig;
use omni_host::omni::wire;
use omni_host::retry::RetryPolicy;
use omni_host::runtime::{PluginRuntime, RuntimeConfig};
use omni_host::server::metrics::{CountingSink, Metrics};
use omni_host::server::{self, AppState, ServerOptions};
#[cfg(feature = "whatsapp")]
use omni_host::signing;

#[derive(Parser)]
#[command(
    name = "omni-host",
    version,
    about = "Runs an omni channel, a sandboxed WebAssembly component (WhatsApp Cloud's built in)"
)]
struct Cli {
    /// Load this component instead of the one built into the binary.
    #[arg(long, global = true, value_name = "FILE")]
    component: Option<PathBuf>,
    /// Log filter for stderr (e.g. `info`, `omni_host=debug,plugin=trace`).
    #[arg(long, global = true, value_name = "FILTER", env = "OMNI_HOST_LOG", default_value = "warn")]
    log: String,
    /// Where compiled components are kept between runs (default `$OMNI_HOST_CACHE_DIR`,
    /// `$XDG_CACHE_HOME/omni-host` or `~/.cache/omni-host`).
    #[arg(long, global = true, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile the component at every start instead of using the cache.
    #[arg(long, global = true)]
    no_cache: bool,
    #[command(subcommand)]
    command: Command,
}

/// Where events go, and how a NATS stream is set up when omni's own streams are missing.
#[derive(clap::Args, Clone)]
struct EventArgs {
    /// Where events go: `stdout`, `stderr`, `none`, `jsonl:PATH` (appended, one JSON object per
    /// line) or `nats://HOST:PORT` (JetStream, with each event id as Nats-Msg-Id).
    #[arg(long, value_name = "SINK", default_value = "stdout")]
    events: SinkSpec,
    /// With NATS: the stream created for event families no existing stream captures (default
    /// `OMNI_{CHANNEL}`, from the plugin's id: `OMNI_WHATSAPP_CLOUD`).
    #[arg(long, value_name = "NAME")]
    nats_stream: Option<String>,
    /// With NATS: the duplicate window of that stream, in seconds (redeliveries within it are
    /// dropped by JetStream).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    nats_dedup_window: u64,
}

#[derive(Subcommand)]
enum Command {
    /// The channel end to end, no Meta account needed: serves with an embedded fake Graph API,
    /// calls its own webhook and send API, prints every event, then keeps serving.
    #[cfg(feature = "whatsapp")]
    Demo {
        /// Address to serve on (a free port is used if it is taken).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Stop after the scripted part instead of serving on.
        #[arg(long)]
        exit: bool,
    },
    /// Serve the provider's webhooks and the send API until SIGINT or SIGTERM (requests in
    /// flight finish).
    ///
    /// Routes: GET|POST /webhooks/{channel}/{instance} (channel: the plugin's id,
    /// `whatsapp-cloud`); POST
    /// /api/v1/instances/{instance}/messages, .../messages/{id}/read, .../media, .../connect; GET
    /// .../media/{media-id}; GET /healthz; GET /metrics. The /api routes need the bearer token of
    /// the config's [api] table.
    Serve {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        events: EventArgs,
        /// Plugin calls running at once (pre-allocated instance slots), half of them kept for
        /// webhooks and half for calls to Meta; more requests wait.
        #[arg(long, default_value_t = 64)]
        max_concurrency: u32,
        /// Largest webhook body accepted, in bytes (larger: 413). Meta sends up to 3 MB.
        #[arg(long, default_value_t = omni_host::channel_host::DEFAULT_MAX_WEBHOOK_BODY as usize)]
        max_body: usize,
        /// Open connections at most; at the cap the oldest idle one is closed for a new one
        /// (default: three quarters of the descriptor limit).
        #[arg(long)]
        max_connections: Option<usize>,
        /// Seconds a connection has to send a complete request head (also the keep-alive idle
        /// timeout).
        #[arg(long, default_value_t = 10)]
        header_timeout: u64,
        /// Seconds requests in flight get to finish after SIGINT or SIGTERM.
        #[arg(long, default_value_t = 15)]
        shutdown_grace: u64,
    },
    /// Print the plugin's info and the component's imports and exports, as JSON.
    Info,
    /// Print the X-Hub-Signature-256 header value Meta would send for a body.
    #[cfg(feature = "whatsapp")]
    Sign {
        /// The Meta app secret.
        #[arg(long, env = "WHATSAPP_APP_SECRET", hide_env_values = true)]
        secret: String,
        /// File holding the exact body bytes.
        #[arg(long, value_name = "FILE")]
        body: PathBuf,
    },
    /// Run one webhook request through the component: the HTTP status goes to stderr, every
    /// published event to the event sink (stdout by default) as one JSON line. Exits 0 on 2xx.
    Webhook {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// File holding the request body.
        #[arg(long, value_name = "FILE")]
        body: PathBuf,
        /// Request header, repeatable (`--header 'X-Hub-Signature-256: sha256=...'`).
        #[arg(long = "header", value_name = "'NAME: VALUE'")]
        headers: Vec<String>,
        /// Instance whose webhook URL is called (default: the first configured).
        #[arg(long, value_name = "ID")]
        instance: Option<String>,
        /// Request method (GET for the verification handshake).
        #[arg(long, default_value = "POST")]
        method: String,
        /// Raw query string (e.g. `hub.mode=subscribe&hub.challenge=1&hub.verify_token=...`).
        #[arg(long, default_value = "")]
        query: String,
        /// Add the X-Hub-Signature-256 header Meta would send, computed with the instance's
        /// `appSecret` (WhatsApp Cloud).
        #[cfg(feature = "whatsapp")]
        #[arg(long)]
        sign: bool,
        #[command(flatten)]
        events: EventArgs,
    },
    /// Check one instance's whole setup and print what to fix: the configuration as the plugin
    /// validates it, the egress granted, the credentials, and the provider-side checks of
    /// `connect` (WhatsApp: the number, its quality, the app's webhook subscription). Exits 0
    /// when every check passes, 1 otherwise. Publishes no event.
    Doctor {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Instance to check (default: the first one).
        #[arg(long, value_name = "ID")]
        instance: Option<String>,
        /// Subscribe the instance's app to the provider's webhooks when it is not.
        #[arg(long)]
        subscribe: bool,
    },
    /// Send one omni OutgoingMessage (JSON file), retrying what Meta says may be retried: prints
    /// the receipt as JSON, or the typed error on stderr with a non-zero exit status. Events go to
    /// stderr unless --events says otherwise.
    Send {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Instance to send from.
        #[arg(long, value_name = "ID")]
        instance: String,
        /// File holding the message (`{"to": ..., "content": {"type": "text", "text": ...}}`).
        #[arg(long, value_name = "FILE")]
        message: PathBuf,
        /// Correlation id of the send (default: the message's metadata.correlationId, else a
        /// fresh one).
        #[arg(long, value_name = "ID")]
        correlation_id: Option<String>,
        /// Where events go: stdout, stderr, none, jsonl:PATH or nats://HOST:PORT.
        #[arg(long, value_name = "SINK", default_value = "stderr")]
        events: SinkSpec,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Libraries whose protocol logs (at debug and trace) dump request headers, the bearer token
/// included: capped at `info` whatever the filter asks, so that no secret is ever logged.
const PROTOCOL_LOGGERS: &[&str] = &["ureq", "ureq_proto", "rustls", "hyper", "hyper_util", "h2", "async_nats"];

/// The compiler's internals: millions of lines while the component compiles (measured: 5.5
/// million in 35 s of `--log trace`, and `serve` not yet listening), of use to nobody running
/// the host. Capped at `info` too; a directive names a target prefix.
const COMPILER_LOGGERS: &[&str] = &["cranelift", "regalloc2", "wasmtime_internal_cranelift", "wasmtime_environ"];

fn init_logging(filter: &str) {
    let mut filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    for target in PROTOCOL_LOGGERS.iter().chain(COMPILER_LOGGERS) {
        filter = filter.add_directive(format!("{target}=info").parse().expect("a valid directive"));
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let source = Source::of(&cli);
    match cli.command {
        #[cfg(feature = "whatsapp")]
        Command::Demo { listen, exit } => {
            let component = component_bytes(cli.component.as_deref())?;
            omni_host::demo::run(
                &tokio,
                &component,
                listen,
                omni_host::demo::Output::new(Box::new(std::io::stdout())),
                !exit,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            config,
            listen,
            events,
            max_concurrency,
            max_body,
            max_connections,
            header_timeout,
            shutdown_grace,
        } => {
            let settings = HostConfig::load(&config)?;
            let metrics = Metrics::new();
            let runtime_config = RuntimeConfig { pooling: Some(max_concurrency), ..RuntimeConfig::default() };
            let counted = |channel: &str| -> anyhow::Result<Arc<dyn EventSink>> {
                Ok(Arc::new(CountingSink::new(open_sink(&tokio, &events, channel)?, metrics.clone())))
            };
            let mut host =
                build_host(&source, runtime_config, &settings, counted)?.with_max_webhook_body(max_body as u64);
            if let Some(media) = &settings.media {
                host = host.with_media_links(media.links().context("[media]")?);
            }
            let host = Arc::new(host);
            let api_token = settings.api.as_ref().map(|api| api.token.resolve()).transpose().context("[api] token")?;
            if api_token.is_none() {
                tracing::warn!("no [api] token configured: the send API is off");
            }
            let options = ServerOptions {
                webhook_body_limit: max_body,
                api_token,
                connections: server::ConnectionOptions {
                    max_connections,
                    header_read_timeout: Duration::from_secs(header_timeout),
                    shutdown_grace: Duration::from_secs(shutdown_grace),
                },
                ..ServerOptions::default()
            }
            .with_concurrency(max_concurrency as usize);
            let listener = tokio
                .block_on(tokio::net::TcpListener::bind(listen))
                .with_context(|| format!("listening on {listen}"))?;
            eprintln!("omni-host serving {} instance(s) on http://{}", host.instances().len(), listener.local_addr()?);
            let reloading = tokio.spawn(server::reload::on_hangup(host.clone(), config.clone(), metrics.clone()));
            tokio.block_on(server::serve(
                listener,
                AppState::new(host, metrics, options),
                server::shutdown_signal(),
            ))?;
            reloading.abort();
            // Plugin calls still running past the grace are abandoned with the process.
            tokio.shutdown_timeout(Duration::from_secs(1));
            Ok(ExitCode::SUCCESS)
        }
        Command::Info => {
            let bytes = component_bytes(cli.component.as_deref())?;
            let runtime = source.runtime(&bytes, one_call_at_a_time())?;
            let info = runtime.info()?;
            let (imports, exports) = runtime.interfaces();
            // Size and digest say exactly which build of the plugin this host runs.
            let component = serde_json::json!({"bytes": bytes.len(), "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))});
            let out = serde_json::json!({
                "plugin": wire::plugin_info(&info),
                "component": component,
                "imports": imports,
                "exports": exports,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "whatsapp")]
        Command::Sign { secret, body } => {
            let body = std::fs::read(&body).with_context(|| format!("reading {}", body.display()))?;
            println!("{}", signing::hub_signature(secret.as_bytes(), &body));
            Ok(ExitCode::SUCCESS)
        }
        Command::Webhook {
            config,
            body,
            headers,
            instance,
            method,
            query,
            #[cfg(feature = "whatsapp")]
            sign,
            events,
        } => {
            let config = HostConfig::load(&config)?;
            let host =
                build_host(&source, one_call_at_a_time(), &config, |channel| open_sink(&tokio, &events, channel))?;
            let id = match instance {
                Some(id) => id,
                None => config.instances.first().context("the configuration has no instances")?.id.clone(),
            };
            let body = std::fs::read(&body).with_context(|| format!("reading {}", body.display()))?;
            #[allow(unused_mut)]
            let mut header_list = headers.iter().map(|h| parse_header(h)).collect::<anyhow::Result<Vec<_>>>()?;
            #[cfg(feature = "whatsapp")]
            if sign {
                let settings = config.instances.iter().find(|i| i.id == id).context("unknown instance")?;
                let plugin_config = settings.plugin_config()?;
                let secret = plugin_config["appSecret"].as_str().context("the instance's config has no appSecret")?;
                header_list.push(("X-Hub-Signature-256".into(), signing::hub_signature(secret.as_bytes(), &body)));
            }
            let request = IncomingRequest {
                method: method.to_ascii_uppercase(),
                path: format!("/webhooks/{}/{id}", host.info().id),
                query,
                headers: header_list,
                body,
            };
            let response = host.handle_webhook(&id, &request)?;
            eprintln!("HTTP {}", response.status);
            let text = String::from_utf8_lossy(&response.body);
            if !text.is_empty() {
                eprintln!("{text}");
            }
            Ok(if (200..300).contains(&response.status) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Doctor { config, instance, subscribe } => {
            let config = HostConfig::load(&config)?;
            let id = match instance {
                Some(id) => id,
                None => config.instances.first().context("the configuration has no instances")?.id.clone(),
            };
            let runtime =
                Arc::new(source.runtime(&component_bytes(source.component.as_deref())?, one_call_at_a_time())?);
            let http = Arc::new(UreqClient::new(ClientConfig::default()));
            let report = omni_host::doctor::diagnose(runtime, &config, &id, http, subscribe);
            print!("{}", report.render());
            Ok(if report.healthy() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Send { config, instance, message, correlation_id, events } => {
            let config = HostConfig::load(&config)?;
            let events = EventArgs { events, nats_stream: None, nats_dedup_window: 600 };
            let host =
                build_host(&source, one_call_at_a_time(), &config, |channel| open_sink(&tokio, &events, channel))?;
            let json = std::fs::read_to_string(&message).with_context(|| format!("reading {}", message.display()))?;
            let decoded = match host.decode_outgoing(&json, &[])? {
                Ok(decoded) => decoded,
                Err(field) => {
                    eprintln!("{}", wire::channel_error(&ChannelError::InvalidRequest(field)));
                    return Ok(ExitCode::FAILURE);
                }
            };
            let correlation_id =
                correlation_id.or_else(|| decoded.correlation_id.clone()).unwrap_or_else(fresh_correlation_id);
            let outcome = host.send_decoded_with_retries(
                &instance,
                &decoded,
                &correlation_id,
                &RetryPolicy::default(),
                &|wait| {
                    eprintln!("retrying in {:.1} s", wait.as_secs_f64());
                    std::thread::sleep(wait);
                },
            )?;
            match wire::parts_outcome(&outcome) {
                Ok(receipt) => {
                    println!("{receipt}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    eprintln!("{error}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// One call at a time: no need for a pool of instance slots.
fn one_call_at_a_time() -> RuntimeConfig {
    RuntimeConfig { pooling: None, ..RuntimeConfig::default() }
}

fn component_bytes(component: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    match component {
        Some(path) => std::fs::read(path).with_context(|| format!("reading {}", path.display())),
        #[cfg(feature = "whatsapp")]
        None => Ok(omni_host::WHATSAPP_CLOUD_COMPONENT.to_vec()),
        #[cfg(not(feature = "whatsapp"))]
        None => bail!("no component is built in: name one with --component"),
    }
}

/// Where the component comes from, and where its compiled code is kept.
struct Source {
    component: Option<PathBuf>,
    cache: Option<ComponentCache>,
}

impl Source {
    fn of(cli: &Cli) -> Self {
        let cache = if cli.no_cache { None } else { cli.cache_dir.clone().or_else(ComponentCache::default_dir) };
        Self { component: cli.component.clone(), cache: cache.map(ComponentCache::new) }
    }

    /// The component loaded: compiled once per build of it and of the host, then from the cache.
    fn runtime(&self, bytes: &[u8], config: RuntimeConfig) -> anyhow::Result<PluginRuntime> {
        let Some(cache) = &self.cache else { return PluginRuntime::new(bytes, config) };
        let started = std::time::Instant::now();
        let (runtime, outcome) = PluginRuntime::cached(bytes, config, cache)?;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            CacheOutcome::Hit => tracing::info!(dir = %cache.dir().display(), ms, "component loaded from the cache"),
            CacheOutcome::Stored => tracing::info!(dir = %cache.dir().display(), ms, "component compiled and cached"),
            CacheOutcome::Bypassed(why) => tracing::warn!(ms, "component compiled; not cached: {why}"),
        }
        Ok(runtime)
    }
}

/// The host for `config`, its events going to the sink `open` makes for the plugin's channel.
fn build_host(
    source: &Source,
    runtime: RuntimeConfig,
    config: &HostConfig,
    open: impl FnOnce(&str) -> anyhow::Result<Arc<dyn EventSink>>,
) -> anyhow::Result<ChannelHost> {
    let runtime = Arc::new(source.runtime(&component_bytes(source.component.as_deref())?, runtime)?);
    let channel = runtime.info().context("asking the plugin for its info")?.id;
    let sink = open(&channel)?;
    let http = Arc::new(UreqClient::new(ClientConfig::default()));
    ChannelHost::new(runtime, config, http, sink)
}

fn open_sink(tokio: &tokio::runtime::Runtime, args: &EventArgs, channel: &str) -> anyhow::Result<Arc<dyn EventSink>> {
    match &args.events {
        SinkSpec::Nats(url) => {
            let mut options = NatsOptions::for_channel(channel);
            if let Some(stream) = &args.nats_stream {
                options.stream = stream.clone();
            }
            options.duplicate_window = Duration::from_secs(args.nats_dedup_window);
            Ok(Arc::new(tokio.block_on(NatsSink::connect(url, &options))?))
        }
        other => other.open(),
    }
}

fn parse_header(header: &str) -> anyhow::Result<(String, String)> {
    match header.split_once(':') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_owned(), value.trim().to_owned())),
        _ => bail!("`{header}` is not a header; expected 'Name: value'"),
    }
}

/// A correlation id unique enough for one host: time and process id.
fn fresh_correlation_id() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("omni-host-{}-{nanos:x}", std::process::id())
}
