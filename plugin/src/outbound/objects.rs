//! The JSON objects several kinds of message share: a media source, a header's media, a
//! location, and the Graph name of a media kind. A leaf of `outbound`: the body builders use it,
//! it uses none of them.

use serde_json::{Map, Value, json};

use super::checks::{self, invalid};
use crate::wit::message_parts::{HeaderMedia, MediaSource};
use crate::wit::messaging::LocationContent;
use crate::wit::types::{InvalidField, MediaKind};

/// The Graph name of a media kind.
pub fn media_type(kind: MediaKind) -> &'static str {
    crate::media_rules::name(kind)
}

/// `{"id": ...}` or `{"link": ...}`.
pub fn source_object(field: &str, source: &MediaSource) -> Result<Map<String, Value>, InvalidField> {
    let mut object = Map::new();
    match source {
        MediaSource::Id(id) => {
            checks::text(&format!("{field}.id"), id, 128)?;
            object.insert("id".into(), json!(id));
        }
        MediaSource::Link(link) => {
            checks::http_url(&format!("{field}.link"), link)?;
            object.insert("link".into(), json!(link));
        }
        // `send_message` uploads inline files before it builds the body.
        MediaSource::Bytes(_) => {
            return Err(invalid(&format!("{field}.bytes"), "inline files are uploaded by send-message"));
        }
    }
    Ok(object)
}

/// Adds a file name to a media object: documents only (WhatsApp shows it under the file).
pub fn insert_filename(
    object: &mut Map<String, Value>,
    field: &str,
    kind: MediaKind,
    filename: Option<&str>,
) -> Result<(), InvalidField> {
    if let Some(filename) = filename {
        if kind != MediaKind::Document {
            return Err(invalid(field, "only documents have a file name"));
        }
        checks::text(field, filename, 240)?;
        object.insert("filename".into(), json!(filename));
    }
    Ok(())
}

/// The media of a template or interactive header: `{"type": kind, kind: {id | link, filename?}}`.
pub fn header_media_object(field: &str, media: &HeaderMedia) -> Result<Value, InvalidField> {
    if !matches!(media.kind, MediaKind::Image | MediaKind::Video | MediaKind::Document) {
        return Err(invalid(&format!("{field}.kind"), "headers take an image, a video or a document"));
    }
    let kind = media_type(media.kind);
    let mut source = source_object(&format!("{field}.source"), &media.source)?;
    insert_filename(&mut source, &format!("{field}.filename"), media.kind, media.filename.as_deref())?;
    let mut object = Map::new();
    object.insert("type".into(), json!(kind));
    object.insert(kind.into(), Value::Object(source));
    Ok(Value::Object(object))
}

/// `{latitude, longitude, name?, address?}`, coordinates in range.
pub fn location_object(field: &str, location: &LocationContent) -> Result<Value, InvalidField> {
    if !(location.latitude.is_finite() && (-90.0..=90.0).contains(&location.latitude)) {
        return Err(invalid(&format!("{field}.latitude"), "must be between -90 and 90"));
    }
    if !(location.longitude.is_finite() && (-180.0..=180.0).contains(&location.longitude)) {
        return Err(invalid(&format!("{field}.longitude"), "must be between -180 and 180"));
    }
    let mut object = json!({ "latitude": location.latitude, "longitude": location.longitude });
    for (key, value) in [("name", &location.name), ("address", &location.address)] {
        if let Some(value) = value {
            checks::text(&format!("{field}.{key}"), value, 1000)?;
            object[key] = json!(value);
        }
    }
    Ok(object)
}
