//! The host's log (and the plugin's, through `logging.log`) into omni's logger: every `tracing`
//! record at `info` or above (`debug` with `OMNI_HOST_LOG=debug`) goes to the package's
//! `log(level, target, message)`, without waiting for it.

use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};

/// `log([level, target, message])`.
pub type Logger = ThreadsafeFunction<Vec<String>, (), Vec<String>, napi::Status, false, true>;

/// The logger of the newest host: one process has one omni, and one subscriber per process.
static LOGGER: Mutex<Option<Logger>> = Mutex::new(None);
static INSTALLED: OnceLock<()> = OnceLock::new();

/// Sends the log to `logger` from now on.
pub fn install(logger: Logger) {
    *LOGGER.lock().unwrap_or_else(|e| e.into_inner()) = Some(logger);
    INSTALLED.get_or_init(|| {
        let verbose = std::env::var("OMNI_HOST_LOG").is_ok_and(|v| v.eq_ignore_ascii_case("debug"));
        let subscriber =
            tracing_subscriber::registry().with(ToJs { max: if verbose { Level::DEBUG } else { Level::INFO } });
        // Another subscriber set first by the embedding process keeps its place.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

struct ToJs {
    max: Level,
}

impl<S: Subscriber> Layer<S> for ToJs {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= self.max
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let guard = LOGGER.lock().unwrap_or_else(|e| e.into_inner());
        let Some(logger) = guard.as_ref() else { return };
        let mut line = Line::default();
        event.record(&mut line);
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warn",
            Level::INFO => "info",
            _ => "debug",
        };
        let record = vec![level.to_owned(), event.metadata().target().to_owned(), line.text()];
        logger.call(record, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// `message key=value …`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn text(self) -> String {
        self.message + &self.fields
    }
}

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}
