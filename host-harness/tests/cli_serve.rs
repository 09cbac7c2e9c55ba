//! `omni-host serve` as an operator runs it: its flags, stopping, secrets in its logs, reloading
//! its instances on SIGHUP.

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use omni_host::fake_graph::FakeGraph;
use support::Serving;
use support::cli::{PHONE, SECRET, TOKEN, omni_host, text_webhook, workspace};

mod support;

#[test]
fn serve_documents_its_flags() {
    let out = omni_host(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in
        ["--config", "--listen", "--events", "--nats-stream", "--nats-dedup-window", "--max-concurrency", "--max-body"]
    {
        assert!(help.contains(flag), "serve --help lacks {flag}");
    }
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let dir = workspace("serve", "https://graph.facebook.com");
    let mut serving = Serving::start(&dir, &[]);
    serving.terminate();
    let exit = serving.exit_within(Duration::from_secs(20)).expect("serve exits on SIGTERM");
    assert!(exit.success(), "serve exited with {exit}");
}

#[test]
fn serve_exits_within_its_shutdown_grace_though_a_request_is_half_sent() {
    let dir = workspace("serve-grace", "https://graph.facebook.com");
    let mut serving = Serving::start(&dir, &["--shutdown-grace", "1", "--header-timeout", "60"]);
    // A request whose head is complete and whose body never comes, and one whose head never ends.
    let mut half_sent = TcpStream::connect(("127.0.0.1", serving.port)).unwrap();
    half_sent
        .write_all(b"POST /webhooks/whatsapp-cloud/cli HTTP/1.1\r\nHost: x\r\ncontent-length: 5000\r\n\r\n{\"object\"")
        .unwrap();
    let mut half_head = TcpStream::connect(("127.0.0.1", serving.port)).unwrap();
    half_head.write_all(b"POST /webhooks/whatsapp-cloud/cli HTTP/1.1\r\nHost: x\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    serving.terminate();
    // The grace (1 s) plus the runtime's own shutdown bound (1 s), with room for a slow machine;
    // before the bound existed one such request kept the process alive for 45 s and more.
    let exit = serving.exit_within(Duration::from_secs(10)).expect("serve exits though requests are half-sent");
    assert!(exit.success(), "serve exited with {exit}");
    drop((half_sent, half_head));
}

/// Whether `log` holds any 12 characters of `secret` in a row: a protocol log's hex dump shows
/// 16 bytes per row, so a secret of 40 characters or more leaves a whole row there.
fn leaks(log: &str, secret: &str) -> bool {
    secret.as_bytes().windows(12).any(|w| log.contains(std::str::from_utf8(w).unwrap()))
}

#[test]
fn a_trace_log_of_serve_holds_no_secret() {
    let (token, app_secret, verify) = (
        "EAAGm0PX4ZCpsBAKZCtokenthatmustnevershowupinlogs",
        "app-secret-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c",
        "verify-token-that-must-never-show-up-in-logs",
    );
    let api_token = "api-token-that-must-never-show-up-in-any-log";
    let graph = FakeGraph::start(token, PHONE).unwrap();
    let dir = workspace("serve-trace", &graph.base_url());
    let config = std::fs::read_to_string(dir.join("config.toml"))
        .unwrap()
        .replace(TOKEN, token)
        .replace(SECRET, app_secret)
        .replace("cli-verify", verify);
    std::fs::write(dir.join("config.toml"), format!("{config}\n[api]\ntoken = \"{api_token}\"\n")).unwrap();
    let mut serving = Serving::start(&dir, &["--log", "trace"]);
    // A send (the access token goes to Meta), a signed webhook and the verification handshake.
    let message = r#"{"to": "16505551234", "content": {"type": "text", "text": "hi"}}"#;
    let send = serving
        .request(
            format!(
                "POST /api/v1/instances/cli/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {api_token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nConnection: close\r\n\r\n{message}",
                message.len()
            )
            .as_bytes(),
        )
        .unwrap();
    assert!(send.starts_with("HTTP/1.1 200"), "{send}");
    assert_eq!(graph.requests().len(), 1, "the send reached the Graph API");
    let body = text_webhook();
    let signature = omni_host::signing::hub_signature(app_secret.as_bytes(), body.as_bytes());
    let webhook = serving
        .request(
            format!(
                "POST /webhooks/whatsapp-cloud/cli HTTP/1.1\r\nHost: x\r\nx-hub-signature-256: {signature}\r\ncontent-length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    assert!(webhook.starts_with("HTTP/1.1 200"), "{webhook}");
    let handshake = serving
        .request(
            format!(
                "GET /webhooks/whatsapp-cloud/cli?hub.mode=subscribe&hub.challenge=7&hub.verify_token={verify} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    assert!(handshake.starts_with("HTTP/1.1 200"), "{handshake}");
    serving.terminate();
    serving.exit_within(Duration::from_secs(20)).expect("serve exits on SIGTERM");
    let log = serving.stderr();
    assert!(log.contains("Graph") || log.lines().count() > 50, "a trace log, not silence:\n{log}");
    for secret in [token, app_secret, verify, api_token] {
        assert!(!leaks(&log, secret), "the log holds part of {secret:?}:\n{log}");
    }
}

/// The config of `workspace` with a second instance, `second`, on the same fake.
fn with_second_instance(dir: &Path) -> String {
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let second = config.replacen("id = \"cli\"", "id = \"second\"", 1).replace(PHONE, "200000000000001");
    format!("{config}\n{second}")
}

fn handshake(serving: &Serving, instance: &str) -> u16 {
    let (status, _) = serving.call(
        "GET",
        &format!("/webhooks/whatsapp-cloud/{instance}?hub.mode=subscribe&hub.challenge=7&hub.verify_token=cli-verify"),
        &[],
        b"",
    );
    status
}

#[test]
fn sighup_reloads_the_instances_and_a_broken_file_keeps_the_running_ones() {
    let dir = workspace("sighup", "https://graph.facebook.com");
    let original = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let both = with_second_instance(&dir);
    let mut serving = Serving::start(&dir, &["--log", "info"]);
    assert_eq!((handshake(&serving, "cli"), handshake(&serving, "second")), (200, 404));
    let hangup = |serving: &Serving| {
        let status = Command::new("kill").args(["-HUP", &serving.pid().to_string()]).status().unwrap();
        assert!(status.success());
    };

    // Each reload is counted in the metrics: wait for the count before the next one.
    let reloads = |serving: &Serving, outcome: &str| -> u64 {
        let (_, metrics) = serving.call("GET", "/metrics", &[], b"");
        let series = format!("omni_config_reloads_total{{outcome=\"{outcome}\"}} ");
        metrics.lines().find_map(|l| l.strip_prefix(series.as_str())).map_or(0, |n| n.trim().parse().unwrap())
    };
    let reload = |serving: &Serving, text: &str, outcome: &str| {
        let before = reloads(serving, outcome);
        std::fs::write(dir.join("config.toml"), text).unwrap();
        hangup(serving);
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while reloads(serving, outcome) == before {
            assert!(std::time::Instant::now() < deadline, "no {outcome} reload counted");
            std::thread::sleep(Duration::from_millis(20));
        }
    };

    reload(&serving, &both, "ok");
    assert_eq!((handshake(&serving, "cli"), handshake(&serving, "second")), (200, 200));

    // An instance the plugin refuses (no app secret): the whole file is refused, nothing changes.
    reload(&serving, &both.replace(&format!("appSecret = \"{SECRET}\"\n"), ""), "refused");
    reload(&serving, "this is [not toml", "refused");
    // An empty file (`: > config.toml`), or one cut short before its instances: the instances stay.
    reload(&serving, "", "refused");
    reload(&serving, &original[..original.len() / 2], "refused");
    assert_eq!((handshake(&serving, "cli"), handshake(&serving, "second")), (200, 200));
    let (_, ready) = serving.call("GET", "/readyz", &[], b"");
    assert!(ready.contains("\"reloadRefused\""), "/readyz shows the refusal: {ready}");

    // Back to the original file: `second` goes.
    reload(&serving, &original, "ok");
    assert_eq!((handshake(&serving, "cli"), handshake(&serving, "second")), (200, 404));
    // Removing every instance is said so.
    reload(&serving, "instances = []\n", "ok");
    assert_eq!(handshake(&serving, "cli"), 404);

    serving.terminate();
    serving.exit_within(Duration::from_secs(20)).expect("serve exits on SIGTERM");
    let log = serving.stderr();
    let refusals: Vec<&str> =
        log.lines().filter(|l| l.contains("reload refused, keeping the running instances")).collect();
    assert_eq!(refusals.len(), 4, "{log}");
    assert!(refusals[0].contains("/appSecret"), "the reason is named: {}", refusals[0]);
    assert!(refusals[1].contains("TOML") || refusals[1].contains("expected"), "{}", refusals[1]);
}
