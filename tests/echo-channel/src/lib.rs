//! The smallest useful omni channel, for testing that `omni-host` knows no channel: it echoes
//! every webhook as one `custom.echo.webhook` event and sends a text message as one POST to the
//! origin its configuration names — the only origin it declares. A message whose text is a URL
//! is POSTed there instead, so a test can watch the host refuse an origin the plugin never
//! declared.
//!
//! Configuration: `{"origin": "http://127.0.0.1:8080"}`.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ path: "../../wit", world: "channel-plugin" });

    use exports::omni::channel::{account, calls, groups, media, messaging, plugin, webhook};
    use omni::channel::events::{self, Event, EventKind, PublishError};
    use omni::channel::outbound_http::{self, HttpError, Method, Request};
    use omni::channel::types::{ChannelError, ConfigProblem, Instance, InvalidField, TransportError};
    use serde_json::{Value, json};

    struct Echo;

    /// The `origin` setting of a configuration, or the problem with it.
    fn origin(config: &str) -> Result<String, ConfigProblem> {
        let value: Value = serde_json::from_str(config)
            .map_err(|e| ConfigProblem { field: String::new(), message: format!("not JSON: {e}") })?;
        match value["origin"].as_str() {
            Some(o) if o.starts_with("http://") || o.starts_with("https://") => Ok(o.trim_end_matches('/').to_owned()),
            _ => Err(ConfigProblem { field: "/origin".into(), message: "an http(s) origin is required".into() }),
        }
    }

    /// A deterministic event id (FNV-1a of the bytes), so a redelivery yields the same id.
    fn id_of(bytes: &[u8]) -> String {
        let hash =
            bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3));
        format!("{hash:016x}")
    }

    fn unsupported(what: &str) -> ChannelError {
        ChannelError::Other(format!("the echo channel does not {what}"))
    }

    impl plugin::Guest for Echo {
        fn info() -> plugin::PluginInfo {
            plugin::PluginInfo {
                id: "echo".into(),
                name: "Echo test channel".into(),
                version: "0.0.0".into(),
                contract: "omni:channel@0.5.0".into(),
                capabilities: plugin::Capabilities {
                    features: plugin::Features::SEND_TEXT,
                    max_text_length: 1000,
                    media: Vec::new(),
                },
            }
        }
        fn config_schema() -> String {
            json!({"type": "object", "required": ["origin"], "properties": {"origin": {"type": "string"}}}).to_string()
        }
        fn validate_config(config: String) -> Result<plugin::ValidatedConfig, Vec<ConfigProblem>> {
            let origin = origin(&config).map_err(|p| vec![p])?;
            Ok(plugin::ValidatedConfig {
                config,
                egress: vec![origin.clone()],
                app_key: origin,
                routing_keys: Vec::new(),
            })
        }
        fn connect(_: Instance, _: plugin::ConnectOptions) -> Result<plugin::ConnectionInfo, ChannelError> {
            Err(unsupported("connect"))
        }
    }

    impl webhook::Guest for Echo {
        fn handle_webhook(
            receiver: Instance,
            _: Vec<webhook::Route>,
            request: webhook::IncomingRequest,
            _: webhook::DeliveryLimits,
        ) -> webhook::OutgoingResponse {
            let event = Event {
                id: id_of(&request.body),
                kind: EventKind::Other("custom.echo.webhook".into()),
                instance_id: receiver.id,
                correlation_id: None,
                occurred_at_ms: None,
                payload: json!({"method": request.method, "body": String::from_utf8_lossy(&request.body)}).to_string(),
            };
            let (status, body) = match events::publish(&[event]) {
                Ok(()) => (200, "echoed".to_owned()),
                // The bus is down: 503, so the sender delivers again.
                Err(e) => (503, format!("{e:?}")),
            };
            webhook::OutgoingResponse { status, headers: Vec::new(), body: body.into_bytes() }
        }
    }

    impl messaging::Guest for Echo {
        fn decode_outgoing(
            message: String,
            _: Vec<messaging::Attachment>,
        ) -> Result<messaging::DecodedMessage, InvalidField> {
            let invalid = |field: &str, reason: &str| InvalidField { field: field.into(), reason: reason.into() };
            let value: Value = serde_json::from_str(&message).map_err(|e| invalid("", &e.to_string()))?;
            let to = value["to"].as_str().ok_or_else(|| invalid("to", "a recipient is required"))?;
            let text = match (value["content"]["type"].as_str(), value["content"]["text"].as_str()) {
                (Some("text"), Some(text)) => text,
                _ => return Err(invalid("content.type", "the echo channel sends text only")),
            };
            let part = messaging::OutgoingMessage {
                to: to.into(),
                content: messaging::Content::Text(messaging::TextContent { body: text.into(), preview_url: false }),
                reply_to: None,
                callback_data: None,
                identity_key_hash: None,
            };
            let correlation_id = value["metadata"]["correlationId"].as_str().map(str::to_owned);
            Ok(messaging::DecodedMessage { parts: vec![part], correlation_id })
        }

        fn send_message(
            instance: Instance,
            message: messaging::OutgoingMessage,
            options: messaging::SendOptions,
        ) -> Result<messaging::SendReceipt, ChannelError> {
            let origin = origin(&instance.config).map_err(|p| ChannelError::InvalidConfig(vec![p]))?;
            let messaging::Content::Text(text) = message.content else { return Err(unsupported("send this content")) };
            let url = if text.body.starts_with("http") { text.body.clone() } else { format!("{origin}/echo") };
            let request = Request {
                method: Method::Post,
                url,
                headers: vec![("content-type".into(), "application/json".into())],
                body: json!({"to": message.to, "text": text.body}).to_string().into_bytes(),
                timeout_ms: Some(5_000),
            };
            let response = outbound_http::send(&request).map_err(|e| match e {
                HttpError::DestinationNotAllowed(d) => ChannelError::Unreachable(TransportError {
                    message: format!("destination not allowed: {d}"),
                    retry: None,
                }),
                other => ChannelError::OutcomeUnknown(format!("{other:?}")),
            })?;
            let reply: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            let message_id = match reply["id"].as_str() {
                Some(id) if (200..300).contains(&response.status) => id.to_owned(),
                _ => return Err(ChannelError::Other(format!("the echo server answered {}", response.status))),
            };
            let event_id = id_of(format!("sent/{}", options.correlation_id).as_bytes());
            let sent = Event {
                id: event_id.clone(),
                kind: EventKind::MessageSent,
                instance_id: instance.id,
                correlation_id: Some(options.correlation_id),
                occurred_at_ms: None,
                payload: json!({"externalId": message_id, "chatId": message.to}).to_string(),
            };
            events::publish(&[sent]).map_err(|e| ChannelError::Other(format!("publishing message.sent: {e:?}")))?;
            Ok(messaging::SendReceipt { message_id, recipient_id: None, message_status: None, event_id })
        }

        fn report_send_failure(
            _: Instance,
            _: messaging::OutgoingMessage,
            _: messaging::SendOptions,
            _: ChannelError,
        ) -> Result<(), PublishError> {
            // The echo channel publishes no `message.failed`, so it has none held back.
            Ok(())
        }

        fn mark_read(_: Instance, _: String, _: bool) -> Result<(), ChannelError> {
            Err(unsupported("mark messages read"))
        }
    }

    impl media::Guest for Echo {
        fn upload_media(_: Instance, _: media::MediaUpload) -> Result<String, ChannelError> {
            Err(unsupported("upload media"))
        }
        fn locate_media(_: Instance, _: String) -> Result<media::MediaLocation, ChannelError> {
            Err(unsupported("locate media"))
        }
        fn delete_media(_: Instance, _: String) -> Result<(), ChannelError> {
            Err(unsupported("delete media"))
        }
    }

    impl account::Guest for Echo {
        fn block_users(_: Instance, _: Vec<String>, _: bool) -> Result<account::BlockOutcome, ChannelError> {
            Err(unsupported("block users"))
        }
        fn get_business_profile(_: Instance) -> Result<account::BusinessProfile, ChannelError> {
            Err(unsupported("read a business profile"))
        }
        fn update_business_profile(_: Instance, _: account::ProfileUpdate) -> Result<(), ChannelError> {
            Err(unsupported("change a business profile"))
        }
    }

    impl calls::Guest for Echo {
        fn act_on_call(_: Instance, _: calls::CallAction) -> Result<String, ChannelError> {
            Err(unsupported("make calls"))
        }
    }

    impl groups::Guest for Echo {
        fn act_on_group(_: Instance, _: groups::GroupAction) -> Result<groups::GroupOutcome, ChannelError> {
            Err(unsupported("manage groups"))
        }
    }

    export!(Echo);
}
