//! `X-Hub-Signature-256` values, as Meta computes them: for signing test webhooks, the demo
//! and the `sign` command. The plugin's own signing, so that there is one implementation of it
//! (verification is the plugin's job).

/// `sha256=<lowercase hex HMAC-SHA256(secret, body)>`.
pub fn hub_signature(secret: &[u8], body: &[u8]) -> String {
    whatsapp_cloud_plugin::signature::sign(secret, body)
}
