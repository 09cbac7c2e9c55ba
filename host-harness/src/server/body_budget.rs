//! The bytes webhook bodies may hold at once (`--webhook-budget`), so that many clients
//! together cannot fill the host's memory with bodies it has not checked yet.
//!
//! A body reserves its announced length (or the route's limit) before a byte of it is read.
//! When a new one does not fit, the **oldest body still arriving** is cut off to make room:
//! Meta sends a delivery in one go, in milliseconds, so a body still trickling in after newer
//! ones arrived is the one holding everybody else up — a few slow senders announcing 4 MiB
//! each must not be able to turn Meta's deliveries away. A body that has arrived whole is being
//! worked on and is never cut; when those alone fill the budget, the new body waits a moment
//! for room and is then refused (503: Meta delivers again).

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::sync::{Notify, oneshot};

/// How long a body that does not fit waits for room before it is refused.
const WAIT_FOR_ROOM: Duration = Duration::from_secs(1);

/// Bytes that bodies may hold at once, in KiB.
#[derive(Clone)]
pub struct BodyBudget {
    total_kib: u64,
    held: Arc<Mutex<Held>>,
    /// Woken whenever room is given back.
    room_returned: Arc<Notify>,
}

/// The bodies holding room, oldest first; those still arriving can be cut. A cut body leaves
/// the map (its room is the newcomer's at once: it reads nothing more, and what it had read
/// is dropped as its request fails).
#[derive(Default)]
struct Held {
    used_kib: u64,
    next_id: u64,
    bodies: BTreeMap<u64, Room>,
}

struct Room {
    kib: u64,
    /// Present while the body is still arriving: sending on it cuts the body off.
    cut: Option<oneshot::Sender<()>>,
}

/// A body's room in the budget, given back when the request is over.
pub struct Reservation {
    id: u64,
    budget: BodyBudget,
    was_cut: Arc<AtomicBool>,
}

impl Reservation {
    /// Whether the body was cut off to make room for a newer one.
    pub fn was_cut(&self) -> bool {
        self.was_cut.load(Ordering::Acquire)
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut held = lock(&self.budget.held);
        if let Some(room) = held.bodies.remove(&self.id) {
            held.used_kib -= room.kib;
        }
        drop(held);
        self.budget.room_returned.notify_waiters();
    }
}

fn lock(held: &Mutex<Held>) -> std::sync::MutexGuard<'_, Held> {
    // The counts stay consistent whatever panicked while holding them.
    held.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl BodyBudget {
    pub fn new(bytes: usize) -> Self {
        Self { total_kib: kib(bytes), held: Arc::default(), room_returned: Arc::default() }
    }

    /// Room for a body of `bytes`, cutting the oldest bodies still arriving when it does not
    /// fit; `None` when the bodies being worked on leave no room within a moment. The body is
    /// returned wrapped, so that it can be cut and is known once it has arrived.
    pub async fn reserve(&self, bytes: usize, body: Body) -> Option<(Reservation, Body)> {
        let wanted = kib(bytes).min(self.total_kib);
        let deadline = tokio::time::Instant::now() + WAIT_FOR_ROOM;
        let (id, cut_signal) = loop {
            let returned = self.room_returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if let Some(admitted) = self.admit(wanted) {
                break admitted;
            }
            tokio::time::timeout_at(deadline, returned).await.ok()?;
        };
        let was_cut = Arc::new(AtomicBool::new(false));
        let reservation = Reservation { id, budget: self.clone(), was_cut: was_cut.clone() };
        let body = BudgetedBody { inner: body, cut: Some(cut_signal), was_cut, arrived: Some((self.held.clone(), id)) };
        Some((reservation, Body::new(body)))
    }

    /// Takes `wanted` KiB, cutting the oldest bodies still arriving as far as needed; `None`
    /// (nothing cut) when even cutting all of them would not make room.
    fn admit(&self, wanted: u64) -> Option<(u64, oneshot::Receiver<()>)> {
        let mut held = lock(&self.held);
        let over = (held.used_kib + wanted).saturating_sub(self.total_kib);
        if over > 0 {
            let cuttable: u64 = held.bodies.values().filter(|room| room.cut.is_some()).map(|room| room.kib).sum();
            if cuttable < over {
                return None;
            }
            let mut freed = 0;
            let oldest_arriving: Vec<u64> =
                held.bodies.iter().filter(|(_, room)| room.cut.is_some()).map(|(id, _)| *id).collect();
            for id in oldest_arriving {
                if freed >= over {
                    break;
                }
                let room = held.bodies.remove(&id).expect("listed above");
                held.used_kib -= room.kib;
                freed += room.kib;
                if let Some(cut) = room.cut {
                    let _ = cut.send(());
                }
            }
        }
        let (cut, cut_signal) = oneshot::channel();
        let id = held.next_id;
        held.next_id += 1;
        held.used_kib += wanted;
        held.bodies.insert(id, Room { kib: wanted, cut: Some(cut) });
        Some((id, cut_signal))
    }

    /// What is left, in bytes.
    #[cfg(test)]
    fn available(&self) -> usize {
        (self.total_kib.saturating_sub(lock(&self.held).used_kib) << 10) as usize
    }
}

fn kib(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(1024).max(1)
}

/// Why a body was cut off: a newer one needed its room.
#[derive(Debug)]
pub struct BodyCut;

impl std::fmt::Display for BodyCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body was still arriving when newer ones needed its room")
    }
}

impl std::error::Error for BodyCut {}

/// A body that fails once it is cut, and leaves the cuttable set once it has arrived.
struct BudgetedBody {
    inner: Body,
    cut: Option<oneshot::Receiver<()>>,
    was_cut: Arc<AtomicBool>,
    arrived: Option<(Arc<Mutex<Held>>, u64)>,
}

impl BudgetedBody {
    /// Whole (or failed): nothing is gained by cutting it any more.
    fn no_longer_arriving(&mut self) {
        if let Some((held, id)) = self.arrived.take()
            && let Some(room) = lock(&held).bodies.get_mut(&id)
        {
            room.cut = None;
        }
    }
}

impl HttpBody for BudgetedBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(cut) = self.cut.as_mut()
            && let Poll::Ready(signal) = Pin::new(cut).poll(cx)
        {
            self.cut = None;
            if signal.is_ok() {
                self.was_cut.store(true, Ordering::Release);
                return Poll::Ready(Some(Err(Box::new(BodyCut))));
            }
        }
        let frame = Pin::new(&mut self.inner).poll_frame(cx).map_err(Into::into);
        if matches!(frame, Poll::Ready(None | Some(Err(_)))) || self.inner.is_end_stream() {
            self.no_longer_arriving();
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frame(body: &mut Body) -> Result<Frame<Bytes>, axum::Error> {
        std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await.expect("a frame or an error")
    }

    async fn read_all(body: Body) -> Bytes {
        axum::body::to_bytes(body, usize::MAX).await.expect("the whole body")
    }

    /// A body that sends `first` and then never ends (a slow sender).
    struct Trickle(Option<Bytes>);

    impl HttpBody for Trickle {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            match self.0.take() {
                Some(first) => Poll::Ready(Some(Ok(Frame::data(first)))),
                None => Poll::Pending,
            }
        }
    }

    fn trickling(first: &'static [u8]) -> Body {
        Body::new(Trickle(Some(Bytes::from_static(first))))
    }

    #[tokio::test]
    async fn a_new_body_cuts_the_oldest_still_arriving_never_one_that_arrived() {
        let budget = BodyBudget::new(8 << 10);
        // An old body that arrived whole (being worked on) and two slow ones.
        let (whole, whole_body) = budget.reserve(2 << 10, Body::from("whole")).await.unwrap();
        assert_eq!(read_all(whole_body).await, "whole");
        let (slow_a, mut body_a) = budget.reserve(3 << 10, trickling(b"a")).await.unwrap();
        let (slow_b, mut body_b) = budget.reserve(3 << 10, trickling(b"b")).await.unwrap();
        assert!(frame(&mut body_a).await.is_ok() && frame(&mut body_b).await.is_ok());
        assert_eq!(budget.available(), 0);

        // A fourth body needs 3 KiB: the oldest slow body is cut, the other two are kept.
        let arriving = tokio::spawn({
            let budget = budget.clone();
            async move { budget.reserve(3 << 10, Body::from("meta")).await.map(|(held, _)| held) }
        });
        let failure = frame(&mut body_a).await.unwrap_err();
        assert!(std::error::Error::source(&failure).is_some_and(|e| e.is::<BodyCut>()), "{failure}");
        assert!(slow_a.was_cut() && !slow_b.was_cut() && !whole.was_cut());
        drop((body_a, slow_a)); // its request ends, giving its room back
        let admitted = arriving.await.unwrap();
        assert!(admitted.is_some(), "the new body got the cut one's room");
        drop((slow_b, body_b));
        drop(whole);
    }

    #[tokio::test]
    async fn with_only_bodies_being_worked_on_a_new_one_is_refused_after_a_moment() {
        let budget = BodyBudget::new(4 << 10);
        let (held, body) = budget.reserve(4 << 10, Body::from("x")).await.unwrap();
        read_all(body).await;
        assert!(budget.reserve(1 << 10, Body::empty()).await.is_none());
        assert!(!held.was_cut());
        drop(held);
        assert!(budget.reserve(4 << 10, Body::empty()).await.is_some(), "its room came back");
    }
}
