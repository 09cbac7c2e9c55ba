//! omni's `content`, by omni content type, → WIT content.

use base64::Engine as _;
use omni_channel_sdk::omni::reader::{Fields, invalid};
use omni_channel_sdk::omni::{sniff, split};

use super::location::location;
use super::{File, Metadata, markdown, pointer_path, rich, template};
use crate::constants::MAX_TEXT_CHARS;
use crate::wit::message_parts::{ContactEmail, ContactName, ContactOrg, ContactPhone, InlineMedia, MediaSource};
use crate::wit::messaging::{ContactCard, Content, MediaContent, ReactionContent, TextContent};
use crate::wit::types::{InvalidField, MediaKind};

/// What the content decodes to: one content per message to send, and the message quoted.
pub struct Decoded {
    pub contents: Vec<Content>,
    pub reply_to: Option<String>,
}

/// omni content types that WhatsApp's Cloud API has no message for.
const UNSENDABLE: &[&str] =
    &["poll", "poll_update", "event", "live_location", "product", "pix", "edit", "delete", "unknown"];

pub fn decode(
    mut content: Fields<'_>,
    metadata: &Metadata,
    file: Option<File>,
    reply_to: Option<String>,
) -> Result<Decoded, InvalidField> {
    let content_type = content.str("type")?;
    let kind = media_kind(&content_type);
    if let Some(file) = &file
        && kind.is_none()
    {
        return Err(invalid(&pointer_path(&file.pointer), format!("a {content_type} message carries no file")));
    }
    let one = |c: Content| Ok(vec![c]);
    let mut reply_to = reply_to;
    let contents = match (content_type.as_str(), kind) {
        ("text", _) => text(&mut content, metadata.convert_markdown),
        (_, Some(kind)) => one(Content::Media(media(&mut content, kind, metadata, file)?)),
        ("location", _) => one(Content::Location(location(content.object("location")?)?)),
        ("contact", _) => one(Content::Contacts(vec![contact(content.object("contact")?)?])),
        ("contacts", _) => one(Content::Contacts(rich::cards(&mut content)?)),
        ("reaction", _) => {
            // omni's Discord convention: without `targetMessageId`, `replyTo` is the target.
            let target = match content.opt_str("targetMessageId")? {
                Some(target) => target,
                None => reply_to
                    .take()
                    .ok_or_else(|| invalid("content.targetMessageId", "a reaction needs the message it reacts to"))?,
            };
            let emoji = content.opt_str("emoji")?;
            one(Content::Reaction(ReactionContent { message_id: target, emoji }))
        }
        ("template", _) => one(Content::Template(template::template(content.object("template")?)?)),
        ("interactive", _) => one(Content::Interactive(rich::interactive(content.object("interactive")?)?)),
        (other, _) if UNSENDABLE.contains(&other) => {
            Err(invalid("content.type", format!("the WhatsApp Cloud API cannot send `{other}` messages")))
        }
        (other, _) => Err(invalid("content.type", format!("`{other}` is not an omni content type"))),
    }?;
    content.finish()?;
    Ok(Decoded { contents, reply_to })
}

/// omni's media content types.
fn media_kind(content_type: &str) -> Option<MediaKind> {
    crate::media_rules::kind_named(content_type)
}

/// Text — Markdown converted to WhatsApp's formatting unless omni says `passthrough` — split
/// into several messages when it is longer than WhatsApp allows.
fn text(content: &mut Fields<'_>, convert_markdown: bool) -> Result<Vec<Content>, InvalidField> {
    let body = content.str("text")?;
    if body.trim().is_empty() {
        return Err(invalid("content.text", "must not be empty"));
    }
    let body = if convert_markdown { markdown::to_whatsapp(&body) } else { body };
    let preview_url = content.opt_bool("previewUrl")?.unwrap_or(false);
    Ok(split::split(&body, MAX_TEXT_CHARS)
        .into_iter()
        .map(|body| Content::Text(TextContent { body, preview_url }))
        .collect())
}

/// Media by URL, by uploaded id, by base64 or by raw bytes (an attachment).
fn media(
    content: &mut Fields<'_>,
    kind: MediaKind,
    metadata: &Metadata,
    file: Option<File>,
) -> Result<MediaContent, InvalidField> {
    let url = content.opt_str("mediaUrl")?;
    let id = content.opt_str("mediaId")?;
    let mime_type = content.opt_str("mimeType")?;
    let filename = content.opt_str("filename")?;
    let captionable = matches!(kind, MediaKind::Image | MediaKind::Video | MediaKind::Document);
    // omni's `text` is the caption of media that can have one; on audio and stickers it has
    // nowhere to go.
    let text = content.opt_str("text")?;
    let caption = content.opt_str("caption")?.or(text.filter(|_| captionable));
    let voice = match kind {
        MediaKind::Audio => metadata.ptt || content.opt_bool("voice")?.unwrap_or(false),
        // Only an explicit `voice` is refused by the send path; omni's `ptt` on other media
        // is a flag with nothing to do.
        _ => content.opt_bool("voice")?.unwrap_or(false),
    };

    let mut given: Vec<(&str, MediaSource)> = Vec::new();
    if let Some(url) = url {
        given.push(("content.mediaUrl", MediaSource::Link(url)));
    }
    if let Some(id) = id {
        given.push(("content.mediaId", MediaSource::Id(id)));
    }
    if let Some(encoded) = &metadata.base64 {
        let (declared, bytes) = base64_file(encoded)?;
        let mime = mime_type.clone().or(declared);
        given.push(("metadata.base64", inline(kind, bytes, mime, "metadata.base64", filename.clone())?));
    }
    let file_path = file.as_ref().map(|f| pointer_path(&f.pointer));
    if let (Some(file), Some(path)) = (file, file_path.as_deref()) {
        given.push((path, inline(kind, file.bytes, mime_type.clone(), path, filename.clone())?));
    }
    let mut given = given.into_iter();
    let Some((_, source)) = given.next() else {
        return Err(invalid(
            "content.mediaUrl",
            "media needs a `mediaUrl`, a `mediaId`, `metadata.base64` or the file's bytes",
        ));
    };
    if let Some((second, _)) = given.next() {
        return Err(invalid(second, "give the file one way only: a URL, an id, base64 or bytes"));
    }
    Ok(MediaContent {
        kind,
        source,
        caption,
        // WhatsApp shows a file name under documents only; on other media omni's `filename`
        // only names the upload.
        filename: filename.filter(|_| kind == MediaKind::Document),
        voice,
    })
}

/// The bytes of a base64 file, and the MIME type of a `data:` URL.
fn base64_file(encoded: &str) -> Result<(Option<String>, Vec<u8>), InvalidField> {
    let (declared, data) = match encoded.strip_prefix("data:").and_then(|rest| rest.split_once(',')) {
        Some((header, data)) => {
            let mime = header.strip_suffix(";base64").unwrap_or(header);
            (Some(mime.to_owned()).filter(|m| !m.is_empty()), data)
        }
        None => (None, encoded),
    };
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::general_purpose::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(compact.trim_end_matches('=')))
        .map_err(|e| invalid("metadata.base64", format!("is not valid base64: {e}")))?;
    Ok((declared, bytes))
}

/// A file carried in the message, with its MIME type: given, or recognised from its bytes.
fn inline(
    kind: MediaKind,
    bytes: Vec<u8>,
    mime_type: Option<String>,
    field: &str,
    filename: Option<String>,
) -> Result<MediaSource, InvalidField> {
    let mime_type = match mime_type {
        Some(mime) => mime,
        None => sniff::mime_type(&bytes, kind).map(str::to_owned).ok_or_else(|| {
            invalid(
                "content.mimeType",
                format!("the file in `{field}` is of no type WhatsApp accepts: give its `mimeType`"),
            )
        })?,
    };
    Ok(MediaSource::Bytes(InlineMedia { bytes, mime_type, filename }))
}

/// omni's one contact: `{name, phone?, email?, organization?}`.
fn contact(mut contact: Fields<'_>) -> Result<ContactCard, InvalidField> {
    let card = ContactCard {
        name: ContactName {
            formatted_name: contact.str("name")?,
            first_name: None,
            last_name: None,
            middle_name: None,
            prefix: None,
            suffix: None,
        },
        phones: contact
            .opt_str("phone")?
            .map(|phone| ContactPhone { phone, label: None, wa_id: None })
            .into_iter()
            .collect(),
        emails: contact.opt_str("email")?.map(|email| ContactEmail { email, label: None }).into_iter().collect(),
        addresses: Vec::new(),
        org: contact.opt_str("organization")?.map(|company| ContactOrg {
            company: Some(company),
            department: None,
            title: None,
        }),
        urls: Vec::new(),
        birthday: None,
    };
    contact.finish()?;
    Ok(card)
}
