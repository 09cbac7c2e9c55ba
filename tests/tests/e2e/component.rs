//! What the built component is: its imports, exports and identity.

use e2e_tests::runtime;

#[test]
fn imports_nothing_but_the_omni_channel_package() {
    let (imports, _) = runtime().interfaces();
    assert!(!imports.is_empty());
    for import in &imports {
        assert!(import.starts_with("omni:channel/") && import.ends_with("@0.6.0"), "unexpected import {import}");
    }
    assert!(!imports.iter().any(|i| i.starts_with("wasi:")), "{imports:?}");
    let mut sorted = imports.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "omni:channel/crypto@0.6.0",
            "omni:channel/events@0.6.0",
            "omni:channel/interactive@0.6.0",
            "omni:channel/logging@0.6.0",
            "omni:channel/media-links@0.6.0",
            "omni:channel/message-parts@0.6.0",
            "omni:channel/outbound-http@0.6.0",
            "omni:channel/templates@0.6.0",
            "omni:channel/types@0.6.0",
        ]
    );
}

#[test]
fn exports_the_whole_channel_surface() {
    let (_, mut exports) = runtime().interfaces();
    exports.sort();
    assert_eq!(
        exports,
        [
            "omni:channel/account@0.6.0",
            "omni:channel/calls@0.6.0",
            "omni:channel/groups@0.6.0",
            "omni:channel/media@0.6.0",
            "omni:channel/messaging@0.6.0",
            "omni:channel/plugin@0.6.0",
            "omni:channel/receipts@0.6.0",
            "omni:channel/webhook@0.6.0",
        ]
    );
    let all: Vec<_> = omni_channel_vocabulary::OptionalInterface::ALL.iter().map(|i| i.name()).collect();
    assert_eq!(runtime().optional_interfaces(), all, "the WhatsApp channel has every optional interface");
}

#[test]
fn identifies_itself_as_the_whatsapp_cloud_channel() {
    let info = runtime().info().unwrap();
    assert_eq!(info.id, "whatsapp-cloud");
    assert_eq!(info.contract, "omni:channel@0.6.0");
    assert_eq!(info.contract, omni_channel_vocabulary::CONTRACT);
    assert_eq!(info.capabilities.max_text_length, 4096);
    let schema: serde_json::Value = serde_json::from_str(&runtime().config_schema().unwrap()).unwrap();
    assert_eq!(schema["required"].as_array().unwrap().len(), 5);
}

#[test]
fn config_validation_reports_every_problem() {
    let problems = runtime().validate_config(r#"{"appSecret": ""}"#).unwrap().unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["/appSecret", "/webhookVerifyToken", "/phoneNumberId", "/businessAccountId", "/accessToken"]);
}

#[test]
fn a_channel_with_only_the_core_is_loaded_and_its_claims_are_checked_against_its_exports() {
    let core_only = e2e_tests::misbehaving_runtime();
    assert!(core_only.optional_interfaces().is_empty());
    let described = omni_host::omni::wire::plugin_info(&core_only.info().unwrap(), &core_only);
    assert_eq!(described["interfaces"], serde_json::json!([]));
    // It claims read receipts and groups, but exports neither `receipts` nor `groups`.
    assert_eq!(described["capabilities"]["features"], serde_json::json!(["send-text"]));
    let full = omni_host::omni::wire::plugin_info(&runtime().info().unwrap(), &runtime());
    assert!(full["capabilities"]["features"].as_array().unwrap().contains(&serde_json::json!("read-receipts")));
}
