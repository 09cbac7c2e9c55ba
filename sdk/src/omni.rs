//! omni's `OutgoingMessage` (JSON), read for a channel that sends text: what
//! [`Channel::decode_outgoing`](crate::Channel::decode_outgoing) does unless a channel decodes
//! richer content itself. `{to, content: {type: "text", text}, replyTo?, metadata?: {correlationId?}}`.

use serde_json::Value;

use crate::contract::messaging::{Content, DecodedMessage, MessagePart, OutgoingMessage, TextContent};
use crate::contract::types::InvalidField;

fn invalid(field: &str, reason: &str) -> InvalidField {
    InvalidField { field: field.into(), reason: reason.into() }
}

/// Decodes a text message; any other content is refused, naming `content.type`.
pub fn decode_text(message: &str) -> Result<DecodedMessage, InvalidField> {
    let value: Value = serde_json::from_str(message).map_err(|e| invalid("", &format!("not valid JSON: {e}")))?;
    let text =
        |v: &Value, field: &str| v.as_str().map(str::to_owned).ok_or_else(|| invalid(field, "a string is required"));
    let to = text(&value["to"], "to")?;
    if value["content"]["type"] != "text" {
        return Err(invalid("content.type", "this channel sends text only"));
    }
    let body = text(&value["content"]["text"], "content.text")?;
    let reply_to = value.get("replyTo").map(|v| text(v, "replyTo")).transpose()?;
    let correlation_id =
        value["metadata"].get("correlationId").map(|v| text(v, "metadata.correlationId")).transpose()?;
    let content = Content::Text(TextContent { body, preview_url: false });
    let message = OutgoingMessage { to, content, reply_to, callback_data: None, identity_key_hash: None };
    Ok(DecodedMessage { parts: vec![MessagePart { message, uploads_file: false }], correlation_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_message_is_one_part() {
        let decoded =
            decode_text(r#"{"to":"u1","content":{"type":"text","text":"hi"},"metadata":{"correlationId":"c"}}"#)
                .unwrap();
        assert_eq!(decoded.correlation_id.as_deref(), Some("c"));
        let [part] = decoded.parts.as_slice() else { panic!("one part") };
        assert_eq!(part.message.to, "u1");
        assert_eq!(part.message.content, Content::Text(TextContent { body: "hi".into(), preview_url: false }));
    }

    #[test]
    fn other_content_and_bad_fields_are_named() {
        let field = |json: &str| decode_text(json).unwrap_err().field;
        assert_eq!(field(r#"{"to":"u","content":{"type":"image"}}"#), "content.type");
        assert_eq!(field(r#"{"to":1,"content":{"type":"text","text":"x"}}"#), "to");
        assert_eq!(field(r#"{"to":"u","content":{"type":"text"}}"#), "content.text");
        assert_eq!(field("nope"), "");
    }
}
