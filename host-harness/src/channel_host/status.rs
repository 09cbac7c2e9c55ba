//! What the host learns of an instance's health from the calls it runs: the outcome of
//! `connect`, and the failures of sends (a provider refusing the credentials disconnects it).

use crate::bindings::plugin::ConnectionInfo;
use crate::bindings::types::{ChannelError, ErrorClass};
use crate::instances::{ConnectAttempt, ConnectionState, HostedInstance, SendFailure};
use crate::omni::now_ms;
use crate::omni::wire;

/// The reason to report when `error` means the credentials no longer work.
fn credentials_refused(error: &ChannelError) -> Option<String> {
    match error {
        ChannelError::Provider(p) if p.class == ErrorClass::Auth => {
            Some(format!("the provider refused the credentials: {}", p.message))
        }
        _ => None,
    }
}

/// The error's case (`provider`, `unreachable`...) and message, as the API answers them.
fn describe(error: &ChannelError) -> (String, String) {
    let json = wire::channel_error(error);
    let text = |key: &str| json[key].as_str().unwrap_or_default().to_owned();
    (text("error"), text("message"))
}

/// Records the outcome of `connect`.
pub(super) fn note_connect(instance: &HostedInstance, result: &Result<ConnectionInfo, ChannelError>) {
    instance.record(|status| match result {
        Ok(info) => {
            status.state = ConnectionState::Connected;
            status.reason = None;
            status.sends_paused = false;
            status.last_connect = Some(ConnectAttempt {
                at_ms: now_ms(),
                ok: true,
                quality_rating: info.quality_rating.clone(),
                failed_checks: info.checks.iter().filter(|c| !c.passed).map(|c| c.name.clone()).collect(),
                error: None,
            });
        }
        Err(error) => {
            if let Some(reason) = credentials_refused(error) {
                status.state = ConnectionState::Disconnected;
                status.reason = Some(reason);
            }
            status.last_connect = Some(ConnectAttempt {
                at_ms: now_ms(),
                ok: false,
                quality_rating: None,
                failed_checks: Vec::new(),
                error: Some(describe(error).1),
            });
        }
    });
}

/// Records a failed send attempt.
pub(super) fn note_send_failure(instance: &HostedInstance, error: &ChannelError) {
    let (case, message) = describe(error);
    instance.record(|status| {
        if let Some(reason) = credentials_refused(error) {
            status.state = ConnectionState::Disconnected;
            status.reason = Some(reason);
        }
        status.last_send_error = Some(SendFailure { at_ms: now_ms(), error: case, message });
    });
}
