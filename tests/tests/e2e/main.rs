//! End-to-end tests: the real component, built from source by `cargo test`, driven through the
//! host harness against an in-memory event sink and the fake Graph API on loopback.
//!
//! One test binary, so the component is compiled once for all of them.

mod account;
mod actions;
mod component;
mod conformance;
mod golden;
mod hostile;
mod inbound;
mod instances;
mod media;
mod media_links;
mod nats;
mod omni_shapes;
mod properties;
mod retries;
mod sandbox;
mod send;
mod send_examples;
mod send_features;
mod server;
mod signature;
mod starvation;
mod verification;
