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
    use omni_channel_sdk::contract::events::{Event, EventKind};
    use omni_channel_sdk::contract::messaging::{OutgoingMessage, SendOptions};
    use omni_channel_sdk::contract::outbound_http::{Method, Request};
    use omni_channel_sdk::contract::plugin::{Capabilities, Features, PluginInfo, ValidatedConfig};
    use omni_channel_sdk::contract::types::{ConfigProblem, Instance};
    use omni_channel_sdk::contract::webhook::OutgoingResponse;
    use omni_channel_sdk::event::send_failure;
    use omni_channel_sdk::{Channel, Delivery, Host, SendResult, unsupported};

    struct Misbehaving;
    omni_channel_sdk::export!(Misbehaving);

    impl Channel for Misbehaving {
        fn info() -> PluginInfo {
            PluginInfo {
                id: "misbehaving".into(),
                name: "Misbehaving test plugin".into(),
                version: "0.0.0".into(),
                contract: "omni:channel@0.6.0".into(),
                // Claims what it does not export: a host must not believe it.
                capabilities: Capabilities {
                    features: Features::SEND_TEXT | Features::READ_RECEIPTS | Features::GROUPS,
                    max_text_length: 0,
                    media: Vec::new(),
                },
            }
        }

        fn validate_config(config: &str) -> Result<ValidatedConfig, Vec<ConfigProblem>> {
            if config.contains("\"trap\"") {
                panic!("asked to trap while validating");
            }
            let config = config.to_owned();
            Ok(ValidatedConfig { config, egress: Vec::new(), app_key: String::new(), routing_keys: Vec::new() })
        }

        fn handle_webhook(host: &dyn Host, delivery: &Delivery<'_>) -> OutgoingResponse {
            let (receiver, request) = (delivery.receiver, delivery.request);
            let ok = |body: Vec<u8>| OutgoingResponse { status: 200, headers: Vec::new(), body };
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
                    match host.publish(&[event]) {
                        Ok(()) => ok(b"published".to_vec()),
                        Err(e) => {
                            OutgoingResponse { status: 403, headers: Vec::new(), body: format!("{e:?}").into_bytes() }
                        }
                    }
                }
                b"slow-host" => {
                    let request = Request {
                        method: Method::Get,
                        url: request.query.clone(),
                        headers: vec![("authorization".into(), "Bearer misbehaving".into())],
                        body: Vec::new(),
                        timeout_ms: None,
                    };
                    let status = match host.send_http(&request) {
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

        fn send_message(
            _: &dyn Host,
            instance: &Instance,
            message: OutgoingMessage,
            options: &SendOptions,
        ) -> SendResult {
            Err(send_failure(&instance.id, &message.to, options, unsupported("send-message")))
        }
    }

    /// Recursion the optimiser cannot turn into a loop: every frame is used after the call.
    fn recurse(depth: u64) -> u64 {
        let mut frame = [depth; 32];
        std::hint::black_box(&mut frame);
        recurse(depth + 1).wrapping_add(frame[(depth % 32) as usize])
    }
}
