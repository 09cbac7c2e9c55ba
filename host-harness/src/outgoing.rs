//! omni's `OutgoingMessage` as JSON → the WIT `outgoing-message`.
//!
//! omni's own content types (`text`, `image`, `video`, `audio`, `document`, `sticker`,
//! `location`, `contact`, `reaction`) keep omni's field names (`text`, `mediaUrl`, `caption`,
//! `filename`, `emoji`, `targetMessageId`, `location {lat, lng, name, address}`, `contact
//! {name, phone, email}`). What omni lacks is added under documented names: `mediaId`
//! (uploaded media), `previewUrl`, `contacts` (full cards), `template` and `interactive`. The
//! README shows one example per kind. Structure is checked here; WhatsApp's rules (lengths,
//! counts, allowed combinations) are the plugin's to check, so they hold for every host.

use serde::Deserialize;

use crate::bindings::messaging::{
    ButtonKind, ContactAddress, ContactCard, ContactEmail, ContactName, ContactOrg, ContactPhone, ContactUrl, Content,
    CtaUrl, Currency, DateTime, HeaderMedia, InteractiveAction, InteractiveContent, InteractiveHeader, ListMenu,
    ListRow, ListSection, LocationContent, MediaContent, MediaSource, OutgoingMessage, ParameterValue, ReactionContent,
    ReplyButton, TemplateButton, TemplateComponent, TemplateContent, TemplateParameter, TextContent,
};
use crate::bindings::types::MediaKind;

/// An omni outgoing message.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OmniOutgoing {
    /// Phone number (any notation), omni chat id or BSUID.
    pub to: String,
    pub content: OmniContent,
    /// The wamid this message replies to.
    #[serde(default)]
    pub reply_to: Option<String>,
    /// `biz_opaque_callback_data`, echoed in this message's status webhooks.
    #[serde(default)]
    pub callback_data: Option<String>,
    /// omni's free-form metadata; `metadata.correlationId` becomes the send's correlation id.
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

/// Where media comes from: `mediaUrl` (omni's field, a public link) or `mediaId` (uploaded).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OmniMedia {
    #[serde(default)]
    pub media_url: Option<String>,
    #[serde(default)]
    pub media_id: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub filename: Option<String>,
    /// Accepted for compatibility with omni; Meta reads the type from the file itself.
    #[serde(default)]
    pub mime_type: Option<String>,
}

/// omni's location: `{lat, lng, name?, address?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OmniLocation {
    pub lat: f64,
    pub lng: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

/// omni's single contact: `{name, phone?, email?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OmniContact {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// What a message says, by omni content type.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum OmniContent {
    Text {
        text: String,
        #[serde(default)]
        preview_url: bool,
    },
    Image(OmniMedia),
    Video(OmniMedia),
    Audio(OmniMedia),
    Document(OmniMedia),
    Sticker(OmniMedia),
    Location {
        location: OmniLocation,
    },
    /// omni's one-contact form.
    Contact {
        contact: OmniContact,
    },
    /// Full contact cards.
    Contacts {
        contacts: Vec<CardJson>,
    },
    /// A reaction; an absent or empty `emoji` removes it.
    Reaction {
        #[serde(default)]
        emoji: Option<String>,
        target_message_id: String,
    },
    Template {
        template: TemplateJson,
    },
    Interactive {
        interactive: InteractiveJson,
    },
}

/// A full contact card.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CardJson {
    pub name: NameJson,
    #[serde(default)]
    pub phones: Vec<LabelledJson>,
    #[serde(default)]
    pub emails: Vec<LabelledJson>,
    #[serde(default)]
    pub addresses: Vec<AddressJson>,
    #[serde(default)]
    pub org: Option<OrgJson>,
    #[serde(default)]
    pub urls: Vec<LabelledJson>,
    #[serde(default)]
    pub birthday: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NameJson {
    pub formatted_name: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub suffix: Option<String>,
}

/// A phone (`{phone, type?, waId?}`), email (`{email, type?}`) or URL (`{url, type?}`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelledJson {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default, rename = "type")]
    pub label: Option<String>,
    #[serde(default)]
    pub wa_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddressJson {
    #[serde(default)]
    pub street: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub country_code: Option<String>,
    #[serde(default, rename = "type")]
    pub label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgJson {
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

/// `{name, language, components?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateJson {
    pub name: String,
    pub language: String,
    #[serde(default)]
    pub components: Vec<ComponentJson>,
}

/// A template component, by `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum ComponentJson {
    Header { parameters: Vec<ParameterJson> },
    Body { parameters: Vec<ParameterJson> },
    Button { sub_type: ButtonKindJson, index: u32, parameters: Vec<ParameterJson> },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonKindJson {
    QuickReply,
    Url,
    CopyCode,
}

/// A template parameter, by `type`; `parameterName` for templates with named parameters.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum ParameterJson {
    Text {
        text: String,
        #[serde(default)]
        parameter_name: Option<String>,
    },
    Currency {
        currency: CurrencyJson,
        #[serde(default)]
        parameter_name: Option<String>,
    },
    DateTime {
        date_time: DateTimeJson,
        #[serde(default)]
        parameter_name: Option<String>,
    },
    Image(OmniMedia),
    Video(OmniMedia),
    Document(OmniMedia),
    Location {
        location: OmniLocation,
    },
    Payload {
        payload: String,
    },
    CouponCode {
        coupon_code: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CurrencyJson {
    pub fallback_value: String,
    pub code: String,
    /// The amount × 1000 (Meta's `amount_1000`).
    pub amount1000: i64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DateTimeJson {
    pub fallback_value: String,
    #[serde(default)]
    pub day_of_week: Option<u8>,
    #[serde(default)]
    pub year: Option<u32>,
    #[serde(default)]
    pub month: Option<u8>,
    #[serde(default)]
    pub day_of_month: Option<u8>,
    #[serde(default)]
    pub hour: Option<u8>,
    #[serde(default)]
    pub minute: Option<u8>,
    #[serde(default)]
    pub calendar: Option<String>,
}

/// `{header?, body, footer?, action}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractiveJson {
    #[serde(default)]
    pub header: Option<HeaderJson>,
    pub body: String,
    #[serde(default)]
    pub footer: Option<String>,
    pub action: ActionJson,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HeaderJson {
    Text { text: String },
    Image(OmniMedia),
    Video(OmniMedia),
    Document(OmniMedia),
}

/// What the recipient can do, by `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum ActionJson {
    Buttons { buttons: Vec<ButtonJson> },
    List { button: String, sections: Vec<SectionJson> },
    CtaUrl { display_text: String, url: String },
    LocationRequest,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonJson {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionJson {
    #[serde(default)]
    pub title: Option<String>,
    pub rows: Vec<RowJson>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowJson {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
}

impl OmniOutgoing {
    /// Parses the JSON form.
    pub fn from_json(json: &str) -> anyhow::Result<Self> {
        Ok(serde_json::from_str(json)?)
    }

    /// The correlation id omni gave the message, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        self.metadata.as_ref()?.get("correlationId")?.as_str()
    }

    /// The WIT message; fails only on structure the JSON schema cannot express (e.g. both
    /// `mediaUrl` and `mediaId`).
    pub fn to_wit(&self) -> Result<OutgoingMessage, String> {
        Ok(OutgoingMessage {
            to: self.to.clone(),
            content: content(&self.content)?,
            reply_to: self.reply_to.clone(),
            callback_data: self.callback_data.clone(),
        })
    }
}

fn content(content: &OmniContent) -> Result<Content, String> {
    let media = |kind, m: &OmniMedia| -> Result<Content, String> {
        Ok(Content::Media(MediaContent {
            kind,
            source: source(m)?,
            caption: m.caption.clone(),
            filename: m.filename.clone(),
        }))
    };
    Ok(match content {
        OmniContent::Text { text, preview_url } => {
            Content::Text(TextContent { body: text.clone(), preview_url: *preview_url })
        }
        OmniContent::Image(m) => media(MediaKind::Image, m)?,
        OmniContent::Video(m) => media(MediaKind::Video, m)?,
        OmniContent::Audio(m) => media(MediaKind::Audio, m)?,
        OmniContent::Document(m) => media(MediaKind::Document, m)?,
        OmniContent::Sticker(m) => media(MediaKind::Sticker, m)?,
        OmniContent::Location { location: l } => Content::Location(location(l)),
        OmniContent::Contact { contact } => Content::Contacts(vec![ContactCard {
            name: ContactName {
                formatted_name: contact.name.clone(),
                first_name: None,
                last_name: None,
                middle_name: None,
                prefix: None,
                suffix: None,
            },
            phones: contact.phone.iter().map(|p| ContactPhone { phone: p.clone(), label: None, wa_id: None }).collect(),
            emails: contact.email.iter().map(|e| ContactEmail { email: e.clone(), label: None }).collect(),
            addresses: Vec::new(),
            org: None,
            urls: Vec::new(),
            birthday: None,
        }]),
        OmniContent::Contacts { contacts } => Content::Contacts(contacts.iter().map(card).collect::<Result<_, _>>()?),
        OmniContent::Reaction { emoji, target_message_id } => {
            Content::Reaction(ReactionContent { message_id: target_message_id.clone(), emoji: emoji.clone() })
        }
        OmniContent::Template { template } => Content::Template(TemplateContent {
            name: template.name.clone(),
            language: template.language.clone(),
            components: template.components.iter().map(component).collect::<Result<_, _>>()?,
        }),
        OmniContent::Interactive { interactive } => Content::Interactive(self::interactive(interactive)?),
    })
}

fn source(media: &OmniMedia) -> Result<MediaSource, String> {
    match (&media.media_url, &media.media_id) {
        (Some(url), None) => Ok(MediaSource::Link(url.clone())),
        (None, Some(id)) => Ok(MediaSource::Id(id.clone())),
        (Some(_), Some(_)) => Err("give either mediaUrl or mediaId, not both".into()),
        (None, None) => Err("media needs a mediaUrl or a mediaId".into()),
    }
}

fn header_media(kind: MediaKind, media: &OmniMedia) -> Result<HeaderMedia, String> {
    Ok(HeaderMedia { kind, source: source(media)?, filename: media.filename.clone() })
}

fn location(l: &OmniLocation) -> LocationContent {
    LocationContent { latitude: l.lat, longitude: l.lng, name: l.name.clone(), address: l.address.clone() }
}

fn card(card: &CardJson) -> Result<ContactCard, String> {
    let value = |entry: &LabelledJson, what: &str, v: &Option<String>| {
        v.clone().ok_or_else(|| format!("a contact's {what} entry needs `{what}`")).map(|v| (v, entry.label.clone()))
    };
    Ok(ContactCard {
        name: ContactName {
            formatted_name: card.name.formatted_name.clone(),
            first_name: card.name.first_name.clone(),
            last_name: card.name.last_name.clone(),
            middle_name: card.name.middle_name.clone(),
            prefix: card.name.prefix.clone(),
            suffix: card.name.suffix.clone(),
        },
        phones: card
            .phones
            .iter()
            .map(|p| {
                value(p, "phone", &p.phone).map(|(phone, label)| ContactPhone { phone, label, wa_id: p.wa_id.clone() })
            })
            .collect::<Result<_, _>>()?,
        emails: card
            .emails
            .iter()
            .map(|e| value(e, "email", &e.email).map(|(email, label)| ContactEmail { email, label }))
            .collect::<Result<_, _>>()?,
        addresses: card
            .addresses
            .iter()
            .map(|a| ContactAddress {
                street: a.street.clone(),
                city: a.city.clone(),
                state: a.state.clone(),
                zip: a.zip.clone(),
                country: a.country.clone(),
                country_code: a.country_code.clone(),
                label: a.label.clone(),
            })
            .collect(),
        org: card.org.as_ref().map(|o| ContactOrg {
            company: o.company.clone(),
            department: o.department.clone(),
            title: o.title.clone(),
        }),
        urls: card
            .urls
            .iter()
            .map(|u| value(u, "url", &u.url).map(|(url, label)| ContactUrl { url, label }))
            .collect::<Result<_, _>>()?,
        birthday: card.birthday.clone(),
    })
}

fn component(component: &ComponentJson) -> Result<TemplateComponent, String> {
    let parameters = |list: &[ParameterJson]| list.iter().map(parameter).collect::<Result<Vec<_>, _>>();
    Ok(match component {
        ComponentJson::Header { parameters: p } => TemplateComponent::Header(parameters(p)?),
        ComponentJson::Body { parameters: p } => TemplateComponent::Body(parameters(p)?),
        ComponentJson::Button { sub_type, index, parameters: p } => TemplateComponent::Button(TemplateButton {
            kind: match sub_type {
                ButtonKindJson::QuickReply => ButtonKind::QuickReply,
                ButtonKindJson::Url => ButtonKind::Url,
                ButtonKindJson::CopyCode => ButtonKind::CopyCode,
            },
            index: *index,
            parameters: parameters(p)?,
        }),
    })
}

fn parameter(parameter: &ParameterJson) -> Result<TemplateParameter, String> {
    let (name, value) = match parameter {
        ParameterJson::Text { text, parameter_name } => (parameter_name.clone(), ParameterValue::Text(text.clone())),
        ParameterJson::Currency { currency: c, parameter_name } => (
            parameter_name.clone(),
            ParameterValue::Currency(Currency {
                fallback_value: c.fallback_value.clone(),
                code: c.code.clone(),
                amount_thousandths: c.amount1000,
            }),
        ),
        ParameterJson::DateTime { date_time: d, parameter_name } => (
            parameter_name.clone(),
            ParameterValue::DateTime(DateTime {
                fallback_value: d.fallback_value.clone(),
                day_of_week: d.day_of_week,
                year: d.year,
                month: d.month,
                day_of_month: d.day_of_month,
                hour: d.hour,
                minute: d.minute,
                calendar: d.calendar.clone(),
            }),
        ),
        ParameterJson::Image(m) => (None, ParameterValue::Media(header_media(MediaKind::Image, m)?)),
        ParameterJson::Video(m) => (None, ParameterValue::Media(header_media(MediaKind::Video, m)?)),
        ParameterJson::Document(m) => (None, ParameterValue::Media(header_media(MediaKind::Document, m)?)),
        ParameterJson::Location { location: l } => (None, ParameterValue::Location(location(l))),
        ParameterJson::Payload { payload } => (None, ParameterValue::Payload(payload.clone())),
        ParameterJson::CouponCode { coupon_code } => (None, ParameterValue::CouponCode(coupon_code.clone())),
    };
    Ok(TemplateParameter { name, value })
}

fn interactive(i: &InteractiveJson) -> Result<InteractiveContent, String> {
    let header = match &i.header {
        None => None,
        Some(HeaderJson::Text { text }) => Some(InteractiveHeader::Text(text.clone())),
        Some(HeaderJson::Image(m)) => Some(InteractiveHeader::Media(header_media(MediaKind::Image, m)?)),
        Some(HeaderJson::Video(m)) => Some(InteractiveHeader::Media(header_media(MediaKind::Video, m)?)),
        Some(HeaderJson::Document(m)) => Some(InteractiveHeader::Media(header_media(MediaKind::Document, m)?)),
    };
    let action = match &i.action {
        ActionJson::Buttons { buttons } => InteractiveAction::Buttons(
            buttons.iter().map(|b| ReplyButton { id: b.id.clone(), title: b.title.clone() }).collect(),
        ),
        ActionJson::List { button, sections } => InteractiveAction::List(ListMenu {
            button: button.clone(),
            sections: sections
                .iter()
                .map(|s| ListSection {
                    title: s.title.clone(),
                    rows: s
                        .rows
                        .iter()
                        .map(|r| ListRow {
                            id: r.id.clone(),
                            title: r.title.clone(),
                            description: r.description.clone(),
                        })
                        .collect(),
                })
                .collect(),
        }),
        ActionJson::CtaUrl { display_text, url } => {
            InteractiveAction::CtaUrl(CtaUrl { display_text: display_text.clone(), url: url.clone() })
        }
        ActionJson::LocationRequest => InteractiveAction::LocationRequest,
    };
    Ok(InteractiveContent { header, body: i.body.clone(), footer: i.footer.clone(), action })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> OutgoingMessage {
        OmniOutgoing::from_json(json).unwrap().to_wit().unwrap()
    }

    #[test]
    fn omni_text_with_reply_and_correlation() {
        let m = OmniOutgoing::from_json(
            r#"{"to":"+1 555","content":{"type":"text","text":"hi"},"replyTo":"wamid.1","metadata":{"correlationId":"c1"}}"#,
        )
        .unwrap();
        assert_eq!(m.correlation_id(), Some("c1"));
        let wit = m.to_wit().unwrap();
        assert_eq!(wit.reply_to.as_deref(), Some("wamid.1"));
        assert!(matches!(wit.content, Content::Text(TextContent { ref body, preview_url: false }) if body == "hi"));
    }

    #[test]
    fn omni_media_location_and_contact() {
        let m = parse(
            r#"{"to":"1","content":{"type":"document","mediaUrl":"https://x/a.pdf","filename":"a.pdf","mimeType":"application/pdf"}}"#,
        );
        assert!(matches!(
            m.content,
            Content::Media(MediaContent { kind: MediaKind::Document, source: MediaSource::Link(_), .. })
        ));
        let m = parse(r#"{"to":"1","content":{"type":"location","location":{"lat":1.5,"lng":-2.0,"name":"HQ"}}}"#);
        assert!(matches!(m.content, Content::Location(LocationContent { latitude: 1.5, .. })));
        let m = parse(r#"{"to":"1","content":{"type":"contact","contact":{"name":"Ana","phone":"+1 555"}}}"#);
        let Content::Contacts(cards) = m.content else { panic!() };
        assert_eq!((cards[0].name.formatted_name.as_str(), cards[0].phones[0].phone.as_str()), ("Ana", "+1 555"));
    }

    #[test]
    fn templates_and_interactive() {
        let m = parse(
            r#"{"to":"1","content":{"type":"template","template":{"name":"t","language":"en_US","components":[
                {"type":"body","parameters":[{"type":"text","text":"Ana","parameterName":"first_name"},
                    {"type":"currency","currency":{"fallbackValue":"$1","code":"USD","amount1000":1000}}]},
                {"type":"button","subType":"quick_reply","index":0,"parameters":[{"type":"payload","payload":"P"}]}]}}}"#,
        );
        let Content::Template(t) = m.content else { panic!() };
        assert_eq!(t.components.len(), 2);
        let m = parse(
            r#"{"to":"1","content":{"type":"interactive","interactive":{"body":"Pick","action":{"type":"buttons","buttons":[{"id":"a","title":"A"}]}}}}"#,
        );
        assert!(matches!(
            m.content,
            Content::Interactive(InteractiveContent { action: InteractiveAction::Buttons(_), .. })
        ));
    }

    #[test]
    fn structural_mistakes_are_errors() {
        for bad in [
            r#"{"to":"1","content":{"type":"text","text":"hi","colour":1}}"#,
            r#"{"to":"1","content":{"type":"hologram"}}"#,
            r#"{"to":"1","content":{"type":"image"}}"#,
            r#"{"to":"1","content":{"type":"image","mediaUrl":"https://x","mediaId":"1"}}"#,
        ] {
            let parsed = OmniOutgoing::from_json(bad);
            assert!(parsed.is_err() || parsed.unwrap().to_wit().is_err(), "{bad}");
        }
    }
}
