//! The operator's commands that reach the Graph API: `doctor`, `block`, `profile`, `call`,
//! `group`, `delete-media`.

use std::path::Path;
use std::process::Output;

use omni_host::fake_graph::FakeGraph;
use support::cli::{PHONE, TOKEN, omni_host, workspace};

mod support;

fn doctor(dir: &Path, extra: &[&str]) -> Output {
    let config = dir.join("config.toml");
    let mut args = vec!["doctor", "--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    omni_host(&args)
}

#[test]
fn doctor_passes_a_healthy_instance() {
    let graph = FakeGraph::start(TOKEN, PHONE).unwrap();
    let dir = workspace("doctor-ok", &graph.base_url());
    let out = doctor(&dir, &[]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    for check in ["configuration", "credentials", "phone-number", "quality", "webhook-subscription"] {
        assert!(report.lines().any(|l| l.trim_start().starts_with("ok") && l.contains(check)), "{check}:\n{report}");
    }
    assert!(report.contains("every check passed") && !report.contains("FAIL"), "{report}");
    assert!(graph.requests().iter().all(|r| r.method == "GET"), "doctor changed nothing");
}

#[test]
fn doctor_names_what_is_broken_and_how_to_fix_it() {
    let graph = FakeGraph::start(TOKEN, PHONE).unwrap();
    graph.set_subscribed(false);
    let dir = workspace("doctor-broken", &graph.base_url());
    let out = doctor(&dir, &["--instance", "cli"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let failed = report.lines().position(|l| l.contains("FAIL") && l.contains("webhook-subscription")).expect(&report);
    assert!(report.lines().nth(failed + 1).unwrap().contains("fix: subscribe the app"), "{report}");
    assert!(report.contains("1 problem found"), "{report}");

    // --subscribe fixes it.
    let out = doctor(&dir, &["--subscribe"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(graph.subscribed());

    // A token Meta refuses, and an instance the file does not have.
    std::fs::write(
        dir.join("config.toml"),
        std::fs::read_to_string(dir.join("config.toml")).unwrap().replace(TOKEN, "EAAwrong"),
    )
    .unwrap();
    let report = String::from_utf8_lossy(&doctor(&dir, &[]).stdout).into_owned();
    assert!(report.contains("FAIL") && report.contains("credentials") && report.contains("code 190"), "{report}");
    assert!(report.contains("fix: renew the access token"), "{report}");
    let out = doctor(&dir, &["--instance", "nobody"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no instance `nobody`"));
}

#[test]
fn doctor_says_a_graph_host_that_does_not_resolve_was_never_reached() {
    // `.invalid` never resolves (RFC 6761): nothing was sent, and doctor must not suggest that
    // something may have been.
    let dir = workspace("doctor-dns", "https://graph.example.invalid");
    let out = doctor(&dir, &[]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let failed = report.lines().find(|l| l.contains("FAIL") && l.contains("credentials")).expect(&report);
    assert!(failed.contains("could not be reached") && failed.contains("host not found"), "{report}");
    assert!(!report.contains("after sending") && !report.contains("unknown"), "{report}");
}

#[test]
fn block_and_profile_reach_the_graph_api_and_print_json() {
    let graph = FakeGraph::start(TOKEN, PHONE).unwrap();
    let dir = workspace("account", &graph.base_url());
    let config = dir.join("config.toml");
    let config = config.to_str().unwrap();
    let out = omni_host(&[
        "block",
        "--config",
        config,
        "--instance",
        "cli",
        "--user",
        "+1 650 555 1234",
        "--user",
        "16505550000",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["changed"], serde_json::json!(["16505551234"]));
    assert_eq!(outcome["failed"][0]["user"], "16505550000");
    let out = omni_host(&["block", "--config", config, "--instance", "cli", "--user", "16505551234", "--unblock"]);
    assert!(out.status.success());
    assert_eq!(graph.requests().last().unwrap().method, "DELETE");

    std::fs::write(dir.join("profile.json"), r#"{"about": "Open 9 to 5", "vertical": "RETAIL"}"#).unwrap();
    let update = dir.join("profile.json");
    let out = omni_host(&["profile", "--config", config, "--instance", "cli", "--update", update.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = omni_host(&["profile", "--config", config, "--instance", "cli"]);
    let profile: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((profile["about"].as_str(), profile["vertical"].as_str()), (Some("Open 9 to 5"), Some("RETAIL")));

    std::fs::write(dir.join("profile.json"), r#"{"vertical": "SHOES"}"#).unwrap();
    let out = omni_host(&["profile", "--config", config, "--instance", "cli", "--update", update.to_str().unwrap()]);
    assert!(!out.status.success());
    let error: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(error["field"], "vertical");
}

#[test]
fn call_group_and_delete_media_reach_the_graph_api_and_print_json() {
    let graph = FakeGraph::start(TOKEN, PHONE).unwrap();
    let dir = workspace("actions", &graph.base_url());
    let config = dir.join("config.toml");
    let config = config.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = omni_host(args);
        let stdout: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let stderr: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap_or_default();
        (out.status.success(), stdout, stderr)
    };
    let reject = r#"{"action": "reject", "callId": "wacid.CLI1"}"#;
    let (ok, answer, _) = run(&["call", "--config", config, "--instance", "cli", "--action", reject]);
    assert!(ok);
    assert_eq!(answer, serde_json::json!({"callId": "wacid.CLI1"}));
    assert_eq!(
        graph.requests().last().unwrap().json(),
        serde_json::json!({"messaging_product": "whatsapp", "call_id": "wacid.CLI1", "action": "reject"})
    );

    let link = r#"{"action": "invite_link", "groupId": "120363025246125486@g.us"}"#;
    let (ok, answer, _) = run(&["group", "--config", config, "--instance", "cli", "--action", link]);
    assert!(ok);
    assert_eq!(answer["inviteLink"], "https://chat.whatsapp.com/120363025246125486A");
    let (ok, _, error) =
        run(&["group", "--config", config, "--instance", "cli", "--action", r#"{"action": "create", "subject": " "}"#]);
    assert!(!ok);
    assert_eq!(error["field"], "subject");

    let id = graph.store_media(b"\x89PNG\r\n\x1a\n....", "image/png");
    let (ok, answer, _) = run(&["delete-media", "--config", config, "--instance", "cli", "--media-id", &id]);
    assert!(ok);
    assert_eq!(answer["deleted"], id.as_str());
    assert!(graph.media(&id).is_none());
    let out = omni_host(&["call", "--config", config, "--instance", "cli", "--action", r#"{"action": "hold"}"#]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--action"), "{}", String::from_utf8_lossy(&out.stderr));
}
