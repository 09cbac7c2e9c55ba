//! omni's template messages, under the names this channel documents: components with their
//! parameters, carousel cards, limited-time offers and the template's category.

use super::location::location;
use super::rich::header_media;
use crate::wit::messaging::TemplateContent;
use crate::wit::templates::{
    ButtonKind, CarouselCard, Currency, DateTime, ParameterValue, ProductPolicy, TemplateButton, TemplateCategory,
    TemplateComponent, TemplateParameter,
};
use crate::wit::types::InvalidField;
use omni_channel_sdk::omni::reader::{Fields, invalid};

/// `template: {name, language, category?, productPolicy?, activitySharing?, components?: [{type:
/// header|body|button|carousel|limited_time_offer, ...}]}`.
pub fn template(mut template: Fields<'_>) -> Result<TemplateContent, InvalidField> {
    let name = template.str("name")?;
    let language = template.str("language")?;
    let category = match template.opt_str("category")?.as_deref() {
        None => None,
        Some("marketing") => Some(TemplateCategory::Marketing),
        Some("utility") => Some(TemplateCategory::Utility),
        Some("authentication") => Some(TemplateCategory::Authentication),
        Some(other) => {
            return Err(invalid(
                &template.path_of("category"),
                format!("`{other}` is not marketing, utility or authentication"),
            ));
        }
    };
    let product_policy = match template.opt_str("productPolicy")?.as_deref() {
        None => None,
        Some("CLOUD_API_FALLBACK") => Some(ProductPolicy::CloudApiFallback),
        Some("STRICT") => Some(ProductPolicy::Strict),
        Some(other) => {
            return Err(invalid(
                &template.path_of("productPolicy"),
                format!("`{other}` is not CLOUD_API_FALLBACK or STRICT"),
            ));
        }
    };
    let activity_sharing = template.opt_bool("activitySharing")?;
    let components = template.objects("components")?.into_iter().map(component).collect::<Result<_, _>>()?;
    template.finish()?;
    Ok(TemplateContent { name, language, components, category, product_policy, activity_sharing })
}

fn component(mut component: Fields<'_>) -> Result<TemplateComponent, InvalidField> {
    let kind = component.str("type")?;
    let decoded = match kind.as_str() {
        "carousel" => {
            let cards = component.objects("cards")?.into_iter().map(card).collect::<Result<_, _>>()?;
            component.finish()?;
            return Ok(TemplateComponent::Carousel(cards));
        }
        "limited_time_offer" => {
            let expiration = component.int("expirationTimeMs")?;
            component.finish()?;
            return Ok(TemplateComponent::LimitedTimeOffer(expiration));
        }
        _ => kind,
    };
    let parameters = component.objects("parameters")?.into_iter().map(parameter).collect::<Result<Vec<_>, _>>()?;
    let decoded = match decoded.as_str() {
        "header" => TemplateComponent::Header(parameters),
        "body" => TemplateComponent::Body(parameters),
        "button" => {
            let sub_type = component.str("subType")?;
            let kind = match sub_type.as_str() {
                "quick_reply" => ButtonKind::QuickReply,
                "url" => ButtonKind::Url,
                "copy_code" => ButtonKind::CopyCode,
                other => {
                    return Err(invalid(
                        &component.path_of("subType"),
                        format!("`{other}` is not quick_reply, url or copy_code"),
                    ));
                }
            };
            TemplateComponent::Button(TemplateButton { kind, index: component.int("index")?, parameters })
        }
        other => {
            return Err(invalid(
                &component.path_of("type"),
                format!("`{other}` is not header, body, button, carousel or limited_time_offer"),
            ));
        }
    };
    component.finish()?;
    Ok(decoded)
}

/// One carousel card: `{components: [{type: header|body|button, ...}]}`, as a template's.
fn card(mut card: Fields<'_>) -> Result<CarouselCard, InvalidField> {
    let mut decoded = CarouselCard { header: Vec::new(), body: Vec::new(), buttons: Vec::new() };
    for fields in card.objects("components")? {
        let path = fields.path_of("type");
        match component(fields)? {
            TemplateComponent::Header(parameters) => decoded.header = parameters,
            TemplateComponent::Body(parameters) => decoded.body = parameters,
            TemplateComponent::Button(button) => decoded.buttons.push(button),
            TemplateComponent::Carousel(_) | TemplateComponent::LimitedTimeOffer(_) => {
                return Err(invalid(&path, "a card holds header, body and button components only"));
            }
        }
    }
    card.finish()?;
    Ok(decoded)
}

fn parameter(mut parameter: Fields<'_>) -> Result<TemplateParameter, InvalidField> {
    let kind = parameter.str("type")?;
    let name = parameter.opt_str("parameterName")?;
    let value = match kind.as_str() {
        "text" => ParameterValue::Text(parameter.str("text")?),
        "currency" => {
            let mut c = parameter.object("currency")?;
            let currency = Currency {
                fallback_value: c.str("fallbackValue")?,
                code: c.str("code")?,
                amount_thousandths: c.int("amount1000")?,
            };
            c.finish()?;
            ParameterValue::Currency(currency)
        }
        "date_time" => {
            let mut d = parameter.object("dateTime")?;
            let date_time = DateTime {
                fallback_value: d.str("fallbackValue")?,
                day_of_week: d.opt_int("dayOfWeek")?,
                year: d.opt_int("year")?,
                month: d.opt_int("month")?,
                day_of_month: d.opt_int("dayOfMonth")?,
                hour: d.opt_int("hour")?,
                minute: d.opt_int("minute")?,
                calendar: d.opt_str("calendar")?,
            };
            d.finish()?;
            ParameterValue::DateTime(date_time)
        }
        "image" | "video" | "document" => ParameterValue::Media(header_media(&kind, &mut parameter)?),
        "location" => ParameterValue::Location(location(parameter.object("location")?)?),
        "payload" => ParameterValue::Payload(parameter.str("payload")?),
        "coupon_code" => ParameterValue::CouponCode(parameter.str("couponCode")?),
        other => {
            return Err(invalid(&parameter.path_of("type"), format!("`{other}` is not a template parameter type")));
        }
    };
    parameter.finish()?;
    Ok(TemplateParameter { name, value })
}
