//! The MIME type of a file from its first bytes, for files omni sends without one (base64
//! media without `mimeType`). WhatsApp refuses uploads declared `application/octet-stream`, so
//! guessing from the content is better than declaring nothing — and only the types WhatsApp
//! accepts need recognising.

use crate::contract::types::MediaKind;

/// Signatures at the start of a file: (offset, bytes, MIME type).
const SIGNATURES: &[(usize, &[u8], &str)] = &[
    (0, b"\xFF\xD8\xFF", "image/jpeg"),
    (0, b"\x89PNG\r\n\x1A\n", "image/png"),
    (0, b"OggS", "audio/ogg"),
    (0, b"#!AMR", "audio/amr"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"%PDF-", "application/pdf"),
];

/// The MIME type `bytes` look like, when WhatsApp accepts it for `kind`.
pub fn mime_type(bytes: &[u8], kind: MediaKind) -> Option<&'static str> {
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    // ISO media files (MP4, 3GPP, M4A) have `ftyp` and a brand at offset 4.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        return Some(match kind {
            MediaKind::Audio => "audio/mp4",
            _ if brand.starts_with(b"3g") => "video/3gpp",
            _ => "video/mp4",
        });
    }
    // MPEG audio frames and ADTS AAC start with a sync word.
    if bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0 {
        return Some(if bytes[1] & 0x06 == 0 { "audio/aac" } else { "audio/mpeg" });
    }
    SIGNATURES
        .iter()
        .find(|(offset, signature, _)| bytes.get(*offset..offset + signature.len()) == Some(signature))
        .map(|(_, _, mime)| *mime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_what_whatsapp_accepts() {
        assert_eq!(mime_type(b"\xFF\xD8\xFF\xE0\0\x10JFIF", MediaKind::Image), Some("image/jpeg"));
        assert_eq!(mime_type(b"\x89PNG\r\n\x1A\n\0\0", MediaKind::Image), Some("image/png"));
        assert_eq!(mime_type(b"RIFF\x10\0\0\0WEBPVP8 ", MediaKind::Sticker), Some("image/webp"));
        assert_eq!(mime_type(b"OggS\0\x02", MediaKind::Audio), Some("audio/ogg"));
        assert_eq!(mime_type(b"\0\0\0\x18ftypmp42", MediaKind::Video), Some("video/mp4"));
        assert_eq!(mime_type(b"\0\0\0\x18ftyp3gp4", MediaKind::Video), Some("video/3gpp"));
        assert_eq!(mime_type(b"\0\0\0\x18ftypM4A ", MediaKind::Audio), Some("audio/mp4"));
        assert_eq!(mime_type(b"ID3\x04\0", MediaKind::Audio), Some("audio/mpeg"));
        assert_eq!(mime_type(b"\xFF\xFB\x90\x64", MediaKind::Audio), Some("audio/mpeg"));
        assert_eq!(mime_type(b"\xFF\xF1\x50\x80", MediaKind::Audio), Some("audio/aac"));
        assert_eq!(mime_type(b"%PDF-1.7", MediaKind::Document), Some("application/pdf"));
        assert_eq!(mime_type(b"#!AMR\n", MediaKind::Audio), Some("audio/amr"));
    }

    #[test]
    fn unknown_or_short_content_is_not_guessed() {
        assert_eq!(mime_type(b"hello world", MediaKind::Document), None);
        assert_eq!(mime_type(b"", MediaKind::Image), None);
        assert_eq!(mime_type(b"RIFF", MediaKind::Image), None);
    }
}
