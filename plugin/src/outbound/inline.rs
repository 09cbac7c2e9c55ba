//! Files carried in the message itself (`media-source.bytes`): checked against WhatsApp's
//! limits, uploaded, then sent by the id Meta returns — all within one send.

use crate::call::Call;
use crate::media;
use crate::wit::interactive::{InteractiveAction, InteractiveHeader};
use crate::wit::media::MediaUpload;
use crate::wit::message_parts::MediaSource;
use crate::wit::messaging::Content;
use crate::wit::templates::{ParameterValue, TemplateComponent, TemplateParameter};
use crate::wit::types::{ChannelError, InvalidField, MediaKind};

/// Whether a message holds a file to upload before it is sent: its send then needs the limits
/// of a media call (`message-part.uploads-file`).
pub fn uploads_file(content: &mut Content) -> bool {
    sources(content).iter().any(|(_, _, source)| matches!(source, MediaSource::Bytes(_)))
}

/// Every media source of a message, with its field name and media kind, in a fixed order.
fn sources(content: &mut Content) -> Vec<(String, MediaKind, &mut MediaSource)> {
    let mut found = Vec::new();
    match content {
        Content::Media(media) => found.push(("content.source".to_owned(), media.kind, &mut media.source)),
        Content::Template(template) => {
            for (i, component) in template.components.iter_mut().enumerate() {
                let field = format!("content.components[{i}]");
                let mut lists: Vec<(String, &mut Vec<TemplateParameter>)> = Vec::new();
                match component {
                    TemplateComponent::Header(p) | TemplateComponent::Body(p) => lists.push((field, p)),
                    TemplateComponent::Button(button) => lists.push((field, &mut button.parameters)),
                    TemplateComponent::Carousel(cards) => {
                        for (c, card) in cards.iter_mut().enumerate() {
                            let card_field = format!("{field}.cards[{c}]");
                            lists.push((format!("{card_field}.header"), &mut card.header));
                            lists.push((format!("{card_field}.body"), &mut card.body));
                            for (b, button) in card.buttons.iter_mut().enumerate() {
                                lists.push((format!("{card_field}.buttons[{b}]"), &mut button.parameters));
                            }
                        }
                    }
                    TemplateComponent::LimitedTimeOffer(_) => {}
                }
                for (field, parameters) in lists {
                    for (j, parameter) in parameters.iter_mut().enumerate() {
                        if let ParameterValue::Media(media) = &mut parameter.value {
                            found.push((format!("{field}.parameters[{j}].source"), media.kind, &mut media.source));
                        }
                    }
                }
            }
        }
        Content::Interactive(interactive) => {
            if let Some(InteractiveHeader::Media(media)) = &mut interactive.header {
                found.push(("content.header.source".to_owned(), media.kind, &mut media.source));
            }
            if let InteractiveAction::Carousel(cards) = &mut interactive.action {
                for (i, card) in cards.iter_mut().enumerate() {
                    found.push((
                        format!("content.cards[{i}].header.source"),
                        card.header.kind,
                        &mut card.header.source,
                    ));
                }
            }
        }
        Content::Text(_) | Content::Location(_) | Content::Contacts(_) | Content::Reaction(_) => {}
    }
    found
}

/// Files waiting to be uploaded, by the position of their source in [`sources`], taken out of a
/// message whose sources now hold placeholder ids.
pub struct PendingUploads(Vec<(usize, MediaUpload)>);

/// Takes every inline file out of `content`, checks it against WhatsApp's type and size limits
/// and leaves a placeholder id in its place, so the message can be validated before anything
/// is uploaded.
pub fn take(content: &mut Content) -> Result<PendingUploads, ChannelError> {
    let mut pending = Vec::new();
    for (position, (field, kind, source)) in sources(content).into_iter().enumerate() {
        if let MediaSource::Bytes(inline) = source {
            let upload = MediaUpload {
                bytes: std::mem::take(&mut inline.bytes),
                mime_type: std::mem::take(&mut inline.mime_type),
                filename: inline.filename.take(),
                kind: Some(kind),
                ttl_minutes: None,
            };
            media::check_upload(&upload).map_err(|e| prefix(&field, e))?;
            // Any well-formed id: the message is validated with it, then it is replaced.
            *source = MediaSource::Id(PLACEHOLDER_ID.to_owned());
            pending.push((position, upload));
        }
    }
    Ok(PendingUploads(pending))
}

impl PendingUploads {
    /// Whether there is nothing to upload.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Uploads the files and puts their media ids where their placeholders are.
    pub fn upload(self, call: &Call<'_>, content: &mut Content) -> Result<(), ChannelError> {
        let mut ids = Vec::with_capacity(self.0.len());
        for (position, upload) in &self.0 {
            ids.push((*position, media::upload_for(call, upload)?));
        }
        let mut sources = sources(content);
        for (position, id) in ids {
            if let Some((_, _, source)) = sources.get_mut(position) {
                **source = MediaSource::Id(id);
            }
        }
        Ok(())
    }
}

/// Stands in for an upload's media id while the message is validated.
const PLACEHOLDER_ID: &str = "0";

/// An upload refusal, named after the message field that carried the file.
fn prefix(field: &str, error: ChannelError) -> ChannelError {
    match error {
        ChannelError::InvalidRequest(InvalidField { field: inner, reason }) => {
            ChannelError::InvalidRequest(InvalidField { field: format!("{field}.{inner}"), reason })
        }
        other => other,
    }
}
