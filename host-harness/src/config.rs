//! The operator's configuration file (TOML).
//!
//! ```toml
//! [[instances]]
//! id = "acme-support"                      # omni instance id: letters, digits, `-`, `_`
//! app_secret = { env = "WA_APP_SECRET" }   # any secret: a literal or { env = "VAR" }
//! verify_token = "pick-a-long-random-string"
//! phone_number_id = "106540352242922"
//! business_account_id = "102290129340398"
//! access_token = { env = "WA_ACCESS_TOKEN" }
//! graph_api_version = "v24.0"              # optional
//! graph_base_url = "https://graph.facebook.com"   # optional
//! allowed_hosts = ["https://cdn.example.com"]     # optional extra egress
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

use crate::capabilities::events::is_subject_tokens;

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
        crate::capabilities::MediaLinks::new(&self.public_url, key, ttl)
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSettings {
    pub id: String,
    pub app_secret: Secret,
    pub verify_token: Secret,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub access_token: Secret,
    pub graph_api_version: Option<String>,
    pub graph_base_url: Option<String>,
    /// Origins reachable besides the Graph API (and Meta's media CDN when the Graph API is
    /// Meta's).
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
}

impl InstanceSettings {
    /// The plugin's configuration object (`plugin.config-schema`), secrets resolved.
    pub fn plugin_config(&self) -> anyhow::Result<Value> {
        let mut config = json!({
            "appSecret": self.app_secret.resolve().context("app_secret")?,
            "webhookVerifyToken": self.verify_token.resolve().context("verify_token")?,
            "phoneNumberId": self.phone_number_id,
            "businessAccountId": self.business_account_id,
            "accessToken": self.access_token.resolve().context("access_token")?,
        });
        if let Some(version) = &self.graph_api_version {
            config["graphApiVersion"] = json!(version);
        }
        if let Some(url) = &self.graph_base_url {
            config["graphBaseUrl"] = json!(url);
        }
        Ok(config)
    }
}

impl HostConfig {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and checks a configuration.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let config: Self = toml::from_str(text)?;
        let mut seen = std::collections::HashSet::new();
        for instance in &config.instances {
            // Instance ids are the last token of omni's subjects.
            if !is_subject_tokens(&instance.id) || instance.id.contains('.') {
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
        app_secret = "s3cret"
        verify_token = "vt"
        phone_number_id = "1"
        business_account_id = "2"
        access_token = { env = "OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET" }
    "#;

    #[test]
    fn parses_and_builds_the_plugin_config() {
        let config =
            HostConfig::parse(&SAMPLE.replace(r#"{ env = "OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET" }"#, r#""tok""#))
                .unwrap();
        let plugin = config.instances[0].plugin_config().unwrap();
        assert_eq!(plugin["appSecret"], "s3cret");
        assert_eq!(plugin["webhookVerifyToken"], "vt");
        assert_eq!(plugin["accessToken"], "tok");
        assert!(plugin.get("graphBaseUrl").is_none());
    }

    #[test]
    fn missing_environment_secrets_are_named() {
        let config = HostConfig::parse(SAMPLE).unwrap();
        let error = format!("{:#}", config.instances[0].plugin_config().unwrap_err());
        assert!(error.contains("OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET"), "{error}");
    }

    #[test]
    fn refuses_bad_or_duplicate_ids_and_unknown_keys() {
        assert!(HostConfig::parse(&SAMPLE.replace("\"acme\"", "\"a.b\"")).is_err());
        assert!(HostConfig::parse(&format!("{SAMPLE}{SAMPLE}")).is_err());
        assert!(HostConfig::parse(&SAMPLE.replace("phone_number_id", "phone_id")).is_err());
    }

    #[test]
    fn secrets_are_not_printed() {
        let config = HostConfig::parse(SAMPLE).unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
