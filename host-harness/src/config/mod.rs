//! The operator's configuration file (TOML). The host knows nothing of a channel's settings:
//! each instance's `config` table is the plugin's (its JSON Schema is `omni-host info`'s
//! `configSchema`), passed to it as JSON with every `{ env = "VAR" }` replaced by that
//! environment variable's value.
//!
//! ```toml
//! [[instances]]
//! id = "acme-support"                      # omni instance id: letters, digits, `-`, `_`
//! egress = ["https://graph.facebook.com"]  # optional: grant only these of the origins the plugin declares
//!
//! [instances.config]                       # the plugin's settings (WhatsApp Cloud's shown)
//! appSecret = { env = "WA_APP_SECRET" }    # any string: a literal or { env = "VAR" }
//! webhookVerifyToken = "pick-a-long-random-string"
//! phoneNumberId = "106540352242922"
//! businessAccountId = "102290129340398"
//! accessToken = { env = "WA_ACCESS_TOKEN" }
//!
//! [api]                                    # optional: the send API of `serve`
//! token = { env = "OMNI_HOST_API_TOKEN" }
//! env_allow = ["WHATSAPP_*"]               # optional: variables API-added instances may name
//! egress = ["https://graph.facebook.com"]  # optional: origins API-added instances may reach
//!
//! [media]                                  # optional: links to received media, served by `serve`
//! public_url = "https://omni-host.example.com"   # where omni reaches this host
//! link_ttl_seconds = 3600                  # optional
//! link_secret = { env = "OMNI_HOST_MEDIA_SECRET" }  # optional: shared by replicas
//! ```

use std::path::Path;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use serde_json::{Value, json};

use omni_channel_vocabulary::is_instance_id;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    #[serde(default)]
    pub instances: Vec<InstanceSettings>,
    /// The send API (`serve`); off unless a token is set.
    #[serde(default)]
    pub api: Option<ApiSettings>,
    /// Links to received media (`serve`); off unless a public URL is set.
    #[serde(default)]
    pub media: Option<MediaSettings>,
}

/// `[media]`: links to received media that omni fetches from `serve`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// The base URL omni reaches `serve` at; links are `{public_url}/media/{instance}/{media-id}`.
    pub public_url: String,
    /// How long a link stays valid (default 3600 s).
    #[serde(default)]
    pub link_ttl_seconds: Option<u64>,
    /// Key signing the links; random per process when absent (replicas behind one load
    /// balancer need the same one).
    #[serde(default)]
    pub link_secret: Option<Secret>,
}

impl MediaSettings {
    /// The links these settings describe.
    pub fn links(&self) -> anyhow::Result<crate::capabilities::MediaLinks> {
        let key = self.link_secret.as_ref().map(Secret::resolve).transpose()?.map(String::into_bytes);
        let ttl = std::time::Duration::from_secs(self.link_ttl_seconds.unwrap_or(3600));
        crate::capabilities::MediaLinks::new(&format!("{}/media", self.public_url.trim_end_matches('/')), key, ttl)
    }
}

/// `[api]`: who may use the send API, and what instances added through it may use.
///
/// The API's callers hold its token, not the host: an instance they add may read only the
/// environment variables `env_allow` lists and reach only the origins `egress` lists (without
/// one: `https` origins named by DNS, which must resolve to public addresses).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Bearer token callers must present.
    pub token: Secret,
    /// Environment variables an API-added instance may name as `{"env": "VAR"}`: exact names,
    /// or prefixes ending in `*` (`WHATSAPP_*`). None unless listed.
    #[serde(default)]
    pub env_allow: Vec<String>,
    /// Origins API-added instances may be granted (loopback or private addresses only when
    /// listed here literally).
    #[serde(default)]
    pub egress: Option<Vec<String>>,
}

/// What an instance added through the API may use of the host (see [`ApiSettings`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerLimits {
    /// Variables (or `PREFIX*`) the instance may name.
    pub env_allow: Vec<String>,
    /// Origins it may be granted; `None`: public `https` origins named by DNS only.
    pub egress: Option<Vec<String>>,
}

impl CallerLimits {
    /// Whether `var` may be read for a caller.
    pub fn allows_env(&self, var: &str) -> bool {
        self.env_allow.iter().any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => var.starts_with(prefix),
            None => pattern == var,
        })
    }
}

impl From<&ApiSettings> for CallerLimits {
    fn from(api: &ApiSettings) -> Self {
        Self { env_allow: api.env_allow.clone(), egress: api.egress.clone() }
    }
}

/// A secret: written in the file, or read from an environment variable.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub enum Secret {
    Literal(String),
    Env { env: String },
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Literal(_) => f.write_str("Secret(<redacted>)"),
            Self::Env { env } => write!(f, "Secret(env {env})"),
        }
    }
}

impl Secret {
    /// The secret's value.
    pub fn resolve(&self) -> anyhow::Result<String> {
        match self {
            Self::Literal(value) => Ok(value.clone()),
            Self::Env { env } => std::env::var(env).with_context(|| format!("environment variable {env} is not set")),
        }
    }
}

/// One `[[instances]]` table.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSettings {
    pub id: String,
    /// The plugin's settings, as the plugin's schema describes them.
    #[serde(default)]
    pub config: toml::Table,
    /// When set, the instance may reach only these of the origins the plugin declares for it
    /// (the plugin's declaration stays the limit: listing an origin it did not declare grants
    /// nothing).
    #[serde(default)]
    pub egress: Option<Vec<String>>,
}

impl std::fmt::Debug for InstanceSettings {
    // The config holds secrets: only its keys are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceSettings")
            .field("id", &self.id)
            .field("config", &self.config.keys().collect::<Vec<_>>())
            .field("egress", &self.egress)
            .finish()
    }
}

impl InstanceSettings {
    /// Settings given as JSON (the instances API): `config` as the file's `[instances.config]`
    /// would hold it, `{"env": "VAR"}` included.
    pub fn from_json(id: &str, config: Value, egress: Option<Vec<String>>) -> anyhow::Result<Self> {
        if !is_instance_id(id) {
            bail!("{}", instance_id_problem(id));
        }
        let config: toml::Table =
            serde_json::from_value(config).context("config: a JSON object without nulls is expected")?;
        Ok(Self { id: id.to_owned(), config, egress })
    }

    /// The plugin's configuration object, every `{ env = "VAR" }` resolved (the operator's
    /// file: any variable). Every missing variable is named at once.
    pub fn plugin_config(&self) -> anyhow::Result<Value> {
        Ok(self.resolve(None)?.config)
    }

    /// The plugin's configuration for an instance added by an API caller: only the variables
    /// `limits` allows may be named. Returns the values read from the environment too, so that
    /// answers can be scrubbed of them.
    pub fn caller_config(&self, limits: &CallerLimits) -> anyhow::Result<ResolvedConfig> {
        self.resolve(Some(limits))
    }

    fn resolve(&self, caller: Option<&CallerLimits>) -> anyhow::Result<ResolvedConfig> {
        let mut walk = EnvWalk::new(caller);
        let config = walk.to_json(&toml::Value::Table(self.config.clone()), "config");
        if !walk.problems.is_empty() {
            bail!("{}", walk.problems.join("; "));
        }
        Ok(ResolvedConfig { config, secrets: walk.secrets })
    }

    /// Every `{ env = "VAR" }` of the config that names an unset variable, with the setting
    /// naming it.
    fn unset_variables(&self) -> Vec<(String, String)> {
        let mut walk = EnvWalk::new(None);
        walk.to_json(&toml::Value::Table(self.config.clone()), "config");
        walk.unset
    }
}

/// Why `id` cannot be an instance id (they are the last token of omni's subjects).
pub fn instance_id_problem(id: &str) -> String {
    let max = omni_channel_vocabulary::MAX_INSTANCE_ID_LEN;
    let shown: String = id.chars().take(max).collect();
    let more = if shown.len() < id.len() { "…" } else { "" };
    format!("instance id `{shown}{more}` must be 1 to {max} letters, digits, `-` or `_`")
}

/// An instance's configuration as the plugin receives it.
pub struct ResolvedConfig {
    pub config: Value,
    /// The values read from the environment (to keep out of answers).
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for ResolvedConfig {
    // Holds secrets: only the keys are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&String> = self.config.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        f.debug_struct("ResolvedConfig").field("config", &keys).field("secrets", &self.secrets.len()).finish()
    }
}

/// Replaces every occurrence of a secret in `text` (answers to API callers, which may quote
/// a plugin's or provider's words) with `<redacted>`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_owned();
    // Longest first, so a secret containing another is not half-replaced; very short values
    // ("1", "true") are not secrets worth mangling every message for.
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| s.len() >= 4).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        text = text.replace(secret.as_str(), "<redacted>");
    }
    text
}

/// TOML → JSON, every table that is exactly `{ env = "VAR" }` read from the environment;
/// problems name the setting (`config.accessToken`) and the variable, never a value.
struct EnvWalk<'a> {
    /// Set for a caller's settings: only the variables it allows.
    caller: Option<&'a CallerLimits>,
    secrets: Vec<String>,
    problems: Vec<String>,
    /// The unset variables, with the setting naming each.
    unset: Vec<(String, String)>,
}

impl<'a> EnvWalk<'a> {
    fn new(caller: Option<&'a CallerLimits>) -> Self {
        Self { caller, secrets: Vec::new(), problems: Vec::new(), unset: Vec::new() }
    }

    fn to_json(&mut self, value: &toml::Value, at: &str) -> Value {
        match value {
            toml::Value::String(s) => Value::String(s.clone()),
            toml::Value::Integer(i) => json!(i),
            toml::Value::Float(f) => json!(f),
            toml::Value::Boolean(b) => json!(b),
            toml::Value::Datetime(d) => Value::String(d.to_string()),
            toml::Value::Array(items) => Value::Array(
                items.iter().enumerate().map(|(i, item)| self.to_json(item, &format!("{at}[{i}]"))).collect(),
            ),
            toml::Value::Table(table) => match env_reference(table) {
                Some(var) => self.read(var, at),
                None => Value::Object(
                    table.iter().map(|(key, item)| (key.clone(), self.to_json(item, &format!("{at}.{key}")))).collect(),
                ),
            },
        }
    }

    fn read(&mut self, var: &str, at: &str) -> Value {
        if let Some(limits) = self.caller
            && !limits.allows_env(var)
        {
            self.problems.push(format!(
                "{at}: environment variable {var} is not one an API caller may name (the operator lists them in [api] env_allow)"
            ));
            return Value::Null;
        }
        match std::env::var(var) {
            Ok(value) => {
                self.secrets.push(value.clone());
                Value::String(value)
            }
            Err(_) => {
                self.problems.push(format!("{at}: environment variable {var} is not set"));
                self.unset.push((var.to_owned(), at.to_owned()));
                Value::Null
            }
        }
    }
}

/// `VAR` when `table` is exactly `{ env = "VAR" }`.
fn env_reference(table: &toml::Table) -> Option<&str> {
    match table.get("env") {
        Some(toml::Value::String(var)) if table.len() == 1 => Some(var),
        _ => None,
    }
}

impl HostConfig {
    /// Reads and checks a configuration file, every environment variable it names included
    /// (all the missing ones reported at once).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let config = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        config.check_environment().with_context(|| format!("in {}", path.display()))?;
        Ok(config)
    }

    /// Every `{ env = "VAR" }` of the file that names an unset variable, in one error.
    pub fn check_environment(&self) -> anyhow::Result<()> {
        let mut missing: Vec<String> = Vec::new();
        for instance in &self.instances {
            let id = &instance.id;
            let unset = instance.unset_variables().into_iter();
            missing.extend(unset.map(|(var, at)| format!("{var} (for instance `{id}` {at})")));
        }
        let api_token = self.api.as_ref().map(|api| (&api.token, "[api] token"));
        let link_secret =
            self.media.as_ref().and_then(|media| media.link_secret.as_ref()).map(|s| (s, "[media] link_secret"));
        for (secret, at) in api_token.into_iter().chain(link_secret) {
            if let Secret::Env { env } = secret
                && std::env::var_os(env).is_none()
            {
                missing.push(format!("{env} (for {at})"));
            }
        }
        if !missing.is_empty() {
            bail!("environment variables not set: {}", missing.join(", "));
        }
        Ok(())
    }

    /// [`HostConfig::load`] for a reload of a running host: a file that names no instances at
    /// all — empty, or cut short while an editor writes it — is refused rather than taken to
    /// mean "remove every instance", which takes an explicit `instances = []`.
    pub fn load_for_reload(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let table: toml::Table = toml::from_str(&text).with_context(|| format!("in {}", path.display()))?;
        if !table.contains_key("instances") {
            bail!(
                "{} names no instances (empty, or not fully written?); to remove every instance, write `instances = []`",
                path.display()
            );
        }
        let config = Self::parse(&text).with_context(|| format!("in {}", path.display()))?;
        config.check_environment().with_context(|| format!("in {}", path.display()))?;
        Ok(config)
    }

    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Self = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for instance in &config.instances {
            // Instance ids are the last token of omni's subjects.
            if !is_instance_id(&instance.id) {
                bail!("{}", instance_id_problem(&instance.id));
            }
            if !seen.insert(instance.id.as_str()) {
                bail!("instance id `{}` appears twice", instance.id);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests;
