//! `omni-host doctor`: every check of one instance's setup, and what to fix. The host checks
//! what is its own (the configuration as the plugin validates it, the egress it grants); the
//! plugin's `connect` checks the provider's side (credentials, then its setup checks: for
//! WhatsApp the number, its quality and the webhook subscription).

use std::sync::Arc;

use crate::bindings::plugin::ConnectOptions;
use crate::bindings::types::{ChannelError, ErrorClass};
use crate::capabilities::HttpClient;
use crate::capabilities::events::NullSink;
use crate::channel_host::ChannelHost;
use crate::config::HostConfig;
use crate::runtime::PluginRuntime;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub name: String,
    pub passed: bool,
    pub detail: String,
    pub fix: Option<String>,
}

/// Everything `doctor` found about one instance.
#[derive(Debug, Clone)]
pub struct Report {
    pub instance: String,
    pub findings: Vec<Finding>,
}

impl Report {
    fn push(&mut self, name: &str, passed: bool, detail: String, fix: Option<String>) {
        self.findings.push(Finding { name: name.to_owned(), passed, detail, fix });
    }

    /// Whether every check passed.
    pub fn healthy(&self) -> bool {
        self.findings.iter().all(|f| f.passed)
    }

    /// The report for a terminal: one line per check, each failed one followed by its fix.
    pub fn render(&self) -> String {
        let width = self.findings.iter().map(|f| f.name.len()).max().unwrap_or(0);
        let mut out = format!("instance {}\n", self.instance);
        for f in &self.findings {
            let mark = if f.passed { "ok  " } else { "FAIL" };
            out.push_str(&format!("  {mark} {:width$}  {}\n", f.name, f.detail));
            if let Some(fix) = &f.fix {
                out.push_str(&format!("       {:width$}  fix: {fix}\n", ""));
            }
        }
        let failed = self.findings.iter().filter(|f| !f.passed).count();
        out.push_str(&match failed {
            0 => "every check passed\n".to_owned(),
            1 => "1 problem found\n".to_owned(),
            n => format!("{n} problems found\n"),
        });
        out
    }
}

/// Runs every check of instance `id` of `config`; with `subscribe`, subscribes its app to the
/// provider's webhooks when it is not. Publishes nothing: `connect`'s events go nowhere.
pub fn diagnose(
    runtime: Arc<PluginRuntime>,
    config: &HostConfig,
    id: &str,
    http: Arc<dyn HttpClient>,
    subscribe: bool,
) -> Report {
    let mut report = Report { instance: id.to_owned(), findings: Vec::new() };
    let Some(settings) = config.instances.iter().find(|i| i.id == id) else {
        let ids: Vec<&str> = config.instances.iter().map(|i| i.id.as_str()).collect();
        let fix = format!("name one of: {}", ids.join(", "));
        report.push("instance", false, format!("no instance `{id}` in the configuration"), Some(fix));
        return report;
    };
    let alone = HostConfig { instances: vec![settings.clone()], api: None, media: None };
    let host = match ChannelHost::new(runtime, &alone, http, Arc::new(NullSink)) {
        Ok(host) => host,
        Err(e) => {
            let fix = "correct `[instances.config]` (`omni-host info` prints its schema)".to_owned();
            report.push("configuration", false, format!("{e:#}"), Some(fix));
            return report;
        }
    };
    let instance = host.instance(id).expect("the instance was just configured");
    let origins: Vec<String> = instance.egress.origins().iter().map(ToString::to_string).collect();
    let reach = if origins.is_empty() { "no origin".to_owned() } else { origins.join(", ") };
    report.push("configuration", true, format!("valid for {}; may reach {reach}", host.info().id), None);

    match host.connect(id, ConnectOptions { subscribe_webhooks: subscribe }) {
        Ok(Ok(info)) => {
            let who = [info.profile_name.as_deref(), info.owner_identifier.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            report.push("credentials", true, format!("accepted by the provider ({who})"), None);
            for check in info.checks {
                report.push(&check.name, check.passed, check.detail, check.fix);
            }
        }
        Ok(Err(error)) => {
            let (detail, fix) = explain(&error);
            report.push("credentials", false, detail, Some(fix.to_owned()));
        }
        Err(e) => report.push("credentials", false, format!("the plugin failed: {e}"), None),
    }
    report
}

/// What a failed `connect` means, and what to do about it.
fn explain(error: &ChannelError) -> (String, &'static str) {
    match error {
        ChannelError::Provider(p) if p.class == ErrorClass::Auth => (
            format!("the provider refused the credentials: {} (code {})", p.message, p.code.unwrap_or_default()),
            "renew the access token in the instance's config, with the permissions the channel needs",
        ),
        ChannelError::Provider(p) => (
            format!("the provider answered HTTP {}: {}", p.http_status, p.message),
            "check the ids in the instance's config",
        ),
        ChannelError::Unreachable(t) => {
            (format!("the provider could not be reached: {}", t.message), "check the network and the instance's egress")
        }
        other => (format!("{other:?}"), "see the detail"),
    }
}
