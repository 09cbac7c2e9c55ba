//! The command line.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use omni_host::capabilities::events::SinkSpec;

#[derive(Parser)]
#[command(
    name = "omni-host",
    version,
    about = "Runs an omni channel, a sandboxed WebAssembly component (WhatsApp Cloud's built in)"
)]
pub struct Cli {
    /// Load this component instead of the one built into the binary.
    #[arg(long, global = true, value_name = "FILE")]
    pub component: Option<PathBuf>,
    /// Log filter for stderr (e.g. `info`, `omni_host=debug,plugin=trace`).
    #[arg(long, global = true, value_name = "FILTER", env = "OMNI_HOST_LOG", default_value = "warn")]
    pub log: String,
    /// Where compiled components are kept between runs (default `$OMNI_HOST_CACHE_DIR`,
    /// `$XDG_CACHE_HOME/omni-host` or `~/.cache/omni-host`).
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Compile the component at every start instead of using the cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Where events go, and how a NATS stream is set up when omni's own streams are missing.
#[derive(clap::Args, Clone)]
pub struct EventArgs {
    /// Where events go: `stdout`, `stderr`, `none`, `jsonl:PATH` (appended, one JSON object per
    /// line) or `nats://HOST:PORT` (JetStream, with each event id as Nats-Msg-Id).
    #[arg(long, value_name = "SINK", default_value = "stdout")]
    pub events: SinkSpec,
    /// With NATS: the stream created for event families no existing stream captures (default
    /// `OMNI_{CHANNEL}`, from the plugin's id: `OMNI_WHATSAPP_CLOUD`).
    #[arg(long, value_name = "NAME")]
    pub nats_stream: Option<String>,
    /// With NATS: the duplicate window of that stream, in seconds (redeliveries within it are
    /// dropped by JetStream).
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub nats_dedup_window: u64,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// A fake Graph API on its own, no Meta account needed: writes the demo instance's
    /// configuration pointing at it (and a message and a webhook body) to --dir, prints the
    /// `doctor`, `send` and `webhook` commands that use them, and serves until Ctrl-C.
    #[cfg(feature = "whatsapp")]
    FakeGraph {
        /// Where to write config.toml, hello.json and webhook.json.
        #[arg(long, value_name = "DIR", default_value = "omni-host-try")]
        dir: PathBuf,
    },
    /// Serve the provider's webhooks and the send API until SIGINT or SIGTERM (requests in
    /// flight finish).
    ///
    /// Routes: GET|POST /webhooks/{channel}/{instance} (channel: the plugin's id,
    /// `whatsapp-cloud`); under /api/v1/instances: GET, PUT and DELETE /{instance}, GET
    /// .../status, POST .../messages, .../messages/{id}/read, .../media, .../connect,
    /// .../disconnect, .../block, .../unblock, GET|PATCH .../business-profile, GET
    /// .../media/{media-id}; GET /healthz, /readyz, /metrics. The /api routes need the bearer
    /// token of the config's [api] table. SIGHUP reloads the configuration's instances.
    Serve(ServeArgs),
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
    /// Block users from messaging an instance (or unblock them): prints which users changed and
    /// which the provider refused, as JSON. WhatsApp blocks only users who messaged the business
    /// in the last 24 hours.
    Block {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Instance whose block list changes.
        #[arg(long, value_name = "ID")]
        instance: String,
        /// A user (phone number, chat id or user id), repeatable.
        #[arg(long = "user", value_name = "USER", required = true)]
        users: Vec<String>,
        /// Unblock instead.
        #[arg(long)]
        unblock: bool,
    },
    /// Print an instance's business profile as JSON, or change it with --update.
    Profile {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Instance whose profile is read or changed.
        #[arg(long, value_name = "ID")]
        instance: String,
        /// A JSON file with the fields to change (`{"about", "address", "description", "email",
        /// "websites", "vertical", "profilePictureHandle"}`); the others stay as they are.
        #[arg(long, value_name = "FILE")]
        update: Option<PathBuf>,
    },
    /// Make one call action and print `{"callId"}`: start a call (`{"action": "connect", "to",
    /// "session": {"sdpType": "offer", "sdp"}}`), answer one (`pre_accept`, `accept` with the
    /// `callId` of its `call.connect` event and an SDP answer), `reject` or `terminate` it.
    Call {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Instance whose number calls or answers.
        #[arg(long, value_name = "ID")]
        instance: String,
        /// The action, as JSON (`{"action": "reject", "callId": "wacid.…"}`).
        #[arg(long, value_name = "JSON")]
        action: String,
    },
    /// Make one group action and print its outcome as JSON: `create` (`subject`,
    /// `description`, `joinApproval`), `invite_link`, `reset_invite_link`, `join_requests`,
    /// `delete` (`groupId`), `remove_participants` (`groupId`, `users`),
    /// `approve_join_requests`, `reject_join_requests` (`groupId`, `requestIds`).
    Group {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Instance whose number runs the group.
        #[arg(long, value_name = "ID")]
        instance: String,
        /// The action, as JSON (`{"action": "invite_link", "groupId": "…"}`).
        #[arg(long, value_name = "JSON")]
        action: String,
    },
    /// Delete a file the instance uploaded from the provider.
    DeleteMedia {
        /// Host configuration (TOML).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Instance that uploaded it.
        #[arg(long, value_name = "ID")]
        instance: String,
        /// The media id the upload returned.
        #[arg(long, value_name = "ID")]
        media_id: String,
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

/// The flags of `serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Host configuration (TOML).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub events: EventArgs,
    /// Plugin calls running at once (pre-allocated instance slots), half of them kept for
    /// webhooks and half for calls to Meta; more requests wait.
    #[arg(long, default_value_t = 64)]
    pub max_concurrency: u32,
    /// Largest webhook body accepted, in bytes (larger: 413). Meta sends up to 3 MB.
    #[arg(long, default_value_t = omni_host::channel_host::DEFAULT_MAX_WEBHOOK_BODY as usize)]
    pub max_body: usize,
    /// Webhook bytes held at once over all requests, in bytes (each body reserves its
    /// announced length): a body that does not fit cuts off the oldest bodies still arriving,
    /// or, when bodies already read fill it, is answered 503 unread (Meta delivers it again).
    #[arg(long, default_value_t = 32 << 20)]
    pub webhook_budget: usize,
    /// Open connections at most; at the cap one waiting on its client (idle, or still sending
    /// a head or a body) is closed for a new one (default: three quarters of the descriptor
    /// limit).
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Seconds a connection has to send a complete request head (also the keep-alive idle
    /// timeout).
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds requests in flight get to finish after SIGINT or SIGTERM.
    #[arg(long, default_value_t = 15)]
    pub shutdown_grace: u64,
}
