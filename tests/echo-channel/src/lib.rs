//! The smallest omni channel: the SDK's core; it writes only the webhook (one `custom.echo.webhook`
//! event) and sending: a text is POSTed to `{origin}/echo`, `origin` its one allowed destination, or
//! to the text when it is a URL, so that a test sees the host refuse a destination never declared.
use omni_channel_sdk::contract::messaging::{Content, OutgoingMessage, SendOptions, SendReceipt};
use omni_channel_sdk::contract::plugin::{Capabilities, Features, PluginInfo, ValidatedConfig};
use omni_channel_sdk::contract::{events::EventKind, outbound_http::*, types::*, webhook::OutgoingResponse};
use omni_channel_sdk::{Channel, Delivery, Host, SendResult, errors::*, event::*};
use serde_json::{Value, json};

pub struct Echo;
omni_channel_sdk::export!(Echo);

fn origin(config: &str) -> Option<String> {
    let origin = serde_json::from_str::<Value>(config).ok()?["origin"].as_str()?.to_owned();
    origin.starts_with("http").then_some(origin)
}

impl Channel for Echo {
    fn info() -> PluginInfo {
        let capabilities = Capabilities { features: Features::SEND_TEXT, max_text_length: 1000, media: vec![] };
        let (id, name, version, contract) = ("echo".into(), "Echo".into(), "0.0.0".into(), "omni:channel@0.6.0".into());
        PluginInfo { id, name, version, contract, capabilities }
    }
    fn validate_config(config: &str) -> Result<ValidatedConfig, Vec<ConfigProblem>> {
        let problem = || vec![ConfigProblem { field: "/origin".into(), message: "an http(s) origin is needed".into() }];
        let (config, origin) = (config.to_owned(), origin(config).ok_or_else(problem)?);
        Ok(ValidatedConfig { config, egress: vec![origin.clone()], app_key: origin, routing_keys: vec![] })
    }
    fn handle_webhook(host: &dyn Host, delivery: &Delivery<'_>) -> OutgoingResponse {
        let body = String::from_utf8_lossy(&delivery.request.body);
        let kind = EventKind::Other("custom.echo.webhook".into());
        let echoed = EventSpec::new(&delivery.receiver.id, kind, &[&body], json!({"body": body}).to_string()).build();
        // The bus is down: 503, so the sender delivers again.
        let status = if host.publish(&[echoed]).is_ok() { 200 } else { 503 };
        OutgoingResponse { status, headers: vec![], body: b"echoed".to_vec() }
    }
    fn send_message(host: &dyn Host, on: &Instance, m: OutgoingMessage, o: &SendOptions) -> SendResult {
        let fail = |error| send_failure(&on.id, &m.to, o, error);
        let Content::Text(text) = &m.content else { return Err(fail(omni_channel_sdk::unsupported("media"))) };
        let url = if text.body.starts_with("http") {
            text.body.clone()
        } else {
            origin(&on.config).unwrap_or_default() + "/echo"
        };
        let body = json!({"to": m.to, "text": text.body}).to_string().into_bytes();
        let request = Request { method: Method::Post, url, headers: vec![], body, timeout_ms: Some(5_000) };
        let reply = host.send_http(&request).map_err(|e| fail(transport_error(e, Idempotency::NotIdempotent)))?;
        let id = serde_json::from_slice::<Value>(&reply.body).ok().and_then(|v| Some(v["id"].as_str()?.to_owned()));
        let id = id.ok_or_else(|| fail(ChannelError::Other(format!("the echo server answered {}", reply.status))))?;
        let payload = json!({"externalId": id, "chatId": m.to}).to_string();
        let sent = EventSpec::new(&on.id, EventKind::MessageSent, &[&o.correlation_id], payload).build();
        host.publish(std::slice::from_ref(&sent)).map_err(|e| fail(ChannelError::Other(format!("{e:?}"))))?;
        Ok(SendReceipt { message_id: id, recipient_id: None, message_status: None, event_id: sent.id })
    }
}
