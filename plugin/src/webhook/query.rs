//! `application/x-www-form-urlencoded` query strings.

/// The decoded value of the first `key` parameter, if present and valid UTF-8 once decoded.
pub fn param(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(k)?, v))
        })
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| decode(v))
}

/// Percent-decodes a component, with `+` as space.
fn decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = hex_value(bytes.next()?)?;
                let lo = hex_value(bytes.next()?)?;
                out.push(hi << 4 | lo);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::param;

    #[test]
    fn decodes_parameters() {
        let q = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=a%20b+c%2Bd";
        assert_eq!(param(q, "hub.mode").as_deref(), Some("subscribe"));
        assert_eq!(param(q, "hub.challenge").as_deref(), Some("1158201444"));
        assert_eq!(param(q, "hub.verify_token").as_deref(), Some("a b c+d"));
        assert_eq!(param(q, "missing"), None);
    }

    #[test]
    fn first_value_wins_and_bad_escapes_are_absent() {
        assert_eq!(param("a=1&a=2", "a").as_deref(), Some("1"));
        assert_eq!(param("a=%zz", "a"), None);
        assert_eq!(param("a=%c3", "a"), None);
        assert_eq!(param("a", "a").as_deref(), Some(""));
        assert_eq!(param("", "a"), None);
    }
}
