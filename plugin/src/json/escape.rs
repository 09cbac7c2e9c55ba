//! Writing JSON scalars exactly as `serde_json` writes them: canonical text hashed into event
//! ids must not depend on which of the two wrote it.

use serde_json::Number;

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes it (so canonical text
/// hashed into event ids does not depend on which of the two wrote it).
pub fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    // Nearly all text needs no escape: a check eight bytes at a time decides, and such text is
    // copied whole.
    let needs_escape = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    if !any_needs_escape(bytes) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    while let Some(offset) = bytes[start..].iter().position(|&b| needs_escape(b)) {
        let i = start + offset;
        out.push_str(&s[start..i]);
        let byte = bytes[i];
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[usize::from(byte >> 4)] as char);
                out.push(HEX[usize::from(byte & 0xf)] as char);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether any byte is a control character, `"` or `\\`: eight bytes at a time (the classic
/// "has a byte less than n / equal to c" bit tricks), which wasm runs as fast as native.
fn any_needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_ne_bytes(chunk.try_into().expect("eight bytes"));
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS != 0;
        if below_space || has_zero(x ^ (ONES * u64::from(b'"'))) || has_zero(x ^ (ONES * u64::from(b'\\'))) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Appends a number as `serde_json` writes it.
pub fn number(out: &mut String, n: &Number) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let all: String = (0u8..0x80).map(char::from).chain("é日本🙏\u{2028}".chars()).collect();
        for s in [all.as_str(), "", "plain", "\"quoted\" \\ back"] {
            let mut ours = String::new();
            write_str(&mut ours, s);
            assert_eq!(ours, serde_json::to_string(s).unwrap());
        }
    }

    #[test]
    fn the_wide_check_finds_every_byte_that_needs_an_escape_wherever_it_is() {
        for byte in 0u8..=255 {
            let naive = byte < 0x20 || byte == b'"' || byte == b'\\';
            for len in [1, 7, 8, 9, 16, 23] {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = byte;
                    assert_eq!(any_needs_escape(&bytes), naive, "byte {byte:#x} at {at} of {len}");
                }
            }
        }
    }
}
