//! Checking a received file against what the provider said of it (its size and SHA-256) as
//! it arrives, and naming the provider's failures by whether another try may help. No I/O of
//! its own and no call into the plugin: the streaming side ([`super`]) and blocking tools
//! (`ChannelHost::download_media`) both build on it.

use std::io::Read;

use sha2::{Digest, Sha256};

use crate::bindings::media::MediaLocation;
use crate::bindings::outbound_http::{HttpError, RequestProgress};
use crate::bindings::types::{ChannelError, InvalidField, RetrySchedule, TransportError};
use crate::capabilities::http_client::OpenResponse;

/// Bytes read from the provider at a time.
pub(super) const CHUNK_BYTES: usize = 64 << 10;

/// A second try may well work: a CDN hiccup, or no connection at all.
const RETRY: RetrySchedule = RetrySchedule { first_delay_ms: 1_000, multiplier: 2, not_before_ms: None };

/// A received file, whole and verified.
#[derive(Debug)]
pub struct DownloadedFile {
    pub bytes: Vec<u8>,
    pub mime_type: String,
    /// Lowercase hex SHA-256, as verified.
    pub sha256: String,
}

/// Reads a fetched file whole, checked (tools and tests; servers stream). Blocks.
pub fn read_whole(opened: OpenResponse, location: &MediaLocation) -> Result<DownloadedFile, ChannelError> {
    let mut body = accepted(opened)?;
    let mut check = Check::new(location);
    let mut bytes = Vec::with_capacity(location.size.unwrap_or(0).min(16 << 20) as usize);
    let mut chunk = vec![0u8; CHUNK_BYTES];
    loop {
        let n = body.read(&mut chunk).map_err(|e| broken(&e))?;
        if n == 0 {
            break;
        }
        check.update(&chunk[..n])?;
        bytes.extend_from_slice(&chunk[..n]);
    }
    let sha256 = check.finish()?;
    Ok(DownloadedFile { bytes, mime_type: location.mime_type.clone(), sha256 })
}

/// The file's body when the provider served it; its refusal otherwise (the body not quoted:
/// whatever answered is not ours to repeat).
pub(super) fn accepted(opened: OpenResponse) -> Result<Box<dyn Read + Send>, ChannelError> {
    match opened.status {
        200..=299 => Ok(opened.body),
        // Gone or never there: asking again will not help.
        status @ (400..=499) if status != 408 && status != 429 => Err(ChannelError::InvalidRequest(InvalidField {
            field: "media_id".into(),
            reason: format!("the provider's file server answered HTTP {status}"),
        })),
        status => Err(ChannelError::Unreachable(TransportError {
            message: format!("the provider's file server answered HTTP {status}"),
            retry: Some(RETRY),
        })),
    }
}

pub(super) fn broken(error: &std::io::Error) -> ChannelError {
    ChannelError::Unreachable(TransportError {
        message: format!("the file transfer broke off: {error}"),
        retry: Some(RETRY),
    })
}

/// A file checked against the provider's size and SHA-256 as it arrives.
pub(super) struct Check {
    size: Option<u64>,
    sha256: String,
    seen: u64,
    hasher: Sha256,
}

impl Check {
    pub(super) fn new(location: &MediaLocation) -> Self {
        Self { size: location.size, sha256: location.sha256.to_ascii_lowercase(), seen: 0, hasher: Sha256::new() }
    }

    pub(super) fn update(&mut self, chunk: &[u8]) -> Result<(), ChannelError> {
        self.seen += chunk.len() as u64;
        if let Some(size) = self.size
            && self.seen > size
        {
            return Err(ChannelError::Integrity(format!("the provider said {size} bytes, the file has more")));
        }
        self.hasher.update(chunk);
        Ok(())
    }

    /// The verified digest, in hex.
    pub(super) fn finish(self) -> Result<String, ChannelError> {
        if let Some(size) = self.size
            && self.seen != size
        {
            return Err(ChannelError::Integrity(format!("the provider said {size} bytes, the file has {}", self.seen)));
        }
        let digest = hex::encode(self.hasher.finalize());
        if digest != self.sha256 {
            return Err(ChannelError::Integrity("the file's SHA-256 does not match the provider's".into()));
        }
        Ok(digest)
    }
}

/// A failure of the host's own request for a file (an idempotent read: worth another try
/// unless the destination is not allowed at all).
pub fn transport_error(error: HttpError) -> ChannelError {
    let unreachable = |message: String, retry: bool| {
        ChannelError::Unreachable(TransportError { message, retry: retry.then_some(RETRY) })
    };
    match error {
        HttpError::DestinationNotAllowed(destination) => {
            unreachable(format!("the host's egress policy does not allow {destination}"), false)
        }
        HttpError::Timeout(RequestProgress::NotSent) => {
            unreachable("timed out connecting to the file server".into(), true)
        }
        HttpError::Timeout(RequestProgress::MaybeSent) => {
            unreachable("the file server did not answer in time".into(), true)
        }
        HttpError::Connection(failure) => unreachable(format!("the file server: {}", failure.message), true),
        HttpError::BodyTooLarge(limit) => {
            ChannelError::Integrity(format!("the file exceeds the host's {limit}-byte limit"))
        }
        HttpError::Other(message) => ChannelError::Other(message),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::bindings::outbound_http::{Method, Request};

    pub(crate) fn location(file: &[u8], size: Option<u64>) -> MediaLocation {
        MediaLocation {
            request: Request {
                method: Method::Get,
                url: "https://cdn.example/x".into(),
                headers: vec![],
                body: vec![],
                timeout_ms: None,
            },
            mime_type: "application/pdf".into(),
            size,
            sha256: hex::encode(Sha256::digest(file)),
        }
    }

    fn opened(status: u16, body: &[u8]) -> OpenResponse {
        OpenResponse { status, headers: vec![], body: Box::new(std::io::Cursor::new(body.to_vec())) }
    }

    #[test]
    fn read_whole_checks_the_file() {
        let file = b"%PDF-1.7 hello";
        let whole = read_whole(opened(200, file), &location(file, Some(file.len() as u64))).unwrap();
        assert_eq!((whole.bytes.as_slice(), whole.sha256.as_str()), (&file[..], location(file, None).sha256.as_str()));
        assert!(matches!(read_whole(opened(200, b"tampered"), &location(file, None)), Err(ChannelError::Integrity(_))));
    }

    #[test]
    fn a_file_server_refusal_is_permanent_for_gone_files_retryable_for_outages() {
        for (status, permanent) in [(404, true), (410, true), (403, true), (429, false), (500, false), (503, false)] {
            match accepted(opened(status, b"<html>internal page</html>")) {
                Err(ChannelError::InvalidRequest(field)) if permanent => {
                    assert!(!field.reason.contains("internal page"))
                }
                Err(ChannelError::Unreachable(TransportError { retry: Some(_), message })) if !permanent => {
                    assert!(!message.contains("internal page"))
                }
                Err(other) => panic!("{status}: {other:?}"),
                Ok(_) => panic!("{status} accepted"),
            }
        }
    }
}
