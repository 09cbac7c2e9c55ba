use super::*;

/// A complete, valid configuration for tests elsewhere in the crate.
pub fn sample_json() -> String {
    json!({
        "appSecret": "s3cret",
        "webhookVerifyToken": "verify-me",
        "phoneNumberId": "106540352242922",
        "businessAccountId": "102290129340398",
        "accessToken": "EAAG-token",
        "graphBaseUrl": "http://127.0.0.1:9/",
    })
    .to_string()
}

pub fn sample() -> InstanceConfig {
    InstanceConfig::parse(&sample_json()).unwrap()
}

#[test]
fn parses_and_fills_defaults() {
    let config = sample();
    assert_eq!(config.graph_api_version, DEFAULT_GRAPH_API_VERSION);
    assert_eq!(config.graph_base_url, "http://127.0.0.1:9");
    assert_eq!(config.graph_root(), "http://127.0.0.1:9/v26.0");
}

#[test]
fn reports_every_problem_with_its_field() {
    let problems = InstanceConfig::parse(
        r#"{"appSecret":"","phoneNumberId":"12a","accessToken":"has space","graphApiVersion":"24","colour":"red"}"#,
    )
    .unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "/colour",
            "/appSecret",
            "/webhookVerifyToken",
            "/phoneNumberId",
            "/businessAccountId",
            "/accessToken",
            "/graphApiVersion"
        ]
    );
}

#[test]
fn rejects_non_objects_and_bad_json() {
    assert_eq!(InstanceConfig::parse("[]").unwrap_err()[0].field, "");
    assert!(InstanceConfig::parse("{").unwrap_err()[0].message.contains("not valid JSON"));
}

#[test]
fn rejects_urls_with_queries_or_other_schemes() {
    for url in ["ftp://x", "https://", "https://x/?a=1", "graph.facebook.com", "https://u:pw@graph.example.com"] {
        let mut value: Value = serde_json::from_str(&sample_json()).unwrap();
        value["graphBaseUrl"] = json!(url);
        assert!(InstanceConfig::parse(&value.to_string()).is_err(), "{url} accepted");
    }
}

#[test]
fn the_marketing_messages_flag_is_a_boolean_defaulting_to_false() {
    assert!(!sample().marketing_messages);
    let mut value: Value = serde_json::from_str(&sample_json()).unwrap();
    value["marketingMessages"] = json!(true);
    assert!(InstanceConfig::parse(&value.to_string()).unwrap().marketing_messages);
    let validated: Value = serde_json::from_str(&validate(&value.to_string()).unwrap().config).unwrap();
    assert_eq!(validated["marketingMessages"], true, "normalised as a boolean");
    value["marketingMessages"] = json!("true");
    let problems = InstanceConfig::parse(&value.to_string()).unwrap_err();
    assert_eq!(
        (problems[0].field.as_str(), problems[0].message.as_str()),
        ("/marketingMessages", "`marketingMessages` must be true or false")
    );
    let schema: Value = serde_json::from_str(&schema()).unwrap();
    assert_eq!(schema["properties"]["marketingMessages"]["type"], "boolean");
    assert_eq!(schema["properties"]["marketingMessages"]["default"], false);
}

#[test]
fn debug_output_hides_secrets() {
    let shown = format!("{:?}", sample());
    assert!(!shown.contains("s3cret") && !shown.contains("EAAG") && !shown.contains("verify-me"));
}

#[test]
fn schema_lists_every_setting_and_requires_those_without_default() {
    let schema: Value = serde_json::from_str(&schema()).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    assert_eq!(properties.len(), SETTINGS.len());
    assert_eq!(schema["required"].as_array().unwrap().len(), 5);
    assert_eq!(properties["graphApiVersion"]["default"], DEFAULT_GRAPH_API_VERSION);
    assert_eq!(properties["accessToken"]["writeOnly"], true);
}

#[test]
fn normalised_config_round_trips() {
    let validated = validate(&sample_json()).unwrap();
    assert_eq!(InstanceConfig::parse(&validated.config).unwrap(), sample());
}

#[test]
fn declares_what_the_instance_needs() {
    let validated = validate(&sample_json()).unwrap();
    assert_eq!(validated.egress, ["http://127.0.0.1:9"]);
    assert_eq!(validated.routing_keys, ["106540352242922"]);
    let mut meta: Value = serde_json::from_str(&sample_json()).unwrap();
    meta.as_object_mut().unwrap().remove("graphBaseUrl");
    let validated = validate(&meta.to_string()).unwrap();
    assert_eq!(validated.egress, ["https://graph.facebook.com", META_MEDIA_ORIGIN]);
    meta["graphBaseUrl"] = json!("https://Proxy.Example.com:8443/graph/");
    assert_eq!(validate(&meta.to_string()).unwrap().egress, ["https://proxy.example.com:8443"]);
}

#[test]
fn the_app_key_groups_by_secret_without_revealing_it() {
    let key = validate(&sample_json()).unwrap().app_key;
    assert_eq!(key.len(), 32);
    assert!(!key.contains("s3cret"));
    let mut other: Value = serde_json::from_str(&sample_json()).unwrap();
    other["phoneNumberId"] = json!("222");
    assert_eq!(validate(&other.to_string()).unwrap().app_key, key, "same app, other number");
    other["appSecret"] = json!("another-secret");
    assert_ne!(validate(&other.to_string()).unwrap().app_key, key);
}
