//! The `omni-host` binary, run as an operator would: its component cache, `info`, logging,
//! configuration errors, `sign`, `webhook`, `send` and `demo`.

use std::path::Path;
use std::process::Output;

use omni_host::fake_graph::FakeGraph;
use support::cli::{PHONE, SECRET, TOKEN, lines, omni_host, text_webhook, workspace};
use support::command;

mod support;

#[test]
fn a_second_start_loads_the_compiled_component_from_the_cache() {
    let dir = std::env::temp_dir().join(format!("omni-host-cli-own-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let info = |dir: &Path| {
        let out = command().args(["info", "--log", "info", "--cache-dir", dir.to_str().unwrap()]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(info(&dir).contains("component compiled and cached"));
    assert!(info(&dir).contains("component loaded from the cache"));
    // A damaged entry is compiled again and replaced.
    let entry = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&entry, b"not a compiled component").unwrap();
    let log = info(&dir);
    assert!(log.contains("ignoring an unusable cache entry") && log.contains("component compiled and cached"), "{log}");
    assert!(info(&dir).contains("component loaded from the cache"));
    // A directory others can write to is not trusted with native code.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(info(&dir).contains("not private to this user"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn info_lists_only_omni_channel_imports() {
    let out = omni_host(&["info"]);
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["plugin"]["id"], "whatsapp-cloud");
    let imports = info["imports"].as_array().unwrap();
    assert!(imports.iter().all(|i| i.as_str().unwrap().starts_with("omni:channel/")), "{imports:?}");
    // The size and digest are those of the component built into the binary.
    let built_in = omni_host::WHATSAPP_CLOUD_COMPONENT;
    assert_eq!(info["component"]["bytes"], built_in.len());
    let digest = <sha2::Sha256 as sha2::Digest>::digest(built_in);
    assert_eq!(info["component"]["sha256"], hex::encode(digest));
    // What the README, the example configuration and every configuration error send users to.
    let schema = &info["configSchema"];
    assert_eq!(schema["type"], "object");
    for setting in ["appSecret", "accessToken", "phoneNumberId", "graphBaseUrl"] {
        assert!(schema["properties"][setting].is_object(), "{setting} is described: {schema}");
    }
}

#[test]
fn a_log_filter_that_is_not_one_is_refused() {
    for typo in ["debugg", "verbose", "omni_host=loud"] {
        let out = omni_host(&["info", "--log", typo]);
        assert_eq!(out.status.code(), Some(2), "{typo}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--log") && stderr.contains(typo), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    assert!(omni_host(&["info", "--log", "omni_host=debug,warn"]).status.success());
}

#[test]
fn libraries_stay_quiet_unless_the_filter_asks_and_never_go_below_info() {
    // `warn` for everything: no library is raised to info (the component's compilation would
    // otherwise log through wasmtime's and cranelift's info lines).
    let dir = std::env::temp_dir().join(format!("omni-host-cli-quiet-{}", std::process::id()));
    let out = command().args(["info", "--log", "warn", "--cache-dir", dir.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(" INFO ") && !stderr.contains(" DEBUG "), "{stderr}");
    let out = command().args(["info", "--log", "trace", "--cache-dir", dir.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for library in ["cranelift", "regalloc2", "wasmtime_internal_cranelift"] {
        assert!(
            !stderr.lines().any(|l| (l.contains(" DEBUG ") || l.contains(" TRACE ")) && l.contains(library)),
            "{library} logged below info"
        );
    }
}

#[test]
fn every_missing_environment_variable_is_named_at_once() {
    let dir = std::env::temp_dir().join(format!("omni-host-cli-env-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        r#"[api]
token = { env = "OMNI_HOST_CLI_UNSET_TOKEN" }

[[instances]]
id = "one"
[instances.config]
appSecret = { env = "OMNI_HOST_CLI_UNSET_SECRET" }
accessToken = { env = "OMNI_HOST_CLI_UNSET_ACCESS" }
webhookVerifyToken = "v"
phoneNumberId = "1"
businessAccountId = "2"
"#,
    )
    .unwrap();
    let out = omni_host(&["serve", "--config", config.to_str().unwrap(), "--events", "none"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for variable in ["OMNI_HOST_CLI_UNSET_TOKEN", "OMNI_HOST_CLI_UNSET_SECRET", "OMNI_HOST_CLI_UNSET_ACCESS"] {
        assert!(stderr.contains(variable), "{variable} missing from: {stderr}");
    }
}

#[test]
fn sign_prints_the_header_value() {
    let dir = workspace("sign", "https://graph.facebook.com");
    std::fs::write(dir.join("body"), "what do ya want for nothing?").unwrap();
    let out = omni_host(&["sign", "--secret", "Jefe", "--body", dir.join("body").to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn webhook_prints_one_event_per_line_and_the_status_on_stderr() {
    let dir = workspace("webhook", "https://graph.facebook.com");
    std::fs::write(dir.join("body.json"), text_webhook()).unwrap();
    let signature = {
        let out = omni_host(&["sign", "--secret", SECRET, "--body", dir.join("body.json").to_str().unwrap()]);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let config = dir.join("config.toml");
    let body = dir.join("body.json");
    let out = omni_host(&[
        "webhook",
        "--config",
        config.to_str().unwrap(),
        "--body",
        body.to_str().unwrap(),
        "--header",
        &format!("X-Hub-Signature-256: {signature}"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 200"));
    let events = lines(&out.stdout);
    assert_eq!(events.len(), 2);
    for (event, id) in events.iter().zip(["wamid.CLI1", "wamid.CLI2"]) {
        assert_eq!(event["event"], "message.received");
        assert_eq!(event["subject"], "message.received.whatsapp-cloud.cli");
        assert_eq!(event["instanceId"], "cli");
        assert_eq!(event["channelType"], "whatsapp-cloud");
        assert_eq!(event["payload"]["externalId"], id);
        assert_eq!(event["id"].as_str().unwrap().len(), 32);
        assert!(event["metadata"].is_object());
    }
    assert_eq!(events[0]["payload"]["content"]["text"], "héllo");
}

#[test]
fn webhook_exits_non_zero_without_a_valid_signature() {
    let dir = workspace("unsigned", "https://graph.facebook.com");
    std::fs::write(dir.join("body.json"), text_webhook()).unwrap();
    let out = omni_host(&[
        "webhook",
        "--config",
        dir.join("config.toml").to_str().unwrap(),
        "--body",
        dir.join("body.json").to_str().unwrap(),
        "--header",
        "X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HTTP 401"));
    assert!(out.stdout.is_empty(), "nothing published");
}

#[test]
fn webhook_answers_the_verification_handshake() {
    let dir = workspace("verify", "https://graph.facebook.com");
    let out = omni_host(&[
        "webhook",
        "--config",
        dir.join("config.toml").to_str().unwrap(),
        "--body",
        "/dev/null",
        "--method",
        "GET",
        "--query",
        "hub.mode=subscribe&hub.challenge=8675309&hub.verify_token=cli-verify",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("8675309"));
}

/// `omni-host send` of `message` (JSON) from the workspace's instance, events to `events`.
fn send(dir: &Path, message: &str, events: &str) -> Output {
    std::fs::write(dir.join("message.json"), message).unwrap();
    omni_host(&[
        "send",
        "--config",
        dir.join("config.toml").to_str().unwrap(),
        "--instance",
        "cli",
        "--message",
        dir.join("message.json").to_str().unwrap(),
        "--events",
        events,
    ])
}

#[test]
fn send_prints_the_receipt_and_publishes_message_sent() {
    let graph = FakeGraph::start(TOKEN, PHONE).unwrap();
    let dir = workspace("send", &graph.base_url());
    let events = format!("jsonl:{}", dir.join("events.jsonl").display());
    let out = send(&dir, r#"{"to": "+1 650 555 1234", "content": {"type": "text", "text": "hi"}}"#, &events);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["messageId"], "wamid.FAKE00000001");
    let events = lines(&std::fs::read(dir.join("events.jsonl")).unwrap());
    assert_eq!(events[0]["event"], "message.sent");
    assert_eq!(events[0]["id"], receipt["eventId"]);
    assert_eq!(graph.requests()[0].json()["to"], "16505551234");
}

#[test]
fn send_prints_the_typed_error_and_exits_non_zero() {
    let graph = FakeGraph::start(TOKEN, PHONE).unwrap();
    graph.script(omni_host::fake_graph::ScriptedResponse::graph_error(400, 131047, "Re-engagement message"));
    let dir = workspace("send-error", &graph.base_url());
    let out = send(&dir, r#"{"to": "16505551234", "content": {"type": "text", "text": "hi"}}"#, "none");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let error: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).lines().last().unwrap()).unwrap();
    assert_eq!(error["error"], "provider");
    assert_eq!(error["code"], 131047);
    assert_eq!(error["retryable"], false);
    assert_eq!(error["class"], "terminal");
}

#[test]
fn demo_shows_the_channel_end_to_end() {
    let out = omni_host(&["demo", "--exit", "--listen", "127.0.0.1:0"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let events: Vec<serde_json::Value> =
        text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["message.received", "message.sent", "message.delivered", "message.read"]);
    assert!(text.contains("Meta verifies the webhook: HTTP 200"));
    assert!(text.contains("curl -s -X POST"));
}
