//! What a channel needs from its host, as a trait: in the component, [`WitHost`] implements it
//! over the WIT imports; native unit tests and benchmarks implement it in memory
//! ([`mock::MockHost`]).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::contract::events::{Event, PublishError};
use crate::contract::logging::Level;
use crate::contract::outbound_http::{HttpError, Request, Response};
use crate::contract::{crypto, events, logging, media_links, outbound_http};

/// The host capabilities a channel's logic uses.
pub trait Host {
    /// Performs one outbound HTTP request (the `outbound-http.send` import).
    fn send_http(&self, request: &Request) -> Result<Response, HttpError>;
    /// Publishes a batch of events (the `events.publish` import).
    fn publish(&self, events: &[Event]) -> Result<(), PublishError>;
    /// Writes a log record (the `logging.log` import).
    fn log(&self, level: Level, message: &str);
    /// A link omni can fetch a received file from, if the host serves media (the
    /// `media-links.link` import); hosts that serve none need not say so.
    fn media_link(&self, _instance_id: &str, _media_id: &str) -> Option<String> {
        None
    }
    /// HMAC-SHA256 of `message` under `key` (the `crypto.hmac-sha256` import, which the host
    /// computes with the CPU's SHA instructions); in software where there is no such host.
    fn hmac_sha256(&self, key: &[u8], message: &[u8]) -> [u8; 32] {
        hmac_sha256(key, message)
    }
}

/// HMAC-SHA256 in software: what a host without the `crypto` import, or one that answered
/// badly, falls back to.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The WIT imports, as a [`Host`]: what the `export!`ed channel is given inside the component.
/// (Natively the imports do not exist; calling them panics.)
pub struct WitHost;

impl Host for WitHost {
    fn send_http(&self, request: &Request) -> Result<Response, HttpError> {
        outbound_http::send(request)
    }
    fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
        events::publish(events)
    }
    fn log(&self, level: Level, message: &str) {
        logging::log(level, message)
    }
    fn media_link(&self, instance_id: &str, media_id: &str) -> Option<String> {
        media_links::link(instance_id, media_id)
    }
    fn hmac_sha256(&self, key: &[u8], message: &[u8]) -> [u8; 32] {
        // A host that answered with anything but a digest is not believed.
        crypto::hmac_sha256(key, message).try_into().unwrap_or_else(|_| hmac_sha256(key, message))
    }
}

pub mod mock {
    //! An in-memory host for native unit tests: scripted HTTP responses, recorded requests and
    //! events.

    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// Records what the logic asked of its host and answers from a script.
    #[derive(Default)]
    pub struct MockHost {
        pub responses: RefCell<VecDeque<Result<Response, HttpError>>>,
        pub requests: RefCell<Vec<Request>>,
        pub published: RefCell<Vec<Event>>,
        pub publish_error: RefCell<Option<PublishError>>,
        pub logs: RefCell<Vec<(Level, String)>>,
        /// Where media links point, when set: `{base}/{instance}/{media id}`.
        pub media_base: RefCell<Option<String>>,
    }

    impl MockHost {
        /// Queues a JSON response with the given status.
        pub fn respond_json(&self, status: u16, body: &serde_json::Value) {
            self.responses.borrow_mut().push_back(Ok(Response {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                body: serde_json::to_vec(body).unwrap(),
            }));
        }

        /// Queues a transport error.
        pub fn respond_error(&self, error: HttpError) {
            self.responses.borrow_mut().push_back(Err(error));
        }

        /// The published events' payloads, parsed.
        pub fn payloads(&self) -> Vec<serde_json::Value> {
            self.published.borrow().iter().map(|e| serde_json::from_str(&e.payload).unwrap()).collect()
        }
    }

    impl Host for MockHost {
        fn send_http(&self, request: &Request) -> Result<Response, HttpError> {
            self.requests.borrow_mut().push(request.clone());
            self.responses
                .borrow_mut()
                .pop_front()
                .unwrap_or_else(|| Err(HttpError::Other("no scripted response".into())))
        }

        fn publish(&self, events: &[Event]) -> Result<(), PublishError> {
            if let Some(error) = self.publish_error.borrow().clone() {
                return Err(error);
            }
            self.published.borrow_mut().extend_from_slice(events);
            Ok(())
        }

        fn log(&self, level: Level, message: &str) {
            self.logs.borrow_mut().push((level, message.to_owned()));
        }

        fn media_link(&self, instance_id: &str, media_id: &str) -> Option<String> {
            self.media_base.borrow().as_ref().map(|base| format!("{base}/{instance_id}/{media_id}"))
        }
    }
}
