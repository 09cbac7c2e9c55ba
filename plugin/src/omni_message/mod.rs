//! omni's `OutgoingMessage` (JSON) → the WIT messages to send: `messaging.decode-outgoing`.
//!
//! This is the one place omni's message shapes are read, so that `omni-host` and the omni
//! package accept exactly the same messages. omni's own fields keep their names (`text`,
//! `mediaUrl`, `caption`, `filename`, `mimeType`, `emoji`, `targetMessageId`,
//! `location {latitude, longitude}`, `contact {name, phone, email, organization}`) and so do the
//! metadata fields omni's API sets (`base64`, `ptt`, binary values such as `audioBuffer`
//! passed as attachments, `correlationId`). What omni lacks is added under documented names
//! (`mediaId`, `previewUrl`, `voice`, `contacts`, `template`, `interactive`, `callbackData`,
//! `recipientIdentityKeyHash`).
//! Structure is checked here and named by omni's field; WhatsApp's own rules (lengths,
//! counts) are checked by the send path for every host alike.

mod content;
mod location;
mod markdown;
mod rich;
mod template;

use serde_json::Value;

use crate::wit::messaging::{Attachment, DecodedMessage, MessagePart, OutgoingMessage};
use crate::wit::types::InvalidField;
use omni_channel_sdk::omni::reader::{Fields, invalid};

/// Decodes omni's message; `attachments` are its binary values, lifted out by the host.
pub fn decode(json: &str, attachments: Vec<Attachment>) -> Result<DecodedMessage, InvalidField> {
    let value: Value = serde_json::from_str(json).map_err(|e| invalid("", format!("not valid JSON: {e}")))?;
    let mut top = Fields::new("", &value)?;
    let to = top.str("to")?;
    let reply_to = top.opt_str("replyTo")?;
    let callback_data = top.opt_str("callbackData")?;
    let identity_key_hash = top.opt_str("recipientIdentityKeyHash")?;
    let metadata = Metadata::read(top.opt_object("metadata")?)?;
    let content = top.object("content")?;
    top.finish()?;
    let file = attachment(attachments)?;

    let decoded = content::decode(content, &metadata, file, reply_to)?;
    let parts = decoded
        .contents
        .into_iter()
        .enumerate()
        .map(|(i, mut content)| MessagePart {
            uploads_file: crate::outbound::uploads_file(&mut content),
            message: OutgoingMessage {
                to: to.clone(),
                content,
                // Only the first part quotes the message replied to.
                reply_to: if i == 0 { decoded.reply_to.clone() } else { None },
                callback_data: callback_data.clone(),
                identity_key_hash: identity_key_hash.clone(),
            },
        })
        .collect();
    Ok(DecodedMessage { parts, correlation_id: metadata.correlation_id })
}

/// The metadata fields the channel uses; every other one is omni's business and ignored.
#[derive(Default)]
pub(crate) struct Metadata {
    pub correlation_id: Option<String>,
    /// The file as base64 (or a `data:` URL), with its field path.
    pub base64: Option<String>,
    /// omni's voice-note flag.
    pub ptt: bool,
    /// omni's `messageFormatMode`: text is Markdown to convert to WhatsApp's formatting
    /// (`convert`, omni's default), or sent as written (`passthrough`).
    pub convert_markdown: bool,
}

impl Metadata {
    fn read(fields: Option<Fields<'_>>) -> Result<Self, InvalidField> {
        let Some(mut fields) = fields else { return Ok(Self { convert_markdown: true, ..Self::default() }) };
        if fields.has("forward") {
            return Err(invalid("metadata.forward", "the WhatsApp Cloud API cannot forward messages"));
        }
        Ok(Self {
            correlation_id: fields.opt_str("correlationId")?,
            base64: fields.opt_str("base64")?,
            ptt: fields.opt_bool("ptt")?.unwrap_or(false),
            convert_markdown: match fields.opt_str("messageFormatMode")?.as_deref() {
                None | Some("convert") => true,
                Some("passthrough") => false,
                Some(other) => {
                    return Err(invalid(
                        "metadata.messageFormatMode",
                        format!("must be `convert` or `passthrough`, not `{other}`"),
                    ));
                }
            },
        })
    }
}

/// A file lifted out of the message by the host, with where it was.
pub(crate) struct File {
    pub pointer: String,
    pub bytes: Vec<u8>,
}

/// The one file a message may carry.
fn attachment(attachments: Vec<Attachment>) -> Result<Option<File>, InvalidField> {
    let mut files = attachments.into_iter();
    let first = files.next();
    if let Some(second) = files.next() {
        return Err(invalid(&pointer_path(&second.pointer), "a WhatsApp message carries at most one file"));
    }
    Ok(first.map(|a| File { pointer: a.pointer, bytes: a.bytes }))
}

/// A JSON pointer (`/metadata/audioBuffer`) as a field path (`metadata.audioBuffer`).
pub(crate) fn pointer_path(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".").replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests;
