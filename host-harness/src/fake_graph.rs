//! An in-process stand-in for Meta's Graph API: a real HTTP server on loopback that speaks the
//! Cloud API's request and response shapes, checks what it is sent, and records every request.
//!
//! It backs the `demo` command and the tests; it is the only fake in the project and it stands
//! in for Meta alone.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A request the fake received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without the query.
    pub path: String,
    pub query: String,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

/// A response to give instead of the normal behaviour, for the next request.
#[derive(Debug, Clone)]
pub struct ScriptedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering (to provoke client timeouts).
    pub delay: Option<Duration>,
}

impl ScriptedResponse {
    /// A Graph API error body: `{"error": {message, type, code, error_subcode?, fbtrace_id}}`.
    pub fn graph_error(status: u16, code: i64, message: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: graph_error_body(code, message).to_string().into_bytes(),
            delay: None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Answers only after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

fn graph_error_body(code: i64, message: &str) -> Value {
    json!({"error": {
        "message": message,
        "type": if code == 190 { "OAuthException" } else { "GraphMethodException" },
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": message},
        "fbtrace_id": "AFakeTraceId123",
    }})
}

struct FakeState {
    access_token: String,
    phone_number_id: String,
    requests: Mutex<Vec<RecordedRequest>>,
    script: Mutex<VecDeque<ScriptedResponse>>,
    next_message: AtomicU64,
}

/// A running fake Graph API; stops when dropped.
pub struct FakeGraph {
    addr: SocketAddr,
    state: Arc<FakeState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeGraph {
    /// Starts a fake that accepts `access_token` for phone number `phone_number_id`.
    pub fn start(access_token: &str, phone_number_id: &str) -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(FakeState {
            access_token: access_token.to_owned(),
            phone_number_id: phone_number_id.to_owned(),
            requests: Mutex::default(),
            script: Mutex::default(),
            next_message: AtomicU64::new(1),
        });
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let thread = std::thread::Builder::new().name("fake-graph".into()).spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("loopback listener");
                let app = Router::new().fallback(handle).with_state(served);
                // Dropping the server future on shutdown also drops delayed responses.
                tokio::select! {
                    result = axum::serve(listener, app) => { result.expect("fake Graph API server"); }
                    _ = stopped => {}
                }
            });
        })?;
        Ok(Self { addr, state, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// `http://127.0.0.1:<port>`: the instance's `graph_base_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests.lock().expect("fake lock").clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.requests.lock().expect("fake lock").clear();
    }

    /// Queues a response for the next request (after authentication succeeds).
    pub fn script(&self, response: ScriptedResponse) {
        self.state.script.lock().expect("fake lock").push_back(response);
    }
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(
    State(state): State<Arc<FakeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: body.to_vec(),
    };
    state.requests.lock().expect("fake lock").push(recorded.clone());

    if recorded.header("authorization") != Some(&format!("Bearer {}", state.access_token)) {
        return error(401, 190, "Invalid OAuth access token - Cannot parse access token");
    }
    let scripted = state.script.lock().expect("fake lock").pop_front();
    if let Some(scripted) = scripted {
        if let Some(delay) = scripted.delay {
            tokio::time::sleep(delay).await;
        }
        let mut response =
            (StatusCode::from_u16(scripted.status).unwrap_or(StatusCode::OK), scripted.body).into_response();
        for (name, value) in scripted.headers {
            if let (Ok(name), Ok(value)) = (name.parse::<axum::http::HeaderName>(), HeaderValue::from_str(&value)) {
                response.headers_mut().insert(name, value);
            }
        }
        return response;
    }

    let segments: Vec<&str> = recorded.path.trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", [version, phone, "messages"]) if is_version(version) => send_message(&state, phone, &recorded),
        _ => error(400, 100, "Unknown path components"),
    }
}

/// `POST /{version}/{phone-number-id}/messages`.
fn send_message(state: &FakeState, phone: &str, request: &RecordedRequest) -> Response {
    if phone != state.phone_number_id {
        return error(400, 100, "Unsupported post request. Object with ID does not exist");
    }
    if request.header("content-type").is_none_or(|t| !t.starts_with("application/json")) {
        return error(400, 100, "Content-Type must be application/json");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 100, "Invalid JSON body");
    };
    if body["messaging_product"] != "whatsapp" {
        return error(400, 100, "The parameter messaging_product is required.");
    }
    if body["status"] == "read" {
        return if body["message_id"].is_string() {
            json_response(200, json!({"success": true}))
        } else {
            error(400, 100, "The parameter message_id is required.")
        };
    }
    let to = body["to"].as_str().or_else(|| body["recipient"].as_str());
    let (Some(to), Some(kind)) = (to, body["type"].as_str()) else {
        return error(400, 100, "The parameters to and type are required.");
    };
    if body.get(kind).is_none() {
        return error(400, 131008, &format!("The parameter {kind} is required."));
    }
    let n = state.next_message.fetch_add(1, Ordering::Relaxed);
    json_response(
        200,
        json!({
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": format!("wamid.FAKE{n:08}"), "message_status": "accepted"}],
        }),
    )
}

fn is_version(segment: &str) -> bool {
    segment
        .strip_prefix('v')
        .is_some_and(|rest| rest.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
}

fn json_response(status: u16, body: Value) -> Response {
    let mut response = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body.to_string()).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    response
}

fn error(status: u16, code: i64, message: &str) -> Response {
    let mut response = json_response(status, graph_error_body(code, message));
    response.headers_mut().insert("x-fb-trace-id", HeaderValue::from_static("AFakeTraceId123"));
    response
}
