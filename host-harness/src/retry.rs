//! Retrying sends: the plugin says whether and how (its error table gives every retryable
//! error a schedule), the host waits and tries again within a bounded number of attempts and a
//! bounded total wait.
//!
//! Only errors that carry a retry schedule are retried: throttling (130429, 131056 with its
//! 4^n s backoff...), transient Meta failures, HTTP 5xx, and requests that never left the host.
//! Terminal and auth errors are not, and neither is an unknown outcome (a timeout after the
//! request was sent): retrying that could deliver the message twice.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use std::task::{Context, Poll, Waker};

use crate::bindings::events::Event;
use crate::bindings::messaging::{SendFailure, SendOptions, SendReceipt};
use crate::bindings::types::{ChannelError, RetrySchedule};

/// How persistent the host is.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The most the host waits between attempts, in all.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 4, max_total_wait: Duration::from_secs(60) }
    }
}

/// The outcome of a send, with what it took.
#[derive(Debug)]
pub struct SendOutcome {
    pub result: Result<SendReceipt, ChannelError>,
    /// Attempts made.
    pub attempts: u32,
    /// The delays waited between them.
    pub waits: Vec<Duration>,
}

/// The outcome of sending every part of one omni message (see `messaging.decode-outgoing`):
/// parts go out in order, and the first that fails for good ends the send.
#[derive(Debug, Default)]
pub struct PartsOutcome {
    /// The receipts of the parts sent, in order.
    pub sent: Vec<SendReceipt>,
    /// Why the next part could not be sent, if one failed.
    pub failure: Option<ChannelError>,
    /// Attempts made, over all parts.
    pub attempts: u32,
}

impl PartsOutcome {
    /// Adds the outcome of one part; `false` when the send must stop there.
    pub fn add(&mut self, outcome: SendOutcome) -> bool {
        self.attempts += outcome.attempts;
        match outcome.result {
            Ok(receipt) => {
                self.sent.push(receipt);
                true
            }
            Err(error) => {
                self.failure = Some(error);
                false
            }
        }
    }
}

/// The retry schedule of an error, when it may be retried.
pub fn schedule(error: &ChannelError) -> Option<&RetrySchedule> {
    match error {
        ChannelError::Provider(e) => e.retry.as_ref(),
        ChannelError::Unreachable(e) => e.retry.as_ref(),
        _ => None,
    }
}

/// The wait before retry number `retry` (1 for the first retry): `first-delay × multiplier^(retry-1)`,
/// raised by up to 25 % of jitter (`jitter` in 0..1) so that many senders throttled together do
/// not come back together, and never shorter than Meta's own estimate.
pub fn delay(schedule: &RetrySchedule, retry: u32, jitter: f64) -> Duration {
    let exponent = retry.saturating_sub(1).min(16);
    let base = u64::from(schedule.first_delay_ms)
        .saturating_mul(u64::from(schedule.multiplier.max(1)).saturating_pow(exponent));
    let jittered = base.saturating_add((base as f64 * 0.25 * jitter.clamp(0.0, 1.0)) as u64);
    Duration::from_millis(jittered.max(schedule.not_before_ms.unwrap_or(0)))
}

/// A fresh number in 0..1 for jitter.
fn jitter() -> f64 {
    (RandomState::new().hash_one(std::time::Instant::now()) >> 11) as f64 / (1u64 << 53) as f64
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Wait this long, then try again.
    Retry(Duration),
    /// Stop: the error is the send's outcome.
    Stop,
}

/// The retry decisions for one send, attempt by attempt. A failure the plugin gives no
/// schedule is final; so is one whose wait no longer fits the budget (Meta's own estimate can
/// be minutes), or the last attempt.
#[derive(Debug)]
pub struct RetryPlan {
    policy: RetryPolicy,
    correlation_id: String,
    attempt: u32,
    waits: Vec<Duration>,
}

impl RetryPlan {
    pub fn new(policy: &RetryPolicy, correlation_id: &str) -> Self {
        Self { policy: policy.clone(), correlation_id: correlation_id.to_owned(), attempt: 1, waits: Vec::new() }
    }

    /// Attempts made so far, the current one included.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The options of every attempt: the same correlation id, so the same `message.failed` id.
    pub fn options(&self) -> SendOptions {
        SendOptions { correlation_id: self.correlation_id.clone() }
    }

    /// After a failed attempt: wait and retry, or stop.
    pub fn after_failure(&mut self, error: &ChannelError) -> AfterFailure {
        let Some(retry) = schedule(error).cloned() else { return AfterFailure::Stop };
        if self.attempt >= self.policy.max_attempts.max(1) {
            return AfterFailure::Stop;
        }
        let waited: Duration = self.waits.iter().sum();
        let remaining = self.policy.max_total_wait.saturating_sub(waited);
        if delay(&retry, self.attempt, 0.0) > remaining {
            return AfterFailure::Stop;
        }
        let wait = delay(&retry, self.attempt, jitter()).min(remaining);
        self.waits.push(wait);
        self.attempt += 1;
        AfterFailure::Retry(wait)
    }

    /// The outcome, once the last attempt has returned `result`.
    pub fn finish(self, result: Result<SendReceipt, ChannelError>) -> SendOutcome {
        SendOutcome { result, attempts: self.attempt, waits: self.waits }
    }
}

/// Sends one message with retries: the one retry loop, which `serve` and the addon run on
/// tokio and the CLI and tests through [`block_on`]. `attempt` makes one call of
/// `messaging.send-message`; `wait` waits before the next; `publish` puts out the
/// `message.failed` the failure carries once the loop stops retrying, so one send yields one
/// `message.failed` whatever it took. A bus failure there is `publish`'s to log: the caller
/// already has the error.
pub async fn send_with_retries<E, A, W, P>(
    correlation_id: &str,
    policy: &RetryPolicy,
    mut attempt: impl FnMut(SendOptions) -> A,
    mut wait: impl FnMut(Duration) -> W,
    mut publish: impl FnMut(Event) -> P,
) -> Result<SendOutcome, E>
where
    A: Future<Output = Result<Result<SendReceipt, SendFailure>, E>>,
    W: Future<Output = ()>,
    P: Future<Output = ()>,
{
    let mut plan = RetryPlan::new(policy, correlation_id);
    loop {
        match attempt(plan.options()).await? {
            Ok(receipt) => return Ok(plan.finish(Ok(receipt))),
            Err(SendFailure { error, event }) => match plan.after_failure(&error) {
                AfterFailure::Retry(delay) => {
                    tracing::info!(wait_ms = delay.as_millis() as u64, "send failed with a retryable error; retrying");
                    wait(delay).await;
                }
                AfterFailure::Stop => {
                    if let Some(event) = event {
                        publish(event).await;
                    }
                    return Ok(plan.finish(Err(error)));
                }
            },
        }
    }
}

/// Runs a future whose steps complete without waiting (blocking calls wrapped in `async`) on
/// the calling thread: how synchronous callers drive [`send_with_retries`].
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::types::{ErrorClass, ProviderError};
    use std::cell::RefCell;

    fn provider(code: i64, class: ErrorClass, retry: Option<RetrySchedule>) -> ChannelError {
        ChannelError::Provider(ProviderError {
            http_status: 400,
            code: Some(code),
            subcode: None,
            error_type: None,
            message: format!("error {code}"),
            details: None,
            trace_id: None,
            class,
            retry,
        })
    }

    fn schedule(first: u32, multiplier: u32) -> Option<RetrySchedule> {
        Some(RetrySchedule { first_delay_ms: first, multiplier, not_before_ms: None })
    }

    fn receipt() -> SendReceipt {
        SendReceipt { message_id: "wamid.1".into(), recipient_id: None, message_status: None, event_id: "e".into() }
    }

    /// A failure as the plugin returns it, carrying a `message.failed` named after `error`.
    fn failure(error: ChannelError) -> SendFailure {
        let event = Event {
            id: "failed-c".into(),
            kind: crate::bindings::events::EventKind::MessageFailed,
            instance_id: "i".into(),
            correlation_id: Some("c".into()),
            occurred_at_ms: None,
            payload: format!("{error:?}"),
        };
        SendFailure { error, event: Some(event) }
    }

    /// Runs a scripted sequence of results; returns the outcome and the events published.
    fn run(policy: RetryPolicy, script: Vec<Result<SendReceipt, ChannelError>>) -> (SendOutcome, Vec<Event>) {
        let script = RefCell::new(script.into_iter());
        let published = RefCell::new(Vec::new());
        let outcome = block_on(send_with_retries::<(), _, _, _>(
            "c",
            &policy,
            |options| {
                assert_eq!(options.correlation_id, "c", "every attempt has the send's correlation id");
                std::future::ready(Ok(script.borrow_mut().next().expect("no more scripted results").map_err(failure)))
            },
            |_| std::future::ready(()),
            |event| std::future::ready(published.borrow_mut().push(event)),
        ))
        .unwrap();
        (outcome, published.into_inner())
    }

    #[test]
    fn the_pair_rate_limit_backs_off_by_powers_of_four() {
        let s = schedule(4_000, 4).unwrap();
        assert_eq!([1, 2, 3].map(|n| delay(&s, n, 0.0)), [4, 16, 64].map(Duration::from_secs));
        assert_eq!(delay(&s, 1, 1.0), Duration::from_secs(5), "jitter only lengthens");
        let with_estimate = RetrySchedule { not_before_ms: Some(30_000), ..s };
        assert_eq!(delay(&with_estimate, 1, 0.5), Duration::from_secs(30));
    }

    #[test]
    fn throttling_is_retried_until_it_succeeds() {
        let throttled = provider(130429, ErrorClass::Throttled, schedule(1_000, 2));
        let (outcome, published) =
            run(RetryPolicy::default(), vec![Err(throttled.clone()), Err(throttled), Ok(receipt())]);
        assert!(outcome.result.is_ok());
        assert_eq!(outcome.attempts, 3);
        assert_eq!(outcome.waits.len(), 2);
        assert!(outcome.waits[0] >= Duration::from_secs(1) && outcome.waits[1] >= Duration::from_secs(2));
        assert!(published.is_empty(), "no message.failed for a send that got through");
    }

    #[test]
    fn terminal_auth_and_unknown_outcomes_are_never_retried() {
        for error in [
            provider(131047, ErrorClass::Terminal, None),
            provider(190, ErrorClass::Auth, None),
            ChannelError::OutcomeUnknown("timed out after sending".into()),
        ] {
            let (outcome, published) = run(RetryPolicy::default(), vec![Err(error.clone())]);
            assert_eq!((outcome.attempts, outcome.result.is_err()), (1, true));
            assert_eq!(published.len(), 1, "the failure's message.failed, once");
            assert_eq!(published[0].payload, format!("{error:?}"));
        }
    }

    #[test]
    fn the_last_attempt_ends_the_send_with_one_message_failed() {
        let failing = provider(500, ErrorClass::Transient, schedule(10, 2));
        let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
        let (outcome, published) = run(policy, vec![Err(failing.clone()), Err(failing.clone()), Err(failing)]);
        assert_eq!(outcome.attempts, 3);
        assert_eq!(published.len(), 1);
    }

    #[test]
    fn an_attempt_after_which_no_retry_fits_the_budget_is_the_last() {
        // 4 s then 16 s: with 30 s of budget, the third attempt cannot be followed by a 64 s wait.
        let pair = provider(131056, ErrorClass::Throttled, schedule(4_000, 4));
        let policy = RetryPolicy { max_attempts: 10, max_total_wait: Duration::from_secs(30) };
        let (outcome, published) = run(policy, vec![Err(pair.clone()), Err(pair.clone()), Err(pair)]);
        assert_eq!(outcome.attempts, 3);
        assert_eq!(published.len(), 1);
        assert!(outcome.waits.iter().sum::<Duration>() <= Duration::from_secs(30));
    }

    #[test]
    fn a_wait_beyond_the_budget_stops_with_the_last_failure_reported() {
        // A transient error first, then a throttle whose estimate (5 minutes) exceeds the budget.
        let transient = provider(500, ErrorClass::Transient, schedule(1_000, 2));
        let estimate = RetrySchedule { first_delay_ms: 1_000, multiplier: 2, not_before_ms: Some(300_000) };
        let throttled = provider(130429, ErrorClass::Throttled, Some(estimate));
        let (outcome, published) = run(RetryPolicy::default(), vec![Err(transient), Err(throttled.clone())]);
        assert_eq!(outcome.attempts, 2);
        assert_eq!(published.len(), 1, "reported once, with the error that ended the send");
        assert_eq!(published[0].payload, format!("{throttled:?}"));
    }
}
