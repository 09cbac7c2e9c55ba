//! `X-Hub-Signature-256` values, as Meta computes them: for signing test webhooks and the
//! `sign` command. (Verification is the plugin's job.)

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// `sha256=<lowercase hex HMAC-SHA256(secret, body)>`.
pub fn hub_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_4231_case_2() {
        assert_eq!(
            super::hub_signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
