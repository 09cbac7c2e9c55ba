//! The content kinds omni has no shape for, under the names this channel documents: full
//! contact cards and interactive messages (templates: `template.rs`).

use crate::wit::interactive::{
    AddressRequest, CardAction, CtaUrl, InteractiveAction, InteractiveHeader, ListMenu, ListRow, ListSection,
    MediaCard, ReplyButton, SavedAddress, VoiceCallButton,
};
use crate::wit::message_parts::{
    ContactAddress, ContactEmail, ContactName, ContactOrg, ContactPhone, ContactUrl, HeaderMedia, MediaSource,
};
use crate::wit::messaging::{ContactCard, InteractiveContent};
use crate::wit::types::{InvalidField, MediaKind};
use omni_channel_sdk::omni::reader::{Fields, invalid};

/// `contacts: [{name: {formattedName, ...}, phones, emails, addresses, org, urls, birthday}]`.
pub fn cards(content: &mut Fields<'_>) -> Result<Vec<ContactCard>, InvalidField> {
    content.objects("contacts")?.into_iter().map(card).collect()
}

fn card(mut card: Fields<'_>) -> Result<ContactCard, InvalidField> {
    let mut name = card.object("name")?;
    let decoded_name = ContactName {
        formatted_name: name.str("formattedName")?,
        first_name: name.opt_str("firstName")?,
        last_name: name.opt_str("lastName")?,
        middle_name: name.opt_str("middleName")?,
        prefix: name.opt_str("prefix")?,
        suffix: name.opt_str("suffix")?,
    };
    name.finish()?;
    let phones = labelled(&mut card, "phones", |mut p| {
        let phone = ContactPhone { phone: p.str("phone")?, label: p.opt_str("type")?, wa_id: p.opt_str("waId")? };
        p.finish().map(|()| phone)
    })?;
    let emails = labelled(&mut card, "emails", |mut e| {
        let email = ContactEmail { email: e.str("email")?, label: e.opt_str("type")? };
        e.finish().map(|()| email)
    })?;
    let urls = labelled(&mut card, "urls", |mut u| {
        let url = ContactUrl { url: u.str("url")?, label: u.opt_str("type")? };
        u.finish().map(|()| url)
    })?;
    let addresses = labelled(&mut card, "addresses", |mut a| {
        let address = ContactAddress {
            street: a.opt_str("street")?,
            city: a.opt_str("city")?,
            state: a.opt_str("state")?,
            zip: a.opt_str("zip")?,
            country: a.opt_str("country")?,
            country_code: a.opt_str("countryCode")?,
            label: a.opt_str("type")?,
        };
        a.finish().map(|()| address)
    })?;
    let org = match card.opt_object("org")? {
        None => None,
        Some(mut o) => {
            let org = ContactOrg {
                company: o.opt_str("company")?,
                department: o.opt_str("department")?,
                title: o.opt_str("title")?,
            };
            o.finish()?;
            Some(org)
        }
    };
    let decoded =
        ContactCard { name: decoded_name, phones, emails, addresses, org, urls, birthday: card.opt_str("birthday")? };
    card.finish()?;
    Ok(decoded)
}

fn labelled<T>(
    card: &mut Fields<'_>,
    key: &str,
    read: impl Fn(Fields<'_>) -> Result<T, InvalidField>,
) -> Result<Vec<T>, InvalidField> {
    card.objects(key)?.into_iter().map(read).collect()
}

/// `{type: image|video|document, mediaUrl | mediaId, filename?}` in a header.
pub(super) fn header_media(kind: &str, fields: &mut Fields<'_>) -> Result<HeaderMedia, InvalidField> {
    let kind = match kind {
        "image" => MediaKind::Image,
        "video" => MediaKind::Video,
        _ => MediaKind::Document,
    };
    let source = match (fields.opt_str("mediaUrl")?, fields.opt_str("mediaId")?) {
        (Some(url), None) => MediaSource::Link(url),
        (None, Some(id)) => MediaSource::Id(id),
        (Some(_), Some(_)) => {
            return Err(invalid(&fields.path_of("mediaId"), "give `mediaUrl` or `mediaId`, not both"));
        }
        (None, None) => {
            return Err(invalid(&fields.path_of("mediaUrl"), "header media needs a `mediaUrl` or a `mediaId`"));
        }
    };
    let filename = fields.opt_str("filename")?;
    // As on messages, a file name means something on documents only.
    Ok(HeaderMedia { kind, source, filename: filename.filter(|_| kind == MediaKind::Document) })
}

/// `interactive: {header?, body, footer?, action: {type: buttons|list|cta_url|carousel|location_request|
/// request_contact_info|call_permission_request|voice_call|address, ...}}`.
pub fn interactive(mut interactive: Fields<'_>) -> Result<InteractiveContent, InvalidField> {
    let header = match interactive.opt_object("header")? {
        None => None,
        Some(mut header) => {
            let kind = header.str("type")?;
            let decoded = match kind.as_str() {
                "text" => InteractiveHeader::Text(header.str("text")?),
                "image" | "video" | "document" => InteractiveHeader::Media(header_media(&kind, &mut header)?),
                other => {
                    return Err(invalid(
                        &header.path_of("type"),
                        format!("`{other}` is not text, image, video or document"),
                    ));
                }
            };
            header.finish()?;
            Some(decoded)
        }
    };
    let body = interactive.str("body")?;
    let footer = interactive.opt_str("footer")?;
    let action = action(interactive.object("action")?)?;
    interactive.finish()?;
    Ok(InteractiveContent { header, body, footer, action })
}

/// `{field: "text", ...}`: an object whose values are all strings, as pairs in its order.
fn string_pairs(fields: &mut Fields<'_>, key: &str) -> Result<Vec<(String, String)>, InvalidField> {
    let path = fields.path_of(key);
    let Some(value) = fields.value(key) else { return Ok(Vec::new()) };
    let Some(object) = value.as_object() else {
        return Err(invalid(&path, "an object of texts"));
    };
    object
        .iter()
        .map(|(name, value)| match value.as_str() {
            Some(text) => Ok((name.clone(), text.to_owned())),
            None => Err(invalid(&format!("{path}.{name}"), "a text")),
        })
        .collect()
}

fn reply_buttons(fields: &mut Fields<'_>) -> Result<Vec<ReplyButton>, InvalidField> {
    fields
        .objects("buttons")?
        .into_iter()
        .map(|mut b| {
            let button = ReplyButton { id: b.str("id")?, title: b.str("title")? };
            b.finish().map(|()| button)
        })
        .collect()
}

/// One card of an interactive carousel: `{header: {type: image|video, mediaUrl | mediaId},
/// body?, action: {type: cta_url, displayText, url} | {type: buttons, buttons: [{id, title}]}}`.
fn media_card(mut card: Fields<'_>) -> Result<MediaCard, InvalidField> {
    let mut header = card.object("header")?;
    let kind = header.str("type")?;
    if !matches!(kind.as_str(), "image" | "video") {
        return Err(invalid(&header.path_of("type"), format!("`{kind}` is not image or video")));
    }
    let media = header_media(&kind, &mut header)?;
    header.finish()?;
    let body = card.opt_str("body")?;
    let mut action = card.object("action")?;
    let kind = action.str("type")?;
    let decoded = match kind.as_str() {
        "cta_url" => CardAction::CtaUrl(CtaUrl { display_text: action.str("displayText")?, url: action.str("url")? }),
        "buttons" => CardAction::Buttons(reply_buttons(&mut action)?),
        other => return Err(invalid(&action.path_of("type"), format!("`{other}` is not cta_url or buttons"))),
    };
    action.finish()?;
    card.finish()?;
    Ok(MediaCard { header: media, body, action: decoded })
}

fn action(mut action: Fields<'_>) -> Result<InteractiveAction, InvalidField> {
    let kind = action.str("type")?;
    let decoded = match kind.as_str() {
        "buttons" => InteractiveAction::Buttons(reply_buttons(&mut action)?),
        "list" => {
            let button = action.str("button")?;
            let sections = action
                .objects("sections")?
                .into_iter()
                .map(|mut s| {
                    let title = s.opt_str("title")?;
                    let rows = s
                        .objects("rows")?
                        .into_iter()
                        .map(|mut r| {
                            let row = ListRow {
                                id: r.str("id")?,
                                title: r.str("title")?,
                                description: r.opt_str("description")?,
                            };
                            r.finish().map(|()| row)
                        })
                        .collect::<Result<_, _>>()?;
                    s.finish().map(|()| ListSection { title, rows })
                })
                .collect::<Result<_, _>>()?;
            InteractiveAction::List(ListMenu { button, sections })
        }
        "cta_url" => {
            InteractiveAction::CtaUrl(CtaUrl { display_text: action.str("displayText")?, url: action.str("url")? })
        }
        "location_request" => InteractiveAction::LocationRequest,
        "carousel" => {
            InteractiveAction::Carousel(action.objects("cards")?.into_iter().map(media_card).collect::<Result<_, _>>()?)
        }
        "request_contact_info" => InteractiveAction::ContactRequest,
        "call_permission_request" => InteractiveAction::CallPermissionRequest,
        "voice_call" => InteractiveAction::VoiceCall(VoiceCallButton {
            display_text: action.opt_str("displayText")?,
            ttl_minutes: action.opt_int("ttlMinutes")?,
            payload: action.opt_str("payload")?,
        }),
        "address" => InteractiveAction::Address(AddressRequest {
            country: action.str("country")?,
            values: string_pairs(&mut action, "values")?,
            validation_errors: string_pairs(&mut action, "validationErrors")?,
            saved_addresses: action
                .objects("savedAddresses")?
                .into_iter()
                .map(|mut saved| {
                    let address = SavedAddress { id: saved.str("id")?, fields: string_pairs(&mut saved, "values")? };
                    saved.finish().map(|()| address)
                })
                .collect::<Result<_, _>>()?,
        }),
        other => {
            return Err(invalid(
                &action.path_of("type"),
                format!(
                    "`{other}` is not buttons, list, cta_url, carousel, location_request, request_contact_info, \
                     call_permission_request, voice_call or address"
                ),
            ));
        }
    };
    action.finish()?;
    Ok(decoded)
}
