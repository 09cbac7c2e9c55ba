//! Instance configuration.
//!
//! One table, [`SETTINGS`], drives parsing, validation, defaults and the published JSON Schema,
//! so the schema omni shows and the checks the plugin runs cannot drift apart.

use serde_json::{Map, Value, json};

use crate::json::Node;
use sha2::{Digest, Sha256};

use crate::wit::plugin::ValidatedConfig;
use crate::wit::types::ConfigProblem;

/// Graph API version used when an instance does not pin one.
/// The newest version Meta documents (v26.0, released 29 July 2026).
pub const DEFAULT_GRAPH_API_VERSION: &str = "v26.0";
/// Graph API base URL used when an instance does not override it.
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.facebook.com";

const APP_SECRET: &str = "appSecret";
const VERIFY_TOKEN: &str = "webhookVerifyToken";
const PHONE_NUMBER_ID: &str = "phoneNumberId";
const BUSINESS_ACCOUNT_ID: &str = "businessAccountId";
const ACCESS_TOKEN: &str = "accessToken";
const GRAPH_API_VERSION: &str = "graphApiVersion";
const GRAPH_BASE_URL: &str = "graphBaseUrl";
const MARKETING_MESSAGES: &str = "marketingMessages";

/// How a setting's value is checked.
#[derive(Clone, Copy)]
enum Rule {
    /// Any non-empty string.
    NonEmpty,
    /// Printable ASCII without spaces: it goes into an HTTP header.
    Token,
    /// Decimal digits (Meta's numeric ids).
    Digits,
    /// `vNN.N`.
    GraphVersion,
    /// An absolute `http(s)://` URL without query or fragment.
    HttpUrl,
    /// `true` or `false` (a JSON boolean).
    Flag,
}

struct Setting {
    key: &'static str,
    description: &'static str,
    secret: bool,
    default: Option<&'static str>,
    rule: Rule,
}

const SETTINGS: &[Setting] = &[
    Setting {
        key: APP_SECRET,
        description: "Meta app secret; verifies the X-Hub-Signature-256 of every webhook.",
        secret: true,
        default: None,
        rule: Rule::NonEmpty,
    },
    Setting {
        key: VERIFY_TOKEN,
        description: "Token you chose when subscribing the webhook; answers Meta's GET verification.",
        secret: true,
        default: None,
        rule: Rule::NonEmpty,
    },
    Setting {
        key: PHONE_NUMBER_ID,
        description: "WhatsApp phone number id (not the phone number itself).",
        secret: false,
        default: None,
        rule: Rule::Digits,
    },
    Setting {
        key: BUSINESS_ACCOUNT_ID,
        description: "WhatsApp Business Account (WABA) id.",
        secret: false,
        default: None,
        rule: Rule::Digits,
    },
    Setting {
        key: ACCESS_TOKEN,
        description: "System-user access token with whatsapp_business_messaging permission.",
        secret: true,
        default: None,
        rule: Rule::Token,
    },
    Setting {
        key: GRAPH_API_VERSION,
        description: "Graph API version, e.g. v26.0.",
        secret: false,
        default: Some(DEFAULT_GRAPH_API_VERSION),
        rule: Rule::GraphVersion,
    },
    Setting {
        key: GRAPH_BASE_URL,
        description: "Graph API base URL; override only for a proxy or a test double.",
        secret: false,
        default: Some(DEFAULT_GRAPH_BASE_URL),
        rule: Rule::HttpUrl,
    },
    Setting {
        key: MARKETING_MESSAGES,
        description: "Send marketing templates (and carousel and limited-time-offer templates) through the \
                      Marketing Messages API (POST /{phone-number-id}/marketing_messages), for accounts onboarded to it.",
        secret: false,
        default: Some("false"),
        rule: Rule::Flag,
    },
];

/// A validated instance configuration.
#[derive(Clone, PartialEq)]
pub struct InstanceConfig {
    pub app_secret: String,
    pub verify_token: String,
    pub phone_number_id: String,
    pub business_account_id: String,
    pub access_token: String,
    pub graph_api_version: String,
    /// Without a trailing slash.
    pub graph_base_url: String,
    /// Marketing templates go through the Marketing Messages API.
    pub marketing_messages: bool,
}

impl std::fmt::Debug for InstanceConfig {
    // Secrets stay out of logs and panic messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceConfig")
            .field("phone_number_id", &self.phone_number_id)
            .field("business_account_id", &self.business_account_id)
            .field("graph_api_version", &self.graph_api_version)
            .field("graph_base_url", &self.graph_base_url)
            .field("marketing_messages", &self.marketing_messages)
            .finish_non_exhaustive()
    }
}

impl InstanceConfig {
    /// Parses and validates a configuration, reporting every problem at once.
    pub fn parse(json: &str) -> Result<Self, Vec<ConfigProblem>> {
        let mut values = resolve(json)?;
        let mut take =
            |key: &str| values.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| std::mem::take(v)).unwrap_or_default();
        Ok(Self {
            app_secret: take(APP_SECRET),
            verify_token: take(VERIFY_TOKEN),
            phone_number_id: take(PHONE_NUMBER_ID),
            business_account_id: take(BUSINESS_ACCOUNT_ID),
            access_token: take(ACCESS_TOKEN),
            graph_api_version: take(GRAPH_API_VERSION),
            graph_base_url: take(GRAPH_BASE_URL).trim_end_matches('/').to_owned(),
            marketing_messages: take(MARKETING_MESSAGES) == "true",
        })
    }

    /// `{base}/{version}`: the prefix of every Graph API URL of this instance.
    pub fn graph_root(&self) -> String {
        format!("{}/{}", self.graph_base_url, self.graph_api_version)
    }
}

/// Where Meta serves media downloads from, for instances that use Meta's own Graph API.
const META_MEDIA_ORIGIN: &str = "https://lookaside.fbsbx.com";

/// Validates a configuration and returns it with defaults filled in, with what the instance
/// needs from its host: the origins it calls, the key of its Meta app, the phone number it
/// answers for.
pub fn validate(json: &str) -> Result<ValidatedConfig, Vec<ConfigProblem>> {
    let values = resolve(json)?;
    let object: Map<String, Value> = values
        .into_iter()
        .map(|(key, value)| {
            let flag = SETTINGS.iter().any(|s| s.key == key && matches!(s.rule, Rule::Flag));
            (key.to_owned(), if flag { Value::Bool(value == "true") } else { Value::String(value) })
        })
        .collect();
    let config = InstanceConfig::parse(&Value::Object(object.clone()).to_string())?;
    let graph = origin(&config.graph_base_url);
    let mut egress = vec![graph.clone()];
    if graph == DEFAULT_GRAPH_BASE_URL {
        egress.push(META_MEDIA_ORIGIN.to_owned());
    }
    Ok(ValidatedConfig {
        config: Value::Object(object).to_string(),
        egress,
        app_key: app_key(&config.app_secret),
        routing_keys: vec![config.phone_number_id],
    })
}

/// `scheme://host[:port]` of a URL that passed [`Rule::HttpUrl`], host lowercased.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split('/').next().unwrap_or("");
    format!("{}://{}", scheme.to_ascii_lowercase(), authority.to_ascii_lowercase())
}

/// Instances of one Meta app share its app secret; this names the app without revealing it
/// (a domain-separated SHA-256, truncated).
fn app_key(app_secret: &str) -> String {
    let digest = Sha256::new().chain_update(b"omni whatsapp-cloud app key\0").chain_update(app_secret).finalize();
    hex::encode(&digest[..16])
}

/// The JSON Schema (draft 2020-12) of the configuration, generated from [`SETTINGS`].
pub fn schema() -> String {
    let properties: Map<String, Value> = SETTINGS
        .iter()
        .map(|s| {
            let kind = if matches!(s.rule, Rule::Flag) { "boolean" } else { "string" };
            let mut property = json!({ "type": kind, "description": s.description });
            let object = property.as_object_mut().expect("literal object");
            match s.rule {
                Rule::NonEmpty => {
                    object.insert("minLength".into(), json!(1));
                }
                Rule::Token => {
                    object.insert("pattern".into(), json!("^[!-~]+$"));
                }
                Rule::Digits => {
                    object.insert("pattern".into(), json!("^[0-9]+$"));
                }
                Rule::GraphVersion => {
                    object.insert("pattern".into(), json!("^v[0-9]+\\.[0-9]+$"));
                }
                Rule::HttpUrl => {
                    object.insert("format".into(), json!("uri"));
                    object.insert("pattern".into(), json!("^https?://[^?#]+$"));
                }
                Rule::Flag => {}
            }
            match (s.default, s.rule) {
                (Some(default), Rule::Flag) => {
                    object.insert("default".into(), json!(default == "true"));
                }
                (Some(default), _) => {
                    object.insert("default".into(), json!(default));
                }
                (None, _) => {}
            }
            if s.secret {
                object.insert("writeOnly".into(), json!(true));
            }
            (s.key.to_owned(), property)
        })
        .collect();
    let required: Vec<&str> = SETTINGS.iter().filter(|s| s.default.is_none()).map(|s| s.key).collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "WhatsApp Cloud API instance",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
    .to_string()
}

/// Checks every setting and returns the string value of each, defaults included, in
/// [`SETTINGS`] order.
fn resolve(json: &str) -> Result<Vec<(&'static str, String)>, Vec<ConfigProblem>> {
    let problem = |field: &str, message: String| ConfigProblem { field: field.to_owned(), message };
    let object = match Node::parse(json.as_bytes()) {
        Ok(object @ Node::Object(_)) => object,
        Ok(_) => {
            return Err(vec![problem("", "the configuration must be a JSON object".into())]);
        }
        Err(e) => {
            return Err(vec![problem("", format!("the configuration is not valid JSON: {e}"))]);
        }
    };
    let mut problems = Vec::new();
    // A key repeated in the text is one setting (the last value counts, as in a JSON object).
    let mut unknown: Vec<&str> = Vec::new();
    for (key, _) in object.members().unwrap_or_default() {
        if !SETTINGS.iter().any(|s| s.key == key) && !unknown.contains(&key.as_ref()) {
            unknown.push(key);
            problems.push(problem(&format!("/{key}"), format!("unknown setting `{key}`")));
        }
    }
    let mut values = Vec::with_capacity(SETTINGS.len());
    for setting in SETTINGS {
        let pointer = || format!("/{}", setting.key);
        let value = match object.get(setting.key) {
            None | Some(Node::Null) => match setting.default {
                Some(default) => default.to_owned(),
                None => {
                    problems.push(problem(&pointer(), format!("`{}` is required", setting.key)));
                    continue;
                }
            },
            Some(Node::Bool(b)) if matches!(setting.rule, Rule::Flag) => b.to_string(),
            Some(Node::Str(s)) if !matches!(setting.rule, Rule::Flag) => s.to_string(),
            Some(_) => {
                let kind = if matches!(setting.rule, Rule::Flag) { "true or false" } else { "a string" };
                problems.push(problem(&pointer(), format!("`{}` must be {kind}", setting.key)));
                continue;
            }
        };
        match check(setting.rule, &value) {
            Ok(()) => values.push((setting.key, value)),
            Err(why) => problems.push(problem(&pointer(), format!("`{}` {why}", setting.key))),
        }
    }
    if problems.is_empty() { Ok(values) } else { Err(problems) }
}

fn check(rule: Rule, value: &str) -> Result<(), &'static str> {
    let ok = match rule {
        Rule::NonEmpty => !value.trim().is_empty(),
        Rule::Token => !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic()),
        Rule::Digits => !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()),
        Rule::GraphVersion => value
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(major, minor)| is_digits(major) && is_digits(minor)),
        Rule::HttpUrl => {
            let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
            rest.is_some_and(|rest| {
                let host = rest.split('/').next().unwrap_or("");
                // No `user:password@`: credentials in a URL end up quoted in logs and errors.
                !host.is_empty()
                    && !host.contains('@')
                    && !value.contains(['?', '#'])
                    && value.bytes().all(|b| b.is_ascii_graphic())
            })
        }
        // Only a JSON boolean gets here (see `resolve`).
        Rule::Flag => true,
    };
    if ok {
        return Ok(());
    }
    Err(match rule {
        Rule::NonEmpty => "must not be empty",
        Rule::Token => "must be non-empty printable ASCII without spaces",
        Rule::Digits => "must be a numeric id",
        Rule::GraphVersion => "must look like v26.0",
        Rule::HttpUrl => "must be an absolute http(s) URL without user info, query or fragment",
        Rule::Flag => "must be true or false",
    })
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
pub(crate) mod tests;
