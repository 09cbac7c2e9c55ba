//! JSON as the inbound path reads and writes it: a borrowed view of a parsed document ([`Node`])
//! and a writer for event payloads ([`Object`]).
//!
//! A webhook is parsed once (by `serde_json`, so what is valid JSON and what is not is exactly
//! what `serde_json` says) into nodes whose strings point into the body unless they hold
//! escapes. Reading a delivery therefore allocates one vector per object or array and nothing
//! per string, and payloads are written straight into their final string: no
//! `serde_json::Value` trees built, cloned and serialised again.

mod escape;
mod node;
mod write;

pub use escape::write_str;
pub use node::{NULL, Node};
pub use write::{Array, Object};
