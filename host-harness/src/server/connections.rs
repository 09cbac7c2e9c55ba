//! The listener's connection hygiene: the part of `serve` that faces the internet.
//!
//! - **A cap on open connections**, below the process's descriptor limit, so the listener never
//!   runs out of descriptors. At the cap a new connection takes the place of one waiting on its
//!   client — the oldest idle one (or still sending its head), else the oldest still sending a
//!   body — closed at once; with every connection's request being worked on, it is refused.
//!   So neither half-sent heads nor trickled bodies can keep Meta's next delivery out.
//! - **A header-read timeout** (also the keep-alive idle timeout): a connection that sends no
//!   complete request head in time is closed. Bodies have their own deadline (see `guards`).
//! - **A bounded graceful shutdown**: on the signal the listener stops accepting, idle
//!   connections close, requests in flight get `shutdown_grace` to finish, and whatever is left
//!   is dropped.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Notify;
use tower::ServiceExt as _;

/// How the listener treats connections.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// Open connections at most (`None`: three quarters of the descriptor limit, at most 4096).
    pub max_connections: Option<usize>,
    /// Time for a complete request head, and for the next one on a kept-alive connection.
    pub header_read_timeout: Duration,
    /// Time for in-flight requests to finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        Self {
            max_connections: None,
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(15),
        }
    }
}

impl ConnectionOptions {
    /// The cap to apply: configured, or derived from `RLIMIT_NOFILE`.
    pub fn cap(&self) -> usize {
        self.max_connections.unwrap_or_else(|| (descriptor_limit() * 3 / 4).clamp(16, 4096))
    }
}

/// The soft limit on open descriptors.
fn descriptor_limit() -> usize {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` writes an `rlimit` into the valid pointer it is given.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    if rc == 0 { usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX) } else { 1024 }
}

/// One open connection, as the cap sees it.
struct Tracked {
    /// Requests in progress on it (from a complete head to the response).
    in_flight: Arc<AtomicUsize>,
    /// Of those, requests whose body is still arriving.
    reading: Arc<AtomicUsize>,
    /// Tells it to close (see [`Registry::admit`]).
    close: Arc<Notify>,
}

impl Tracked {
    /// Doing nothing for anyone: idle between requests, or still sending a head.
    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// Sending a body: a client that may be trickling it to hold the connection.
    fn is_reading(&self) -> bool {
        self.reading.load(Ordering::Acquire) > 0
    }
}

/// The handles a connection's task keeps.
struct Admitted {
    id: u64,
    /// Whether another connection was closed to make room.
    shed_one: bool,
    in_flight: Arc<AtomicUsize>,
    reading: Arc<AtomicUsize>,
    close: Arc<Notify>,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    open: Mutex<BTreeMap<u64, Tracked>>,
    next: AtomicU64,
}

impl Registry {
    /// Admits a new connection under `cap`. At the cap one connection makes room: the oldest
    /// doing nothing (idle, or with a head still incomplete), else the oldest still sending a
    /// body — connections that wait on the client, which is how slow clients fill a listener.
    /// A connection whose request the host is working on is never shed; with only those, the
    /// new connection is refused (`None`).
    fn admit(&self, cap: usize) -> Option<Admitted> {
        let mut open = self.open.lock().expect("registry lock");
        let shed_one = open.len() >= cap;
        if shed_one {
            let shed = open
                .iter()
                .find(|(_, c)| c.is_idle())
                .or_else(|| open.iter().find(|(_, c)| c.is_reading()))
                .map(|(id, _)| *id)?;
            if let Some(shed) = open.remove(&shed) {
                shed.close.notify_one();
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let tracked = Tracked {
            in_flight: Arc::new(AtomicUsize::new(0)),
            reading: Arc::new(AtomicUsize::new(0)),
            close: Arc::new(Notify::new()),
        };
        let admitted = Admitted {
            id,
            shed_one,
            in_flight: tracked.in_flight.clone(),
            reading: tracked.reading.clone(),
            close: tracked.close.clone(),
        };
        open.insert(id, tracked);
        Some(admitted)
    }

    fn remove(&self, id: u64) {
        self.open.lock().expect("registry lock").remove(&id);
    }
}

/// Counts a request as in progress until its response is ready.
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn start(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as in progress until it is sent or dropped.
struct Holding {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for Holding {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// A request body that counts as "still arriving" until its end, an error, or until the
/// handler drops it.
struct ArrivingBody {
    inner: Incoming,
    reading: Option<InFlight>,
}

impl ArrivingBody {
    fn new(inner: Incoming, reading: &Arc<AtomicUsize>) -> Self {
        use http_body::Body as _;
        let reading = (!inner.is_end_stream()).then(|| InFlight::start(reading));
        Self { inner, reading }
    }
}

impl http_body::Body for ArrivingBody {
    type Data = axum::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None | Some(Err(_)))) || self.inner.is_end_stream() {
            self.reading = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Connections the kernel may queue before they are accepted. Its default (128, what
/// `TcpListener::bind` asks for) drops part of a burst of a few hundred connections, and each
/// dropped one retries its SYN only after a second: a delivery caught in such a burst would
/// wait that long. The kernel caps it at `net.core.somaxconn`.
const ACCEPT_BACKLOG: u32 = 4096;

/// A listener on `addr` with room in its accept queue for a burst (see [`ACCEPT_BACKLOG`]).
/// Call it inside a Tokio runtime.
pub fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    // As `TcpListener::bind` does: a restarted server gets its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(ACCEPT_BACKLOG)
}

/// What happened to a connection at the cap, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Admitted by closing another (idle, or waiting on its client).
    ShedAnother,
    /// Refused: every open connection's request was being worked on.
    Refused,
}

/// Accepts connections on `listener` and serves `app` on them until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    options: ConnectionOptions,
    count: impl Fn(Admission) + Send + Sync + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cap = options.cap();
    let registry = Arc::new(Registry::default());
    // Set once, on shutdown: every connection task sees it, however late it started.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of descriptors (or a transient accept error): back off briefly
                        // rather than spin; the cap keeps this from happening in steady state.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Some(Admitted { id, shed_one, in_flight, reading, close }) = registry.admit(cap) else {
                    count(Admission::Refused);
                    drop(stream);
                    continue;
                };
                if shed_one {
                    count(Admission::ShedAnother);
                }
                let app = app.clone();
                let registry = registry.clone();
                let mut stopping = stopping.clone();
                let header_timeout = options.header_read_timeout;
                let (busy, arriving) = (in_flight.clone(), reading.clone());
                tasks.spawn(async move {
                    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let guard = InFlight::start(&in_flight);
                        let request = request.map(|body| Body::new(ArrivingBody::new(body, &reading)));
                        let app = app.clone();
                        async move {
                            // In progress until the answer's body is sent: a file streaming to
                            // a client is work, not idleness.
                            let response = app.oneshot(request).await;
                            response
                                .map(|response| response.map(|body| Body::new(Holding { inner: body, _guard: guard })))
                                .map_err(|never: Infallible| match never {})
                        }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(connection);
                    // Whether the host is working on a request of this connection (its body
                    // all in), which a close lets finish.
                    let working = || busy.load(Ordering::Acquire) > 0 && arriving.load(Ordering::Acquire) == 0;
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        // Shed at the cap: a connection waiting on its client closes now (a
                        // graceful close would wait for a half-sent head or a trickled body
                        // to finish); one the host is working on answers first.
                        () = close.notified() => {
                            if working() {
                                connection.as_mut().graceful_shutdown();
                                let _ = connection.await;
                            }
                        }
                        // Shutting down: a connection with no request in progress (idle, or
                        // still sending a head) is closed now; a request in progress finishes.
                        () = async { drop(stopping.wait_for(|stopping| *stopping).await) } => {
                            if busy.load(Ordering::Acquire) > 0 {
                                connection.as_mut().graceful_shutdown();
                                let _ = connection.await;
                            }
                        }
                    }
                    registry.remove(id);
                });
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    tracing::info!(open = tasks.len(), "shutting down: finishing requests in flight");
    drop(listener);
    let _ = stop.send(true);
    let drained =
        tokio::time::timeout(options.shutdown_grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(left = tasks.len(), "shutdown grace over: dropping the connections still open");
        tasks.abort_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn woken(close: &Notify) -> bool {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(async { tokio::time::timeout(Duration::from_millis(100), close.notified()).await.is_ok() })
    }

    #[test]
    fn at_the_cap_an_idle_connection_makes_room_before_a_reading_one_and_a_working_one_never() {
        let registry = Registry::default();
        let working = registry.admit(3).unwrap();
        working.in_flight.fetch_add(1, Ordering::AcqRel);
        let reading = registry.admit(3).unwrap();
        reading.in_flight.fetch_add(1, Ordering::AcqRel);
        reading.reading.fetch_add(1, Ordering::AcqRel);
        let idle = registry.admit(3).unwrap();

        // The idle one goes first, though it is the newest.
        let fourth = registry.admit(3).unwrap();
        assert!(woken(&idle.close), "the idle connection is told to close");
        assert!(!registry.open.lock().unwrap().contains_key(&idle.id));
        fourth.in_flight.fetch_add(1, Ordering::AcqRel);

        // Then the one still sending its body.
        assert!(registry.admit(3).is_some());
        assert!(woken(&reading.close), "the reading connection is told to close");
        assert!(registry.open.lock().unwrap().contains_key(&working.id));

        // Only connections being worked on: refused.
        for connection in registry.open.lock().unwrap().values() {
            connection.in_flight.fetch_add(1, Ordering::AcqRel);
        }
        assert!(registry.admit(3).is_none());
        assert!(!woken(&working.close), "a request being worked on is never shed");
    }

    #[test]
    fn the_default_cap_stays_below_the_descriptor_limit() {
        let cap = ConnectionOptions::default().cap();
        assert!(cap >= 16 && cap < descriptor_limit().max(22), "{cap}");
    }
}
