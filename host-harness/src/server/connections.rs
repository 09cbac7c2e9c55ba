//! The listener's connection hygiene: the part of `serve` that faces the internet.
//!
//! - **A cap on open connections**, below the process's descriptor limit, so the listener never
//!   runs out of descriptors. At the cap a new connection takes the place of the oldest idle one
//!   (no request in progress); with none idle, it is refused at once.
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
    /// Requests in progress on it.
    in_flight: Arc<AtomicUsize>,
    /// Asks it to close once idle.
    close: Arc<Notify>,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Registry {
    open: Mutex<BTreeMap<u64, Tracked>>,
    next: AtomicU64,
}

impl Registry {
    /// Admits a new connection under `cap`, shedding the oldest idle one at the cap; `None` when
    /// every connection is busy.
    fn admit(&self, cap: usize) -> Option<(u64, Arc<AtomicUsize>, Arc<Notify>)> {
        let mut open = self.open.lock().expect("registry lock");
        if open.len() >= cap {
            let idle = open.iter().find(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0).map(|(id, _)| *id)?;
            if let Some(shed) = open.remove(&idle) {
                shed.close.notify_one();
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let tracked = Tracked { in_flight: Arc::new(AtomicUsize::new(0)), close: Arc::new(Notify::new()) };
        let handles = (id, tracked.in_flight.clone(), tracked.close.clone());
        open.insert(id, tracked);
        Some(handles)
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

/// Accepts connections on `listener` and serves `app` on them until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    options: ConnectionOptions,
    refused: impl Fn() + Send + Sync + 'static,
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
                let Some((id, in_flight, close)) = registry.admit(cap) else {
                    refused();
                    drop(stream);
                    continue;
                };
                let app = app.clone();
                let registry = registry.clone();
                let mut stopping = stopping.clone();
                let header_timeout = options.header_read_timeout;
                let busy = in_flight.clone();
                tasks.spawn(async move {
                    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let guard = InFlight::start(&in_flight);
                        let app = app.clone();
                        async move {
                            let response = app.oneshot(request.map(Body::new)).await;
                            drop(guard);
                            response.map_err(|never: Infallible| match never {})
                        }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_timeout)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => {}
                        () = close.notified() => {
                            connection.as_mut().graceful_shutdown();
                            let _ = connection.await;
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

    #[test]
    fn at_the_cap_the_oldest_idle_connection_makes_room() {
        let registry = Registry::default();
        let (first, first_busy, first_close) = registry.admit(2).unwrap();
        let (second, _, second_close) = registry.admit(2).unwrap();
        first_busy.fetch_add(1, Ordering::AcqRel);
        // The first is busy: the second, idle, is shed for the third.
        assert!(registry.admit(2).is_some());
        assert!(!registry.open.lock().unwrap().contains_key(&second));
        let woken = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
            tokio::time::timeout(Duration::from_millis(100), second_close.notified()).await.is_ok()
        });
        assert!(woken, "the shed connection is told to close");
        // Now both open connections are busy: a fourth is refused.
        let open: Vec<u64> = registry.open.lock().unwrap().keys().copied().collect();
        for id in &open {
            if *id != first {
                registry.open.lock().unwrap()[id].in_flight.fetch_add(1, Ordering::AcqRel);
            }
        }
        assert!(registry.admit(2).is_none());
        drop(first_close);
    }

    #[test]
    fn the_default_cap_stays_below_the_descriptor_limit() {
        let cap = ConnectionOptions::default().cap();
        assert!(cap >= 16 && cap < descriptor_limit().max(22), "{cap}");
    }
}
