//! `X-Hub-Signature-256`: HMAC-SHA256 of the raw request body with the app secret.
//!
//! Meta signs the bytes it sends, with non-ASCII escaped as `\uXXXX` and `/` sometimes as `\/`.
//! Verification therefore runs over the exact bytes received, never over re-serialised JSON, and
//! compares in constant time.

/// The header carrying the signature.
pub const HEADER: &str = "x-hub-signature-256";

const PREFIX: &str = "sha256=";

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No signature header.
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits, or appears more than once.
    Malformed,
    /// A well-formed signature that does not match the body.
    Mismatch,
}

impl SignatureError {
    /// A short explanation for the response body and logs.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Missing => "missing X-Hub-Signature-256 header",
            Self::Malformed => "malformed X-Hub-Signature-256 header (expected sha256=<64 hex digits>)",
            Self::Mismatch => "X-Hub-Signature-256 does not match the body",
        }
    }
}

/// The header value Meta would send for `body`: `sha256=<lowercase hex>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    format!("{PREFIX}{}", hex::encode(hmac_sha256(secret, body)))
}

/// Verifies the signature headers of a request against its raw body.
///
/// `values` are all values of the signature header (several are refused as malformed rather
/// than picking one). `hmac` computes HMAC-SHA256 under `secret` (the host's `crypto` import in
/// the component, [`hmac_sha256`] elsewhere); it is not called for a header that is missing or
/// malformed.
pub fn verify(
    secret: &[u8],
    body: &[u8],
    values: &[&str],
    hmac: impl FnOnce(&[u8], &[u8]) -> [u8; 32],
) -> Result<(), SignatureError> {
    let value = match values {
        [] => return Err(SignatureError::Missing),
        [one] => one.trim(),
        _ => return Err(SignatureError::Malformed),
    };
    let digest = value
        .get(..PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(PREFIX))
        .map(|_| &value[PREFIX.len()..])
        .ok_or(SignatureError::Malformed)?;
    if digest.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let mut expected = [0u8; 32];
    hex::decode_to_slice(digest, &mut expected).map_err(|_| SignatureError::Malformed)?;
    let computed = hmac(secret, body);
    // Every byte is compared, whatever the first difference: no timing says how close a guess was.
    let difference = expected.iter().zip(computed).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if difference == 0 { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// HMAC-SHA256, in software (the SDK's).
pub use omni_channel_sdk::host::hmac_sha256;

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"app-secret";

    fn verify(secret: &[u8], body: &[u8], values: &[&str]) -> Result<(), SignatureError> {
        super::verify(secret, body, values, hmac_sha256)
    }

    #[test]
    fn a_missing_or_malformed_header_computes_nothing() {
        let never = |_: &[u8], _: &[u8]| -> [u8; 32] { panic!("computed an HMAC for a header it could not use") };
        assert_eq!(super::verify(SECRET, b"{}", &[], never), Err(SignatureError::Missing));
        assert_eq!(super::verify(SECRET, b"{}", &["sha256=zz"], never), Err(SignatureError::Malformed));
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        let value = sign(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(value, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn accepts_own_signature_in_any_case() {
        let body = br#"{"a":"caf\u00e9 \/ \ud83d\ude00"}"#;
        let value = sign(SECRET, body);
        assert_eq!(verify(SECRET, body, &[&value]), Ok(()));
        assert_eq!(verify(SECRET, body, &[&value.to_uppercase()]), Ok(()));
        assert_eq!(verify(SECRET, body, &[&format!(" {value} ")]), Ok(()));
    }

    #[test]
    fn signature_covers_the_escaped_bytes_not_the_decoded_text() {
        let escaped = br#"{"a":"caf\u00e9"}"#;
        let decoded = "{\"a\":\"café\"}".as_bytes();
        let value = sign(SECRET, escaped);
        assert_eq!(verify(SECRET, decoded, &[&value]), Err(SignatureError::Mismatch));
    }

    #[test]
    fn refuses_missing_malformed_and_wrong() {
        let body = b"{}";
        let good = sign(SECRET, body);
        assert_eq!(verify(SECRET, body, &[]), Err(SignatureError::Missing));
        for bad in ["", "sha256=", "sha1=abcd", &good[..good.len() - 1], &format!("{}zz", &good[..good.len() - 2])] {
            assert_eq!(verify(SECRET, body, &[bad]), Err(SignatureError::Malformed), "{bad}");
        }
        assert_eq!(verify(SECRET, body, &[&good, &good]), Err(SignatureError::Malformed));
        assert_eq!(verify(b"other", body, &[&good]), Err(SignatureError::Mismatch));
        assert_eq!(verify(SECRET, b"{} ", &[&good]), Err(SignatureError::Mismatch));
    }
}
