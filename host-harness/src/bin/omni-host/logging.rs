//! stderr logging: the operator's `--log` filter, refused when it is not one, and libraries
//! kept at `info` at most whatever it asks (never raised by it either).

use tracing_subscriber::filter::{EnvFilter, LevelFilter};

/// Libraries whose protocol logs (at debug and trace) dump request headers, the bearer token
/// included: never more than `info`, so that no secret is ever logged.
const PROTOCOL_LOGGERS: &[&str] = &["ureq", "ureq_proto", "rustls", "hyper", "hyper_util", "h2", "async_nats"];

/// The compiler's internals: millions of lines while the component compiles (measured: 5.5
/// million in 35 s of `--log trace`, and `serve` not yet listening), of use to nobody running
/// the host. Never more than `info` either (a name is a target prefix, as in any directive).
const COMPILER_LOGGERS: &[&str] = &["cranelift", "regalloc2", "wasmtime_internal_cranelift", "wasmtime_environ"];

const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// Parses a `--log` filter, the libraries capped. A bare word must be a level: `debugg` or
/// `verbose` would otherwise be taken for a target's name and silently log nothing more.
pub fn parse(filter: &str) -> Result<EnvFilter, String> {
    let mut default = LevelFilter::OFF;
    let mut explicit: Vec<(&str, LevelFilter)> = Vec::new();
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        match directive.split_once('=') {
            None if directive.contains('[') => {}
            None => {
                default = directive.parse().map_err(|_| {
                    format!("`{directive}` is neither a level ({}) nor `target=level`", LEVELS.join(", "))
                })?;
            }
            Some((target, level)) => {
                let level = level.parse().map_err(|_| format!("`{level}` in `{directive}` is not a level"))?;
                explicit.push((target, level));
            }
        }
    }
    let mut parsed = EnvFilter::try_new(filter).map_err(|e| e.to_string())?;
    // Directives, not a filter on every event: a static "never" costs compiling nothing, while
    // a per-event check doubled the component's compilation under `trace` (22 s → 50 s).
    for library in PROTOCOL_LOGGERS.iter().chain(COMPILER_LOGGERS) {
        let asked = explicit.iter().rev().find(|(target, _)| target == library).map_or(default, |(_, level)| *level);
        let capped = asked.min(LevelFilter::INFO);
        parsed = parsed.add_directive(format!("{library}={capped}").parse().map_err(|e| format!("{e}"))?);
        // A directive for one of its modules (`hyper::proto=trace`) is more specific than the
        // library's: capped too.
        let module = format!("{library}::");
        for (target, level) in explicit.iter().filter(|(target, _)| target.starts_with(&module)) {
            let capped = (*level).min(LevelFilter::INFO);
            parsed = parsed.add_directive(format!("{target}={capped}").parse().map_err(|e| format!("{e}"))?);
        }
    }
    Ok(parsed)
}

/// Logs to stderr through `filter` (see [`parse`]).
pub fn init(filter: EnvFilter) {
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_directives_parse_typos_do_not() {
        for ok in ["warn", "INFO", "omni_host=debug,plugin=trace", "info,hyper=warn", ""] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
        for bad in ["debugg", "verbose", "warn,loud", "omni_host=loud"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn libraries_are_capped_at_info_never_raised() {
        let shown = |filter: &str| parse(filter).unwrap().to_string();
        assert!(shown("trace").contains("hyper=info") && shown("trace").contains("cranelift=info"));
        assert!(shown("warn").contains("hyper=warn"), "not raised to info: {}", shown("warn"));
        assert!(shown("warn,omni_host=debug").contains("ureq=warn"), "{}", shown("warn,omni_host=debug"));
        assert!(shown("info,hyper=trace").contains("hyper=info"), "{}", shown("info,hyper=trace"));
        assert!(shown("trace,hyper=error").contains("hyper=error"), "{}", shown("trace,hyper=error"));
        let module = shown("info,hyper::proto=trace");
        assert!(module.contains("hyper::proto=info") && !module.contains("hyper::proto=trace"), "{module}");
    }
}
