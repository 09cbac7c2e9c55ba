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
use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

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
    pub bytes: Vec<u8>,
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
}

impl FakeState {
    fn store(&self, bytes: Vec<u8>, mime_type: String, filename: Option<String>) -> String {
        let id = format!("{}", 7_000_000_000_000u64 + self.next_media.fetch_add(1, Ordering::Relaxed));
        let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes));
        let media = StoredMedia { bytes, mime_type, filename, sha256 };
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
        ("POST", [version, phone, "messages"]) if is_version(version) => send_message(&state, phone, &recorded),
        ("POST", [version, phone, "media"]) if is_version(version) => upload_media(&state, phone, &recorded).await,
        ("GET", ["cdn", id]) => download(&state, id, &recorded),
        ("GET", [version, id]) if is_version(version) && *id == state.phone_number_id => phone_number(&recorded),
        ("GET", [version, id]) if is_version(version) => media_metadata(&state, id),
        _ => error(400, 100, "Unknown path components"),
    }
}

/// `POST /{version}/{phone-number-id}/media`: a multipart form with `messaging_product`,
/// `type` and `file` (whose own Content-Type must be real, as Meta requires).
async fn upload_media(state: &FakeState, phone: &str, request: &RecordedRequest) -> Response {
    if phone != state.phone_number_id {
        return error(400, 100, "Unsupported post request. Object with ID does not exist");
    }
    let Some(boundary) = request.header("content-type").and_then(|t| multer::parse_boundary(t).ok()) else {
        return error(400, 100, "Expected multipart/form-data");
    };
    let body = Bytes::from(request.body.clone());
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let (mut product, mut declared, mut file) = (None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let filename = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(|m| m.to_string());
                let Ok(bytes) = field.bytes().await else { return error(400, 100, "Malformed multipart body") };
                match name.as_str() {
                    "messaging_product" => product = Some(String::from_utf8_lossy(&bytes).into_owned()),
                    "type" => declared = Some(String::from_utf8_lossy(&bytes).into_owned()),
                    "file" => file = Some((bytes.to_vec(), filename, content_type)),
                    _ => return error(400, 100, &format!("Unexpected form field {name}")),
                }
            }
            Ok(None) => break,
            Err(e) => return error(400, 100, &format!("Malformed multipart body: {e}")),
        }
    }
    if product.as_deref() != Some("whatsapp") {
        return error(400, 100, "The parameter messaging_product is required.");
    }
    let (Some(declared), Some((bytes, filename, Some(content_type)))) = (declared, file) else {
        return error(400, 100, "The parameters type and file (with its Content-Type) are required.");
    };
    if content_type == "application/octet-stream" || content_type != declared {
        return error(400, 131053, &format!("Media upload error: file type {content_type} does not match {declared}"));
    }
    let id = state.store(bytes, declared, filename);
    json_response(200, json!({ "id": id }))
}

/// `GET /{version}/{media-id}`: the file's metadata and a short-lived download URL.
fn media_metadata(state: &FakeState, id: &str) -> Response {
    let media = state.media.lock().expect("fake lock").get(id).cloned();
    match media {
        Some(media) => json_response(
            200,
            json!({
                "messaging_product": "whatsapp",
                "url": format!("{}/cdn/{id}", state.base_url),
                "mime_type": media.mime_type,
                "sha256": media.sha256,
                "file_size": media.bytes.len(),
                "id": id,
            }),
        ),
        None => error(400, 100, "Unsupported get request. Object with ID does not exist"),
    }
}

/// `GET <url>`: the file itself. Like Meta's CDN it wants the token and a User-Agent.
fn download(state: &FakeState, id: &str, request: &RecordedRequest) -> Response {
    if request.header("user-agent").is_none_or(str::is_empty) {
        return (StatusCode::FORBIDDEN, "User-Agent required").into_response();
    }
    let media = state.media.lock().expect("fake lock").get(id).cloned();
    match media {
        Some(media) => {
            let mut response = (StatusCode::OK, media.bytes).into_response();
            if let Ok(value) = HeaderValue::from_str(&media.mime_type) {
                response.headers_mut().insert("content-type", value);
            }
            response
        }
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

/// `GET /{version}/{phone-number-id}?fields=...`: the number's profile.
fn phone_number(request: &RecordedRequest) -> Response {
    let mut info = json!({
        "display_phone_number": "+1 555-078-3881",
        "verified_name": "Acme Support",
        "quality_rating": "GREEN",
        "name_status": "APPROVED",
        "code_verification_status": "VERIFIED",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "id": request.path.rsplit('/').next().unwrap_or_default(),
    });
    // Like the Graph API, answer only the fields asked for (plus the id).
    if let Some(fields) = request.query.split('&').find_map(|p| p.strip_prefix("fields=")) {
        let wanted: Vec<&str> = fields.split(',').collect();
        if let Some(object) = info.as_object_mut() {
            object.retain(|k, _| k == "id" || wanted.contains(&k.as_str()));
        }
    }
    json_response(200, info)
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
