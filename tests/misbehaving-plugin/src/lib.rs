//! A plugin that misbehaves on command, to test the host's sandbox.
//!
//! `handle-webhook` reads its instruction from the request body:
//! - `loop`: spins forever (the CPU budget must stop it);
//! - `spin:N`: computes for N million iterations, then answers 200 (a call that needs more
//!   than a short budget but finishes);
//! - `alloc`: allocates without bound (the memory limit must stop it);
//! - `panic`: panics (a trap);
//! - `oob`: reads past the end of its linear memory (a trap the hardware raises: wasmtime's
//!   signal handler or explicit bounds checks must turn it into an error, whatever else in the
//!   process handles signals — a JavaScript engine, for one);
//! - `recurse`: recurses without end (wasm stack exhaustion);
//! - `huge`: answers with an 8 MiB body (the output cap must refuse it);
//! - `foreign-event`: publishes an event for an instance the call does not concern;
//! - `slow-host`: GETs the URL in the query string with `Authorization: Bearer misbehaving`
//!   and answers with the status it got (599 when the request failed);
//! - anything else: answers 200 with the body echoed.

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ path: "../../wit", world: "channel-plugin" });

    use exports::omni::channel::{account, calls, groups, media, messaging, plugin, webhook};
    use omni::channel::events::{self, Event, EventKind};
    use omni::channel::outbound_http::{self, Method, Request};
    use omni::channel::types::{ChannelError, ConfigProblem, Instance};

    struct Misbehaving;

    impl plugin::Guest for Misbehaving {
        fn info() -> plugin::PluginInfo {
            plugin::PluginInfo {
                id: "misbehaving".into(),
                name: "Misbehaving test plugin".into(),
                version: "0.0.0".into(),
                contract: "omni:channel@0.5.0".into(),
                capabilities: plugin::Capabilities {
                    features: plugin::Features::empty(),
                    max_text_length: 0,
                    media: Vec::new(),
                },
            }
        }
        fn config_schema() -> String {
            "{}".into()
        }
        fn validate_config(config: String) -> Result<plugin::ValidatedConfig, Vec<ConfigProblem>> {
            if config.contains("\"trap\"") {
                panic!("asked to trap while validating");
            }
            Ok(plugin::ValidatedConfig { config, egress: Vec::new(), app_key: String::new(), routing_keys: Vec::new() })
        }
        fn connect(_: Instance, _: plugin::ConnectOptions) -> Result<plugin::ConnectionInfo, ChannelError> {
            Err(ChannelError::Other("not implemented".into()))
        }
    }

    impl webhook::Guest for Misbehaving {
        fn handle_webhook(
            receiver: Instance,
            _: Vec<webhook::Route>,
            request: webhook::IncomingRequest,
            _: webhook::DeliveryLimits,
        ) -> webhook::OutgoingResponse {
            let ok = |body: Vec<u8>| webhook::OutgoingResponse { status: 200, headers: Vec::new(), body };
            match request.body.as_slice() {
                b"loop" => loop {
                    std::hint::black_box(());
                },
                b"alloc" => {
                    let mut hoard: Vec<Vec<u8>> = Vec::new();
                    loop {
                        hoard.push(vec![1u8; 1 << 20]);
                        std::hint::black_box(&hoard);
                    }
                }
                b"panic" => panic!("asked to panic"),
                b"oob" => {
                    // Just below 4 GiB: never inside a 32-bit memory's allocated pages.
                    let past_the_end = std::hint::black_box(0xFFFF_FF00usize) as *const u8;
                    // SAFETY: none; the point is an out-of-bounds access, which traps.
                    let byte = unsafe { std::ptr::read_volatile(past_the_end) };
                    ok(vec![byte])
                }
                b"recurse" => ok(recurse(std::hint::black_box(1)).to_string().into_bytes()),
                b"huge" => ok(vec![b'x'; 8 << 20]),
                b"foreign-event" => {
                    let event = Event {
                        id: "foreign-1".into(),
                        kind: EventKind::MessageReceived,
                        instance_id: format!("not-{}", receiver.id),
                        correlation_id: None,
                        occurred_at_ms: None,
                        payload: "{}".into(),
                    };
                    match events::publish(&[event]) {
                        Ok(()) => ok(b"published".to_vec()),
                        Err(e) => webhook::OutgoingResponse {
                            status: 403,
                            headers: Vec::new(),
                            body: format!("{e:?}").into_bytes(),
                        },
                    }
                }
                b"slow-host" => {
                    let request = Request {
                        method: Method::Get,
                        url: String::from_utf8_lossy(&request.query.into_bytes()).into_owned(),
                        headers: vec![("authorization".into(), "Bearer misbehaving".into())],
                        body: Vec::new(),
                        timeout_ms: None,
                    };
                    let status = match outbound_http::send(&request) {
                        Ok(r) => r.status,
                        Err(_) => 599,
                    };
                    ok(status.to_string().into_bytes())
                }
                other if other.starts_with(b"spin:") => {
                    let millions: u64 = std::str::from_utf8(&other[5..]).ok().and_then(|n| n.parse().ok()).unwrap_or(0);
                    let mut x = 0u64;
                    for i in 0..millions * 1_000_000 {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                    }
                    ok(x.to_string().into_bytes())
                }
                other => ok(other.to_vec()),
            }
        }
    }

    /// Recursion the optimiser cannot turn into a loop: every frame is used after the call.
    fn recurse(depth: u64) -> u64 {
        let mut frame = [depth; 32];
        std::hint::black_box(&mut frame);
        recurse(depth + 1).wrapping_add(frame[(depth % 32) as usize])
    }

    impl messaging::Guest for Misbehaving {
        fn decode_outgoing(
            _: String,
            _: Vec<messaging::Attachment>,
        ) -> Result<messaging::DecodedMessage, omni::channel::types::InvalidField> {
            Err(omni::channel::types::InvalidField { field: String::new(), reason: "not implemented".into() })
        }
        fn send_message(
            _: Instance,
            _: messaging::OutgoingMessage,
            _: messaging::SendOptions,
        ) -> Result<messaging::SendReceipt, ChannelError> {
            Err(ChannelError::Other("not implemented".into()))
        }
        fn report_send_failure(
            _: Instance,
            _: messaging::OutgoingMessage,
            _: messaging::SendOptions,
            _: ChannelError,
        ) -> Result<(), events::PublishError> {
            Err(events::PublishError::Other("not implemented".into()))
        }
        fn mark_read(_: Instance, _: String, _: bool) -> Result<(), ChannelError> {
            Err(ChannelError::Other("not implemented".into()))
        }
    }

    impl media::Guest for Misbehaving {
        fn upload_media(_: Instance, _: media::MediaUpload) -> Result<String, ChannelError> {
            Err(ChannelError::Other("not implemented".into()))
        }
        fn locate_media(_: Instance, _: String) -> Result<media::MediaLocation, ChannelError> {
            Err(ChannelError::Other("not implemented".into()))
        }
        fn delete_media(_: Instance, _: String) -> Result<(), ChannelError> {
            Err(not_implemented("delete media"))
        }
    }

    impl account::Guest for Misbehaving {
        fn block_users(_: Instance, _: Vec<String>, _: bool) -> Result<account::BlockOutcome, ChannelError> {
            Err(not_implemented("block users"))
        }
        fn get_business_profile(_: Instance) -> Result<account::BusinessProfile, ChannelError> {
            Err(not_implemented("read a business profile"))
        }
        fn update_business_profile(_: Instance, _: account::ProfileUpdate) -> Result<(), ChannelError> {
            Err(not_implemented("change a business profile"))
        }
    }

    fn not_implemented(what: &str) -> ChannelError {
        ChannelError::Other(format!("the misbehaving plugin does not {what}"))
    }

    impl calls::Guest for Misbehaving {
        fn act_on_call(_: Instance, _: calls::CallAction) -> Result<String, ChannelError> {
            Err(not_implemented("make calls"))
        }
    }

    impl groups::Guest for Misbehaving {
        fn act_on_group(_: Instance, _: groups::GroupAction) -> Result<groups::GroupOutcome, ChannelError> {
            Err(not_implemented("manage groups"))
        }
    }

    export!(Misbehaving);
}
