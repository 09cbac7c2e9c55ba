//! omni's WhatsApp chat ids, and the recipient forms the channel accepts.
//!
//! omni's WhatsApp channels name chats by JID: `{phone}@s.whatsapp.net` for a person and
//! `{group-id}@g.us` for a group, so its dispatcher tells direct chats from groups. Users known
//! only by a business-scoped user id (BSUID, e.g. `US.13491208655302741918`) get
//! `{bsuid}@bsuid`: not a phone number, and never mangled by tools that strip non-digits from
//! JIDs without a suffix.

pub const USER_SUFFIX: &str = "@s.whatsapp.net";
pub const GROUP_SUFFIX: &str = "@g.us";
pub const BSUID_SUFFIX: &str = "@bsuid";

/// The chat id of a direct chat with the WhatsApp user `wa_id`.
pub fn user(wa_id: &str) -> String {
    format!("{wa_id}{USER_SUFFIX}")
}

/// The chat id of a direct chat with a user known only by their BSUID.
pub fn bsuid(user_id: &str) -> String {
    format!("{user_id}{BSUID_SUFFIX}")
}

/// The chat id of a group (a `group_id` already given as a chat id is taken as it is).
pub fn group(group_id: &str) -> String {
    let group_id = group_id.strip_suffix(GROUP_SUFFIX).unwrap_or(group_id);
    format!("{group_id}{GROUP_SUFFIX}")
}

/// Who an outgoing message goes to, as the Graph API wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A phone number / wa_id, digits only: `to`.
    Phone(String),
    /// A business-scoped user id: `recipient`.
    UserId(String),
    /// A group: `to` with `recipient_type: group`.
    Group(String),
}

impl Recipient {
    /// The chat id omni uses for this recipient.
    pub fn chat_id(&self) -> String {
        match self {
            Self::Phone(digits) => user(digits),
            Self::UserId(id) => bsuid(id),
            Self::Group(id) => group(id),
        }
    }

    /// The recipient's id without chat-id decoration (omni's `to`).
    pub fn id(&self) -> &str {
        match self {
            Self::Phone(id) | Self::UserId(id) | Self::Group(id) => id,
        }
    }
}

/// Reads a recipient given as a phone number in any usual notation (`+1 (555) 010-0100`), an
/// omni chat id, or a BSUID.
pub fn parse_recipient(to: &str) -> Result<Recipient, String> {
    let to = to.trim();
    if let Some(id) = to.strip_suffix(GROUP_SUFFIX) {
        return group_id(id).map(|id| Recipient::Group(id.to_owned()));
    }
    if let Some(id) = to.strip_suffix(BSUID_SUFFIX) {
        return if is_bsuid(id) {
            Ok(Recipient::UserId(id.to_owned()))
        } else {
            Err(format!("`{id}` is not a business-scoped user id (like US.13491208655302741918)"))
        };
    }
    if let Some(user) = to.strip_suffix(USER_SUFFIX) {
        // Multi-device JIDs carry a device suffix (`123:4@s.whatsapp.net`).
        let phone = user.split(':').next().unwrap_or(user);
        return phone_digits(phone).map(Recipient::Phone);
    }
    if to.contains('@') {
        return Err(format!("`{to}` is not a WhatsApp chat id (expected @s.whatsapp.net, @g.us or @bsuid)"));
    }
    if is_bsuid(to) {
        return Ok(Recipient::UserId(to.to_owned()));
    }
    phone_digits(to).map(Recipient::Phone)
}

/// BSUIDs are a two-letter country code, a dot, then an id (`US.1349...`, `US.ENT.1181...`).
fn is_bsuid(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() > 3
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2] == b'.'
        && bytes[3..].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'.')
}

/// Keeps the digits of a phone number written with `+`, spaces, dashes, dots or parentheses.
fn phone_digits(s: &str) -> Result<String, String> {
    let mut digits = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' | ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(format!("`{s}` is not a phone number, chat id or user id")),
        }
    }
    // E.164 numbers have at most 15 digits; the shortest real ones have 7 or so.
    if (5..=15).contains(&digits.len()) {
        Ok(digits)
    } else {
        Err(format!("`{s}` does not have the 5 to 15 digits of a phone number"))
    }
}

/// A group id as Meta gives them (URL-safe base64-like: letters, digits, `-`, `_`, `=`, `+`),
/// at most 128 characters: it goes into the request body and into omni's chat ids.
fn group_id(id: &str) -> Result<&str, String> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'+'));
    if ok { Ok(id) } else { Err(format!("`{id}` is not a WhatsApp group id")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_any_notation() {
        for input in ["+1 555-010-0100", "15550100100", "+1 (555) 010.0100", " 15550100100 "] {
            assert_eq!(parse_recipient(input), Ok(Recipient::Phone("15550100100".into())), "{input}");
        }
    }

    #[test]
    fn chat_ids_round_trip() {
        for recipient in [
            Recipient::Phone("5511999999999".into()),
            Recipient::Group("Y2FwaV9ncm91cDoxODA1".into()),
            Recipient::UserId("US.13491208655302741918".into()),
        ] {
            assert_eq!(parse_recipient(&recipient.chat_id()), Ok(recipient));
        }
        assert_eq!(parse_recipient("5511999999999:12@s.whatsapp.net"), Ok(Recipient::Phone("5511999999999".into())));
    }

    #[test]
    fn bare_bsuids() {
        assert_eq!(
            parse_recipient("US.ENT.11815799212886844830"),
            Ok(Recipient::UserId("US.ENT.11815799212886844830".into()))
        );
    }

    #[test]
    fn refuses_what_is_not_a_recipient() {
        for input in [
            "",
            "hello",
            "123",
            "1234567890123456",
            "x@lid",
            "@g.us",
            "55 11 abc",
            "x/y@g.us",
            "a b@g.us",
            "../x@bsuid",
        ] {
            assert!(parse_recipient(input).is_err(), "{input} accepted");
        }
    }
}
