//! `omni-host` knows no channel: a second channel component (`tests/echo-channel`, built from
//! source here) runs under `omni-host serve` as it is — its webhook route and event subjects
//! come from its id, its configuration passes through untouched, and it reaches the origin it
//! declared and nothing else.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use support::Serving;

mod support;

const API_TOKEN: &str = "echo-api-token";

/// The echo channel component, built once per test binary.
fn echo_component() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root");
        build_support::build(root, "echo-channel")
    })
}

/// One request a [`Recorder`] received: its request line and body.
type Recorded = (String, String);

/// An HTTP server on loopback that records every request and answers `{"id": "echo-1"}`.
struct Recorder {
    origin: String,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

impl Recorder {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                log.lock().unwrap().push((line.trim().to_owned(), String::from_utf8(body).unwrap()));
                let reply = r#"{"id":"echo-1"}"#;
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        Self { origin, seen }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.seen.lock().unwrap().clone()
    }
}

/// `serve` running the echo channel: instance `e1` on `origin`, and `e2` on the same origin with
/// an operator's `egress` list that grants none of it. Events go to the returned JSONL file.
fn serve_echo(name: &str, origin: &str) -> (Serving, PathBuf) {
    let dir = std::env::temp_dir().join(format!("omni-host-echo-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[instances]]
id = "e1"
[instances.config]
origin = "{origin}"

[[instances]]
id = "e2"
egress = []
[instances.config]
origin = "{origin}"

[api]
token = "{API_TOKEN}"
"#
        ),
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    let _ = std::fs::remove_file(&events);
    let sink = format!("jsonl:{}", events.display());
    let serving = Serving::start_with(&config, &sink, &["--component", echo_component().to_str().unwrap()]);
    (serving, events)
}

fn events(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn send(serving: &Serving, instance: &str, text: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({"to": "someone", "content": {"type": "text", "text": text}}).to_string();
    let auth = format!("Authorization: Bearer {API_TOKEN}");
    let (status, reply) = serving.call(
        "POST",
        &format!("/api/v1/instances/{instance}/messages"),
        &[&auth, "Content-Type: application/json"],
        body.as_bytes(),
    );
    (status, serde_json::from_str(&reply).unwrap_or_else(|_| panic!("not JSON: {reply}")))
}

#[test]
fn the_echo_channel_serves_its_webhook_under_its_own_id() {
    let declared = Recorder::start();
    let (serving, path) = serve_echo("webhook", &declared.origin);

    let (status, body) = serving.call("POST", "/webhooks/echo/e1", &[], b"hello from elsewhere");
    assert_eq!((status, body.as_str()), (200, "echoed"));
    let published = events(&path);
    assert_eq!(published.len(), 1, "{published:?}");
    assert_eq!(published[0]["event"], "custom.echo.webhook");
    assert_eq!(published[0]["subject"], "custom.echo.webhook.echo.e1");
    assert_eq!(published[0]["channelType"], "echo");
    assert_eq!(published[0]["payload"]["body"], "hello from elsewhere");

    // The route is the plugin's, not WhatsApp's; an unknown instance is not found.
    assert_eq!(serving.call("POST", "/webhooks/whatsapp-cloud/e1", &[], b"x").0, 404);
    assert_eq!(serving.call("POST", "/webhooks/echo/nobody", &[], b"x").0, 404);
    assert_eq!(events(&path).len(), 1);
}

#[test]
fn the_echo_channel_sends_to_its_declared_origin_only() {
    let declared = Recorder::start();
    let undeclared = Recorder::start();
    let (serving, path) = serve_echo("send", &declared.origin);

    let (status, receipt) = send(&serving, "e1", "hi there");
    assert_eq!(status, 200, "{receipt}");
    assert_eq!(receipt["messageId"], "echo-1");
    let requests = declared.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].0, "POST /echo HTTP/1.1");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&requests[0].1).unwrap()["text"], "hi there");
    let sent = events(&path);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0]["event"].as_str(), sent[0]["subject"].as_str()),
        (Some("message.sent"), Some("message.sent.echo.e1"))
    );

    // A URL as the text makes the echo POST there: an origin it never declared.
    let (status, error) = send(&serving, "e1", &format!("{}/steal", undeclared.origin));
    assert_eq!(status, 503, "{error}");
    assert_eq!(error["error"], "unreachable", "{error}");
    assert!(error["message"].as_str().unwrap().contains("does not allow"), "{error}");
    assert!(undeclared.requests().is_empty(), "the undeclared origin was reached: {:?}", undeclared.requests());

    // `e2`'s operator granted none of what the plugin declared: even the declared origin is refused.
    let (status, error) = send(&serving, "e2", "hi there");
    assert_eq!((status, error["error"].as_str()), (503, Some("unreachable")), "{error}");
    assert_eq!(declared.requests().len(), 1);
}

/// The echo channel exports only the core: every route of an optional interface answers 501,
/// named, without the plugin running — and so does a core method it left to the SDK's default.
#[test]
fn what_the_echo_channel_does_not_implement_is_answered_501() {
    let declared = Recorder::start();
    let (serving, path) = serve_echo("unsupported", &declared.origin);
    let auth = format!("Authorization: Bearer {API_TOKEN}");
    let headers = [auth.as_str(), "Content-Type: application/json"];
    for (method, route, body, lacking) in [
        ("POST", "/api/v1/instances/e1/messages/m1/read", "", "receipts"),
        ("POST", "/api/v1/instances/e1/block", r#"{"users":["15550001111"]}"#, "account"),
        ("GET", "/api/v1/instances/e1/business-profile", "", "account"),
        ("POST", "/api/v1/instances/e1/calls", r#"{"action":"terminate","callId":"c1"}"#, "calls"),
        ("POST", "/api/v1/instances/e1/groups", r#"{"action":"delete","groupId":"g1"}"#, "groups"),
        ("DELETE", "/api/v1/instances/e1/media/m1", "", "media"),
        ("POST", "/api/v1/instances/e1/connect", "{}", "connect"),
    ] {
        let (status, reply) = serving.call(method, route, &headers, body.as_bytes());
        let reply: serde_json::Value = serde_json::from_str(&reply).unwrap_or_else(|_| panic!("not JSON: {reply}"));
        assert_eq!((status, reply["error"].as_str()), (501, Some("unsupported")), "{method} {route}: {reply}");
        assert!(reply["message"].as_str().unwrap().contains(lacking), "{method} {route}: {reply}");
    }
    assert!(declared.requests().is_empty(), "nothing reached the channel's destination");
    assert!(events(&path).is_empty(), "nothing was published");
}
