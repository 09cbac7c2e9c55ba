//! omni's `location {latitude, longitude, name?, address?}`, which a message's content and a
//! template's parameters both carry. A leaf: the content readers use it, it uses none of them.

use crate::wit::messaging::LocationContent;
use crate::wit::types::InvalidField;
use omni_channel_sdk::omni::reader::{Fields, invalid};

/// `{latitude, longitude, name?, address?}`; omni's older `{lat, lng}` too.
pub fn location(mut location: Fields<'_>) -> Result<LocationContent, InvalidField> {
    let mut coordinate = |long: &str, short: &str| -> Result<f64, InvalidField> {
        match (location.opt_f64(long)?, location.opt_f64(short)?) {
            (Some(value), None) | (None, Some(value)) => Ok(value),
            (Some(_), Some(_)) => {
                Err(invalid(&location.path_of(short), format!("give `{long}` or `{short}`, not both")))
            }
            (None, None) => Err(invalid(&location.path_of(long), "is required")),
        }
    };
    let latitude = coordinate("latitude", "lat")?;
    let longitude = coordinate("longitude", "lng")?;
    let decoded =
        LocationContent { latitude, longitude, name: location.opt_str("name")?, address: location.opt_str("address")? };
    location.finish()?;
    Ok(decoded)
}
