//! An in-process stand-in for Meta's Graph API: a real HTTP server on loopback that speaks the
//! Cloud API's request and response shapes, checks what it is sent, and records every request.
//!
//! It backs the `demo` command and the tests; it is the only fake in the project and it stands
//! in for Meta alone.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod account;
mod actions;
mod media;
mod messages;

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

    /// The fake's normal behaviour, for a request that must pass before a scripted one.
    pub fn normal() -> Self {
        Self { status: 0, headers: Vec::new(), body: Vec::new(), delay: None }
    }

    fn is_normal(&self) -> bool {
        self.status == 0
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

/// A file the fake holds, as Meta holds uploaded and received media.
#[derive(Debug, Clone)]
pub struct StoredMedia {
    /// Shared, so that serving a large file many times at once never copies it.
    pub bytes: axum::body::Bytes,
    pub mime_type: String,
    pub filename: Option<String>,
    /// What the metadata says the SHA-256 is (base64, as in webhooks); normally the real one.
    pub sha256: String,
}

struct FakeState {
    access_token: String,
    phone_number_id: String,
    base_url: String,
    requests: Mutex<Vec<RecordedRequest>>,
    script: Mutex<VecDeque<ScriptedResponse>>,
    media: Mutex<std::collections::HashMap<String, StoredMedia>>,
    next_message: AtomicU64,
    next_media: AtomicU64,
    /// Whether the app is subscribed to the business account's webhooks.
    subscribed: AtomicBool,
    /// The business profile, as `whatsapp_business_profile` returns it.
    profile: Mutex<Value>,
}

impl FakeState {
    fn store(&self, bytes: Vec<u8>, mime_type: String, filename: Option<String>) -> String {
        let id = format!("{}", 7_000_000_000_000u64 + self.next_media.fetch_add(1, Ordering::Relaxed));
        let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
        let media = StoredMedia { bytes: bytes.into(), mime_type, filename, sha256 };
        self.media.lock().expect("fake lock").insert(id.clone(), media);
        id
    }
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
            base_url: format!("http://{addr}"),
            requests: Mutex::default(),
            script: Mutex::default(),
            media: Mutex::default(),
            next_message: AtomicU64::new(1),
            next_media: AtomicU64::new(1),
            subscribed: AtomicBool::new(true),
            profile: Mutex::new(json!({"about": "Fresh produce, delivered", "vertical": "GROCERY", "websites": []})),
        });
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = state.clone();
        let thread = std::thread::Builder::new().name("fake-graph".into()).spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("loopback listener");
                // Meta takes uploads of up to 100 MB.
                let app = Router::new()
                    .fallback(handle)
                    .layer(axum::extract::DefaultBodyLimit::max(120 << 20))
                    .with_state(served);
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

    /// Whether the app is subscribed to the business account's webhooks (it is at start).
    pub fn set_subscribed(&self, subscribed: bool) {
        self.state.subscribed.store(subscribed, Ordering::Relaxed);
    }

    /// Whether the app is subscribed (after a `POST /{waba-id}/subscribed_apps`, it is).
    pub fn subscribed(&self) -> bool {
        self.state.subscribed.load(Ordering::Relaxed)
    }

    /// The business profile as the fake holds it.
    pub fn profile(&self) -> Value {
        self.state.profile.lock().expect("fake lock").clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.requests.lock().expect("fake lock").clear();
    }

    /// Queues a response for the next request (after authentication succeeds).
    pub fn script(&self, response: ScriptedResponse) {
        self.state.script.lock().expect("fake lock").push_back(response);
    }

    /// Stores a file as if a user had sent it; returns its media id.
    pub fn store_media(&self, bytes: &[u8], mime_type: &str) -> String {
        self.state.store(bytes.to_vec(), mime_type.to_owned(), None)
    }

    /// The ids of every stored file, oldest first.
    pub fn media_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.state.media.lock().expect("fake lock").keys().cloned().collect();
        ids.sort_by_key(|id| id.parse::<u64>().unwrap_or(0));
        ids
    }

    /// A stored file (uploaded or stored).
    pub fn media(&self, id: &str) -> Option<StoredMedia> {
        self.state.media.lock().expect("fake lock").get(id).cloned()
    }

    /// Makes the metadata of a stored file announce a wrong SHA-256, as a corrupted CDN copy
    /// would look.
    pub fn corrupt_media_hash(&self, id: &str) {
        if let Some(media) = self.state.media.lock().expect("fake lock").get_mut(id) {
            media.sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"something else"));
        }
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
        headers: crate::omni::wire::header_pairs(&headers),
        body: body.to_vec(),
    };
    state.requests.lock().expect("fake lock").push(recorded.clone());

    if recorded.header("authorization") != Some(&format!("Bearer {}", state.access_token)) {
        return error(401, 190, "Invalid OAuth access token - Cannot parse access token");
    }
    let scripted = state.script.lock().expect("fake lock").pop_front();
    if let Some(delay) = scripted.as_ref().and_then(|s| s.delay) {
        tokio::time::sleep(delay).await;
    }
    if let Some(scripted) = scripted.filter(|s| !s.is_normal()) {
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
        ("POST", [version, phone, "messages"]) if is_version(version) => {
            messages::send_message(&state, phone, &recorded)
        }
        ("POST", [version, phone, "marketing_messages"]) if is_version(version) => {
            messages::marketing_message(&state, phone, &recorded)
        }
        (method @ ("POST" | "DELETE"), [version, phone, "block_users"])
            if is_version(version) && *phone == state.phone_number_id =>
        {
            account::block_users(&recorded, method == "POST")
        }
        ("GET", [version, phone, "whatsapp_business_profile"])
            if is_version(version) && *phone == state.phone_number_id =>
        {
            account::business_profile(&state)
        }
        ("POST", [version, phone, "whatsapp_business_profile"])
            if is_version(version) && *phone == state.phone_number_id =>
        {
            account::update_business_profile(&state, &recorded)
        }
        ("POST", [version, phone, "media"]) if is_version(version) => {
            media::upload_media(&state, phone, &recorded).await
        }
        ("GET", ["cdn", id]) => media::download(&state, id, &recorded),
        ("GET", [version, _, "subscribed_apps"]) if is_version(version) => account::subscribed_apps(&state),
        ("POST", [version, _, "subscribed_apps"]) if is_version(version) => account::subscribe_app(&state),
        ("GET", [version, id]) if is_version(version) && *id == state.phone_number_id => {
            account::phone_number(&recorded)
        }
        ("POST", [version, phone, "calls"]) if is_version(version) && *phone == state.phone_number_id => {
            actions::calls(&state, &recorded)
        }
        ("POST", [version, phone, "groups"]) if is_version(version) && *phone == state.phone_number_id => {
            actions::create_group(&state, &recorded)
        }
        (method, [version, group, edge @ ("invite_link" | "participants" | "join_requests")])
            if is_version(version) =>
        {
            actions::group_edge(method, group, edge, &recorded)
        }
        ("DELETE", [version, id]) if is_version(version) => actions::delete(&state, id, &recorded),
        ("GET", [version, id])
            if is_version(version) && recorded.query.contains("marketing_messages_onboarding_status") =>
        {
            actions::business_account(id)
        }
        ("GET", [version, id]) if is_version(version) => media::media_metadata(&state, id),
        _ => error(400, 100, "Unknown path components"),
    }
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
