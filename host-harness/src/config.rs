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

/// `[api]`: who may use the send API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Bearer token callers must present.
    pub token: Secret,
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
            bail!("instance id `{id}` may only contain letters, digits, `-` and `_`");
        }
        let config: toml::Table =
            serde_json::from_value(config).context("config: a JSON object without nulls is expected")?;
        Ok(Self { id: id.to_owned(), config, egress })
    }

    /// The plugin's configuration object, every `{ env = "VAR" }` resolved.
    pub fn plugin_config(&self) -> anyhow::Result<Value> {
        to_json(&toml::Value::Table(self.config.clone()), "config")
    }
}

/// TOML → JSON, a table that is exactly `{ env = "VAR" }` read from the environment; errors
/// name the setting (`config.accessToken`).
fn to_json(value: &toml::Value, at: &str) -> anyhow::Result<Value> {
    Ok(match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_json(item, &format!("{at}[{i}]")))
                .collect::<anyhow::Result<_>>()?,
        ),
        toml::Value::Table(table) => match table.get("env") {
            Some(toml::Value::String(var)) if table.len() == 1 => {
                let secret = Secret::Env { env: var.clone() }.resolve().with_context(|| at.to_owned())?;
                Value::String(secret)
            }
            _ => Value::Object(
                table
                    .iter()
                    .map(|(key, item)| Ok((key.clone(), to_json(item, &format!("{at}.{key}"))?)))
                    .collect::<anyhow::Result<_>>()?,
            ),
        },
    })
}

impl HostConfig {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
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
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Self = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for instance in &config.instances {
            // Instance ids are the last token of omni's subjects.
            if !is_instance_id(&instance.id) {
                bail!("instance id `{}` may only contain letters, digits, `-` and `_`", instance.id);
            }
            if !seen.insert(instance.id.as_str()) {
                bail!("instance id `{}` appears twice", instance.id);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
        [[instances]]
        id = "acme"
        egress = ["https://graph.facebook.com"]

        [instances.config]
        appSecret = "s3cret"
        webhookVerifyToken = "vt"
        retries = 3
        nested = { token = { env = "OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET" }, on = true }
    "#;

    #[test]
    fn passes_the_plugin_config_through_with_secrets_resolved() {
        let config = HostConfig::parse(
            &SAMPLE.replace(r#"{ env = "OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET" }"#, r#"{ env = "PATH" }"#),
        )
        .unwrap();
        let plugin = config.instances[0].plugin_config().unwrap();
        assert_eq!(plugin["appSecret"], "s3cret");
        assert_eq!(plugin["retries"], 3);
        assert_eq!(plugin["nested"]["token"], std::env::var("PATH").unwrap());
        assert_eq!(plugin["nested"]["on"], true);
        assert_eq!(config.instances[0].egress.as_deref(), Some(&["https://graph.facebook.com".to_owned()][..]));
    }

    #[test]
    fn missing_environment_secrets_are_named_with_their_setting() {
        let config = HostConfig::parse(SAMPLE).unwrap();
        let error = format!("{:#}", config.instances[0].plugin_config().unwrap_err());
        assert!(
            error.contains("OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET") && error.contains("config.nested.token"),
            "{error}"
        );
    }

    #[test]
    fn refuses_bad_or_duplicate_ids_and_unknown_keys() {
        assert!(HostConfig::parse(&SAMPLE.replace("\"acme\"", "\"a.b\"")).is_err());
        assert!(HostConfig::parse(&format!("{SAMPLE}{SAMPLE}")).is_err());
        assert!(HostConfig::parse(&SAMPLE.replace("egress", "egres")).is_err());
    }

    #[test]
    fn settings_from_json_are_the_same_as_from_the_file() {
        let file = HostConfig::parse(SAMPLE).unwrap();
        let json = json!({"appSecret": "s3cret", "webhookVerifyToken": "vt", "retries": 3,
                          "nested": {"token": {"env": "OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET"}, "on": true}});
        let settings =
            InstanceSettings::from_json("acme", json, Some(vec!["https://graph.facebook.com".into()])).unwrap();
        assert_eq!(settings.config, file.instances[0].config);
        assert_eq!(settings.egress, file.instances[0].egress);
        assert!(InstanceSettings::from_json("a b", json!({}), None).is_err());
        assert!(InstanceSettings::from_json("a", json!({"x": null}), None).is_err());
    }

    #[test]
    fn the_example_configuration_parses() {
        let config = HostConfig::parse(include_str!("../../examples/config.toml")).unwrap();
        assert_eq!(config.instances[0].id, "demo");
        assert_eq!(config.instances[0].config["phoneNumberId"].as_str(), Some("106540352242922"));
    }

    #[test]
    fn secrets_are_not_printed() {
        let config = HostConfig::parse(SAMPLE).unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
