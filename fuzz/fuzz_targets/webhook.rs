//! The whole webhook handler — signature check included — on arbitrary requests: never panics,
//! and answers with a status the contract allows.
//!
//! The body is signed with the instance's secret when the first input byte is even, so that
//! half of the runs get past the signature check into the mapping.

#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp_cloud_plugin::host::Host;
use whatsapp_cloud_plugin::signature;
use whatsapp_cloud_plugin::webhook::{DEFAULT_LIMITS, handle};
use whatsapp_cloud_plugin::wit::events::{Event, PublishError};
use whatsapp_cloud_plugin::wit::logging::Level;
use whatsapp_cloud_plugin::wit::outbound_http::{HttpError, Request, Response};
use whatsapp_cloud_plugin::wit::types::Instance;
use whatsapp_cloud_plugin::wit::webhook::IncomingRequest;

/// A host that accepts every event and has no network.
struct NullHost;

impl Host for NullHost {
    fn send_http(&self, _: &Request) -> Result<Response, HttpError> {
        Err(HttpError::DestinationNotAllowed("fuzzing".into()))
    }
    fn publish(&self, _: &[Event]) -> Result<(), PublishError> {
        Ok(())
    }
    fn log(&self, _: Level, _: &str) {}
}

const CONFIG: &str = r#"{"appSecret":"fuzz-secret","webhookVerifyToken":"fuzz-token","phoneNumberId":"106540352242922","businessAccountId":"102290129340398","accessToken":"EAAfuzz"}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (method, query, body) = match selector % 4 {
        0 | 1 => ("POST", String::new(), rest.to_vec()),
        2 => ("GET", String::from_utf8_lossy(rest).into_owned(), Vec::new()),
        _ => ("PUT", String::new(), rest.to_vec()),
    };
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if selector % 2 == 0 {
        headers.push((signature::HEADER.to_owned(), signature::sign(b"fuzz-secret", &body)));
    }
    let receiver = Instance { id: "acme".into(), config: CONFIG.into() };
    let request = IncomingRequest { method: method.into(), path: "/".into(), query, headers, body };
    let response = handle(&NullHost, &receiver, &[], &request, &DEFAULT_LIMITS);
    assert!(matches!(response.status, 200 | 400 | 401 | 403 | 405 | 413), "status {}", response.status);
});
