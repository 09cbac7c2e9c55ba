//! `multipart/form-data` bodies (RFC 7578) for media uploads.

use sha2::{Digest, Sha256};

/// The file part of a form.
pub struct FilePart<'a> {
    pub name: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

/// Builds a form of text fields and one file; returns the `Content-Type` header value and the
/// body.
///
/// The boundary is derived from the file's SHA-256 (the plugin has no randomness): a file would
/// have to contain its own hash to collide with it.
pub fn form(fields: &[(&str, &str)], file: &FilePart<'_>) -> (String, Vec<u8>) {
    let digest = Sha256::digest(file.bytes);
    let boundary = format!("omni-whatsapp-{}", hex::encode(&digest[..16]));
    let mut body = Vec::with_capacity(file.bytes.len() + 512);
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n", quoted(name)).as_bytes(),
        );
        body.extend_from_slice(value.as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            quoted(file.name),
            quoted(file.filename),
            file.content_type.replace(['\r', '\n'], "")
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A value safe inside a quoted header parameter.
fn quoted(value: &str) -> String {
    value.chars().map(|c| if matches!(c, '"' | '\\' | '\r' | '\n') { '_' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_well_formed_form() {
        let file = FilePart { name: "file", filename: "a\"b.jpg", content_type: "image/jpeg", bytes: b"\xff\xd8JPEG" };
        let (content_type, body) = form(&[("messaging_product", "whatsapp"), ("type", "image/jpeg")], &file);
        let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"messaging_product\"\r\n\r\nwhatsapp\r\n"
        )));
        assert!(text.contains("filename=\"a_b.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"));
        assert!(body.ends_with(format!("\r\n--{boundary}--\r\n").as_bytes()));
        assert_eq!(text.matches(&format!("--{boundary}")).count(), 4);
    }
}
