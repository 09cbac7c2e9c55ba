//! Request ids: taken from `x-request-id` when the caller sent a sane one, made up otherwise;
//! every log line of the request carries it, and the response echoes it.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

/// Request ids the caller may choose: short, printable, no spaces.
fn acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic())
}

fn fresh() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static EPOCH: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let epoch = EPOCH.get_or_init(|| {
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one(std::process::id())
    });
    format!("{:016x}", epoch.wrapping_add(NEXT.fetch_add(1, Ordering::Relaxed)))
}

tokio::task_local! {
    /// When the current request arrived: the time it may wait for capacity counts from here,
    /// over all of its plugin calls.
    pub static ARRIVED: std::time::Instant;
}

/// The id of the current request, as set by [`assign`].
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Middleware: assigns the id and runs the request in a span carrying it.
pub async fn assign(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable(v))
        .map(str::to_owned)
        .unwrap_or_else(fresh);
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    let arrived = std::time::Instant::now();
    let mut response = ARRIVED.scope(arrived, next.run(request)).instrument(span.clone()).await;
    span.in_scope(|| tracing::info!(status = response.status().as_u16(), "answered"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}
