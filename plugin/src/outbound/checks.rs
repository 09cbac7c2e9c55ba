//! Field checks shared by the message builders: each failure names the field, so the caller
//! knows what to fix before anything is sent.

use crate::wit::types::InvalidField;

/// An invalid field.
pub fn invalid(field: &str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field: field.to_owned(), reason: reason.into() }
}

/// Text that must not be blank and must fit `max_chars` characters.
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<(), InvalidField> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    at_most(field, value, max_chars)
}

/// Optional text: when present, as [`text`].
pub fn optional_text(field: &str, value: Option<&str>, max_chars: usize) -> Result<(), InvalidField> {
    value.map_or(Ok(()), |v| text(field, v, max_chars))
}

/// At most `max_chars` characters (Unicode scalar values, as WhatsApp counts them).
pub fn at_most(field: &str, value: &str, max_chars: usize) -> Result<(), InvalidField> {
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(invalid(field, format!("has {chars} characters; WhatsApp allows at most {max_chars}")));
    }
    Ok(())
}

/// An absolute `http(s)://` URL that Meta can fetch.
pub fn http_url(field: &str, value: &str) -> Result<(), InvalidField> {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !value.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(invalid(field, format!("`{value}` is not an absolute http(s) URL"))),
    }
}

/// A count within `range`.
pub fn count(field: &str, n: usize, range: std::ops::RangeInclusive<usize>) -> Result<(), InvalidField> {
    if range.contains(&n) {
        Ok(())
    } else {
        Err(invalid(field, format!("has {n} items; WhatsApp allows {} to {}", range.start(), range.end())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(at_most("f", "ééé", 3).is_ok());
        assert_eq!(at_most("f", "éééé", 3).unwrap_err().field, "f");
    }

    #[test]
    fn urls() {
        assert!(http_url("u", "https://example.com/a.png").is_ok());
        for bad in ["ftp://x", "https://", "https:///x", "example.com", "https://a b"] {
            assert!(http_url("u", bad).is_err(), "{bad}");
        }
    }
}
