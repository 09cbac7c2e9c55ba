//! The `omni-host` binary, run as an operator would.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use omni_host::fake_graph::FakeGraph;
use support::{Serving, command};

mod support;

const SECRET: &str = "cli-app-secret";
const TOKEN: &str = "EAAcli";
const PHONE: &str = "106540352242922";

fn omni_host(args: &[&str]) -> Output {
    command().args(args).output().expect("omni-host runs")
}

/// A scratch directory with a config pointing at `graph_base_url`.
fn workspace(name: &str, graph_base_url: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omni-host-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"[[instances]]
id = "cli"

[instances.config]
appSecret = "{SECRET}"
webhookVerifyToken = "cli-verify"
phoneNumberId = "{PHONE}"
businessAccountId = "102290129340398"
accessToken = "{TOKEN}"
graphBaseUrl = "{graph_base_url}"
"#
        ),
    )
    .unwrap();
    dir
}

fn text_webhook() -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"metadata":{{"phone_number_id":"{PHONE}"}},"messages":[{{"from":"16505551234","id":"wamid.CLI1","timestamp":"1750263773","type":"text","text":{{"body":"h\u00e9llo"}}}},{{"from":"16505551234","id":"wamid.CLI2","timestamp":"1750263774","type":"text","text":{{"body":"again"}}}}]}}}}]}}]}}"#
    )
}

fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

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
