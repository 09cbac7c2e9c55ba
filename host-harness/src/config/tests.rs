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
    assert!(error.contains("OMNI_HOST_TEST_TOKEN_THAT_IS_NOT_SET") && error.contains("config.nested.token"), "{error}");
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
    let settings = InstanceSettings::from_json("acme", json, Some(vec!["https://graph.facebook.com".into()])).unwrap();
    assert_eq!(settings.config, file.instances[0].config);
    assert_eq!(settings.egress, file.instances[0].egress);
    assert!(InstanceSettings::from_json("a b", json!({}), None).is_err());
    assert!(InstanceSettings::from_json("a", json!({"x": null}), None).is_err());
}

#[test]
fn the_example_configuration_parses() {
    let config = HostConfig::parse(include_str!("../../../examples/config.toml")).unwrap();
    assert_eq!(config.instances[0].id, "demo");
    assert_eq!(config.instances[0].config["phoneNumberId"].as_str(), Some("106540352242922"));
}

#[test]
fn every_missing_variable_is_named_at_once() {
    let text = r#"
        [api]
        token = { env = "OMNI_HOST_TEST_UNSET_API" }
        [[instances]]
        id = "a"
        [instances.config]
        appSecret = { env = "OMNI_HOST_TEST_UNSET_ONE" }
        accessToken = { env = "OMNI_HOST_TEST_UNSET_TWO" }
        home = { env = "PATH" }
    "#;
    let error = HostConfig::parse(text).unwrap().check_environment().unwrap_err().to_string();
    for named in [
        "OMNI_HOST_TEST_UNSET_API",
        "[api] token",
        "OMNI_HOST_TEST_UNSET_ONE",
        "config.appSecret",
        "OMNI_HOST_TEST_UNSET_TWO",
    ] {
        assert!(error.contains(named), "{named} missing from: {error}");
    }
    assert!(!error.contains("PATH"), "{error}");
    let plugin = HostConfig::parse(text).unwrap().instances[0].plugin_config().unwrap_err().to_string();
    assert!(plugin.contains("OMNI_HOST_TEST_UNSET_ONE") && plugin.contains("OMNI_HOST_TEST_UNSET_TWO"), "{plugin}");
}

#[test]
fn a_caller_names_only_the_variables_the_operator_allows_and_never_sees_a_value() {
    let limits = CallerLimits { env_allow: vec!["PA*".into(), "HOME".into()], egress: None };
    assert!(limits.allows_env("PATH") && limits.allows_env("HOME"));
    assert!(!limits.allows_env("HOMEDIR") && !limits.allows_env("OMNI_HOST_API_TOKEN"));
    assert!(!CallerLimits::default().allows_env("PATH"), "nothing unless listed");

    let allowed = InstanceSettings::from_json("a", json!({"token": {"env": "PATH"}}), None).unwrap();
    let resolved = allowed.caller_config(&limits).unwrap();
    let path = std::env::var("PATH").unwrap();
    assert_eq!(resolved.config["token"], path.as_str());
    assert_eq!(resolved.secrets, [path.clone()]);

    let refused = InstanceSettings::from_json("a", json!({"token": {"env": "PATH"}}), None).unwrap();
    let error = refused.caller_config(&CallerLimits::default()).unwrap_err().to_string();
    assert!(error.contains("config.token") && error.contains("env_allow"), "{error}");
    assert!(!error.contains(&path), "no value in the refusal");
}

#[test]
fn scrubbing_replaces_every_secret() {
    let secrets = vec!["https://user:pw@internal".to_owned(), "pw@in".to_owned(), "1".to_owned()];
    assert_eq!(scrub("bad url https://user:pw@internal/x, 1 try", &secrets), "bad url <redacted>/x, 1 try");
}

#[test]
fn secrets_are_not_printed() {
    let config = HostConfig::parse(SAMPLE).unwrap();
    assert!(!format!("{config:?}").contains("s3cret"));
}
