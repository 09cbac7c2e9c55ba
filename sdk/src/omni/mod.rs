//! omni's `OutgoingMessage` (JSON): the parts of reading it that no provider decides — a reader
//! that names every field it refuses ([`reader`]), text split to a channel's limit ([`split`]),
//! a file's type from its first bytes ([`sniff`]) — and [`decode_text`], what
//! [`Channel::decode_outgoing`](crate::Channel::decode_outgoing) does unless a channel decodes
//! richer content itself: `{to, content: {type: "text", text}, replyTo?, metadata?: {correlationId?}}`.

pub mod reader;
pub mod sniff;
pub mod split;

use serde_json::Value;

use crate::contract::messaging::{Content, DecodedMessage, MessagePart, OutgoingMessage, TextContent};
use crate::contract::types::InvalidField;
use reader::{Fields, invalid};

/// Decodes a text message, split into parts of at most `max_chars` characters (only the first
/// quotes `replyTo`); any other content is refused, naming `content.type`. omni's `metadata`
/// is read for its `correlationId`; its other fields are omni's business.
pub fn decode_text(message: &str, max_chars: usize) -> Result<DecodedMessage, InvalidField> {
    let value: Value = serde_json::from_str(message).map_err(|e| invalid("", format!("not valid JSON: {e}")))?;
    let mut top = Fields::new("", &value)?;
    let to = top.str("to")?;
    let reply_to = top.opt_str("replyTo")?;
    let correlation_id = match top.opt_object("metadata")? {
        Some(mut metadata) => metadata.opt_str("correlationId")?,
        None => None,
    };
    let mut content = top.object("content")?;
    if content.str("type")? != "text" {
        return Err(invalid("content.type", "this channel sends text only"));
    }
    let text = content.str("text")?;
    let parts = split::split(&text, max_chars)
        .into_iter()
        .enumerate()
        .map(|(i, body)| {
            let content = Content::Text(TextContent { body, preview_url: false });
            let reply_to = if i == 0 { reply_to.clone() } else { None };
            let message =
                OutgoingMessage { to: to.clone(), content, reply_to, callback_data: None, identity_key_hash: None };
            MessagePart { message, uploads_file: false }
        })
        .collect();
    Ok(DecodedMessage { parts, correlation_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_is_one_part() {
        let json = r#"{"to":"u1","content":{"type":"text","text":"hi"},"metadata":{"correlationId":"c"}}"#;
        let decoded = decode_text(json, 100).unwrap();
        assert_eq!(decoded.correlation_id.as_deref(), Some("c"));
        let [part] = decoded.parts.as_slice() else { panic!("one part") };
        assert_eq!(part.message.to, "u1");
        assert_eq!(part.message.content, Content::Text(TextContent { body: "hi".into(), preview_url: false }));
        assert!(!part.uploads_file);
    }

    #[test]
    fn a_long_text_is_split_to_the_channels_limit_and_only_the_first_part_replies() {
        let json = r#"{"to":"u1","content":{"type":"text","text":"one two three four"},"replyTo":"m0"}"#;
        let decoded = decode_text(json, 9).unwrap();
        let bodies: Vec<_> = decoded
            .parts
            .iter()
            .map(|p| match &p.message.content {
                Content::Text(t) => t.body.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(bodies, ["one two", "three", "four"]);
        let replies: Vec<_> = decoded.parts.iter().map(|p| p.message.reply_to.as_deref()).collect();
        assert_eq!(replies, [Some("m0"), None, None]);
    }

    #[test]
    fn other_content_and_bad_fields_are_named() {
        let field = |json: &str| decode_text(json, 100).unwrap_err().field;
        assert_eq!(field(r#"{"to":"u","content":{"type":"image"}}"#), "content.type");
        assert_eq!(field(r#"{"to":1,"content":{"type":"text","text":"x"}}"#), "to");
        assert_eq!(field(r#"{"to":"u","content":{"type":"text"}}"#), "content.text");
        assert_eq!(
            field(r#"{"to":"u","content":{"type":"text","text":"x"},"metadata":{"correlationId":7}}"#),
            "metadata.correlationId"
        );
        assert_eq!(field("nope"), "");
    }
}
