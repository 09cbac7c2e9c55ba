//! One export call for one instance: its configuration parsed once, and its failures reported
//! in one place — an unusable token publishes `instance.disconnected`, whichever export met it.

use serde_json::json;

use crate::config::InstanceConfig;
use crate::constants::CHANNEL_ID;
use crate::event::EventSpec;
use crate::host::Host;
use crate::wit::events::EventKind;
use crate::wit::logging::Level;
use crate::wit::types::{ChannelError, ErrorClass, Instance};

/// What an export works with.
pub struct Call<'a> {
    pub host: &'a dyn Host,
    pub instance: &'a Instance,
    pub config: InstanceConfig,
}

impl<'a> Call<'a> {
    /// Runs `work` for `instance`: a configuration the plugin cannot read is an
    /// `invalid-config` error, and an error meaning the token itself no longer works is
    /// reported as the instance being disconnected before it is returned.
    pub fn run<T>(
        host: &'a dyn Host,
        instance: &'a Instance,
        work: impl FnOnce(&Call<'a>) -> Result<T, ChannelError>,
    ) -> Result<T, ChannelError> {
        let config = InstanceConfig::parse(&instance.config).map_err(ChannelError::InvalidConfig)?;
        let call = Call { host, instance, config };
        let result = work(&call);
        if let Err(error) = &result {
            call.report_if_disconnected(error);
        }
        result
    }

    /// Writes a log record naming the instance.
    pub fn log(&self, level: Level, message: &str) {
        self.host.log(level, &format!("instance {}: {message}", self.instance.id));
    }

    /// Publishes `instance.disconnected` when `error` is an auth error: an expired or revoked
    /// token must surface as the instance being disconnected, not as endless failures.
    fn report_if_disconnected(&self, error: &ChannelError) {
        let ChannelError::Provider(e) = error else { return };
        if e.class != ErrorClass::Auth {
            return;
        }
        let instance_id = &self.instance.id;
        let code = e.code.map(|c| c.to_string()).unwrap_or_default();
        let subcode = e.subcode.map(|c| c.to_string()).unwrap_or_default();
        let event = EventSpec {
            instance_id,
            kind: EventKind::InstanceDisconnected,
            key: &["auth", &code, &subcode, &e.message],
            correlation_id: None,
            occurred_at_ms: None,
            payload: json!({
                "instanceId": instance_id,
                "channelType": CHANNEL_ID,
                "reason": e.message,
                "errorCode": e.code.map(|c| c.to_string()),
                // A new token has to be configured; retrying with this one cannot reconnect.
                "willReconnect": false,
            })
            .to_string(),
        }
        .build();
        if let Err(publish) = self.host.publish(&[event]) {
            self.log(Level::Warn, &format!("instance.disconnected not published: {publish:?}"));
        }
    }
}

/// Whether an error means the credentials no longer work.
pub fn is_auth_error(error: &ChannelError) -> bool {
    matches!(error, ChannelError::Provider(e) if e.class == ErrorClass::Auth)
}
