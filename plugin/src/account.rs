//! The business account's lists and settings: blocking users (`/{phone-number-id}/block_users`)
//! and the business profile (`/{phone-number-id}/whatsapp_business_profile`), each checked
//! against WhatsApp's limits before Meta is called, so that a refusal names the field.

use serde_json::{Map, Value, json};

use crate::call::Call;
use crate::chat_id::{self, Recipient};
use crate::graph::{self, Idempotency};
use crate::host::Host;
use crate::outbound::checks::{self, invalid};
use crate::wit::account::{BlockOutcome, BusinessProfile, ProfileUpdate, UserFailure};
use crate::wit::outbound_http::Method;
use crate::wit::types::{ChannelError, Instance};

/// The industries Meta accepts for `vertical`.
const VERTICALS: &[&str] = &[
    "OTHER",
    "AUTO",
    "BEAUTY",
    "APPAREL",
    "EDU",
    "ENTERTAIN",
    "EVENT_PLAN",
    "FINANCE",
    "GROCERY",
    "GOVT",
    "HOTEL",
    "HEALTH",
    "NONPROFIT",
    "PROF_SERVICES",
    "RETAIL",
    "TRAVEL",
    "RESTAURANT",
    "ALCOHOL",
    "ONLINE_GAMBLING",
    "PHYSICAL_GAMBLING",
    "OTC_DRUGS",
    "MATRIMONY_SERVICE",
];

/// The profile fields read and written.
const PROFILE_FIELDS: &str = "about,address,description,email,profile_picture_url,websites,vertical";

/// Blocks `users` (or unblocks them when `block` is false): `POST` or `DELETE
/// /{phone-number-id}/block_users`.
pub fn block_users(
    host: &dyn Host,
    instance: &Instance,
    users: &[String],
    block: bool,
) -> Result<BlockOutcome, ChannelError> {
    Call::run(host, instance, |call| {
        checks::count("users", users.len(), 1..=1000).map_err(ChannelError::InvalidRequest)?;
        let mut list = Vec::with_capacity(users.len());
        for (i, user) in users.iter().enumerate() {
            let field = format!("users[{i}]");
            let id = match chat_id::parse_recipient(user) {
                Ok(Recipient::Phone(number)) => number,
                Ok(Recipient::UserId(id)) => id,
                Ok(Recipient::Group(_)) => {
                    return Err(ChannelError::InvalidRequest(invalid(&field, "a group cannot be blocked")));
                }
                Err(reason) => return Err(ChannelError::InvalidRequest(invalid(&field, reason))),
            };
            list.push(json!({ "user": id }));
        }
        let body = json!({ "messaging_product": "whatsapp", "block_users": list });
        let method = if block { Method::Post } else { Method::Delete };
        let path = format!("{}/block_users", call.config.phone_number_id);
        // Blocking a blocked user changes nothing: a lost answer may be asked again.
        let reply =
            graph::call(call.host, &graph::request(&call.config, method, &path, Some(&body)), Idempotency::Idempotent)?;
        Ok(block_outcome(&reply, if block { "added_users" } else { "removed_users" }))
    })
}

/// Meta's answer: `{block_users: {added_users | removed_users: [{input, wa_id}], failed_users:
/// [{input, errors: [{message}]}]}}`.
fn block_outcome(reply: &Value, changed_key: &str) -> BlockOutcome {
    let list = |key: &str| {
        reply.pointer(&format!("/block_users/{key}")).and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let text = |user: &Value, key: &str| user.get(key).and_then(Value::as_str).map(str::to_owned);
    BlockOutcome {
        changed: list(changed_key).iter().filter_map(|u| text(u, "wa_id").or_else(|| text(u, "input"))).collect(),
        failed: list("failed_users")
            .iter()
            .map(|u| UserFailure {
                user: text(u, "input").or_else(|| text(u, "wa_id")).unwrap_or_default(),
                reason: u.pointer("/errors/0/message").and_then(Value::as_str).unwrap_or("refused by Meta").to_owned(),
            })
            .collect(),
    }
}

/// Reads the business profile: `GET /{phone-number-id}/whatsapp_business_profile`.
pub fn get_profile(host: &dyn Host, instance: &Instance) -> Result<BusinessProfile, ChannelError> {
    Call::run(host, instance, |call| {
        let path = format!("{}/whatsapp_business_profile?fields={PROFILE_FIELDS}", call.config.phone_number_id);
        let reply =
            graph::call(call.host, &graph::request(&call.config, Method::Get, &path, None), Idempotency::Idempotent)?;
        let profile = reply.pointer("/data/0").cloned().unwrap_or(Value::Null);
        let text = |key: &str| profile.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(BusinessProfile {
            about: text("about"),
            address: text("address"),
            description: text("description"),
            email: text("email"),
            websites: profile
                .get("websites")
                .and_then(Value::as_array)
                .map(|w| w.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            vertical: text("vertical"),
            profile_picture_url: text("profile_picture_url"),
        })
    })
}

/// Changes the business profile: `POST /{phone-number-id}/whatsapp_business_profile` with the
/// fields given.
pub fn update_profile(host: &dyn Host, instance: &Instance, update: &ProfileUpdate) -> Result<(), ChannelError> {
    Call::run(host, instance, |call| {
        let body = profile_body(update).map_err(ChannelError::InvalidRequest)?;
        let path = format!("{}/whatsapp_business_profile", call.config.phone_number_id);
        // Writing the same profile twice leaves it as once.
        let reply = graph::call(
            call.host,
            &graph::request(&call.config, Method::Post, &path, Some(&body)),
            Idempotency::Idempotent,
        )?;
        match reply.get("success").and_then(Value::as_bool) {
            Some(true) => Ok(()),
            _ => Err(ChannelError::Other(format!("Meta did not confirm the profile change: {reply}"))),
        }
    })
}

/// The body of a profile change, within WhatsApp's limits.
fn profile_body(update: &ProfileUpdate) -> Result<Value, crate::wit::types::InvalidField> {
    let mut body = Map::new();
    body.insert("messaging_product".into(), json!("whatsapp"));
    let texts = [
        ("about", &update.about, 139),
        ("address", &update.address, 256),
        ("description", &update.description, 512),
        ("email", &update.email, 128),
        ("profile_picture_handle", &update.profile_picture_handle, 4096),
    ];
    for (key, value, max) in texts {
        if let Some(value) = value {
            checks::text(key, value, max)?;
            body.insert(key.into(), json!(value));
        }
    }
    if let Some(email) = &update.email
        && !(email.contains('@') && !email.starts_with('@') && !email.ends_with('@'))
    {
        return Err(invalid("email", "is not an e-mail address"));
    }
    if let Some(websites) = &update.websites {
        checks::count("websites", websites.len(), 0..=2)?;
        for (i, site) in websites.iter().enumerate() {
            checks::text(&format!("websites[{i}]"), site, 256)?;
            checks::http_url(&format!("websites[{i}]"), site)?;
        }
        body.insert("websites".into(), json!(websites));
    }
    if let Some(vertical) = &update.vertical {
        if !VERTICALS.contains(&vertical.as_str()) {
            return Err(invalid("vertical", format!("`{vertical}` is not one of {}", VERTICALS.join(", "))));
        }
        body.insert("vertical".into(), json!(vertical));
    }
    if body.len() == 1 {
        return Err(invalid("", "the update changes nothing: give at least one field"));
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::sample_json;
    use crate::host::mock::MockHost;

    fn instance() -> Instance {
        Instance { id: "inst-a".into(), config: sample_json() }
    }

    fn no_change() -> ProfileUpdate {
        ProfileUpdate {
            about: None,
            address: None,
            description: None,
            email: None,
            websites: None,
            vertical: None,
            profile_picture_handle: None,
        }
    }

    #[test]
    fn blocking_posts_the_users_and_reads_what_meta_did() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"messaging_product": "whatsapp", "block_users": {
            "added_users": [{"input": "+1 650-555-1234", "wa_id": "16505551234"}],
            "failed_users": [{"input": "16505550000", "errors": [{"message": "Failed to block user", "code": 139100}]}]}}));
        let users = ["+1 650-555-1234".to_owned(), "16505550000@s.whatsapp.net".to_owned()];
        let outcome = block_users(&host, &instance(), &users, true).unwrap();
        assert_eq!(outcome.changed, ["16505551234"]);
        assert_eq!(
            (outcome.failed[0].user.as_str(), outcome.failed[0].reason.as_str()),
            ("16505550000", "Failed to block user")
        );
        let request = &host.requests.borrow()[0];
        assert_eq!(request.method, Method::Post);
        assert!(request.url.ends_with("/106540352242922/block_users"));
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            json!({"messaging_product": "whatsapp", "block_users": [{"user": "16505551234"}, {"user": "16505550000"}]})
        );
    }

    #[test]
    fn unblocking_deletes_and_reads_removed_users() {
        let host = MockHost::default();
        host.respond_json(
            200,
            &json!({"block_users": {"removed_users": [{"input": "16505551234", "wa_id": "16505551234"}]}}),
        );
        let outcome = block_users(&host, &instance(), &["16505551234".to_owned()], false).unwrap();
        assert_eq!((outcome.changed.as_slice(), outcome.failed.len()), (&["16505551234".to_owned()][..], 0));
        assert_eq!(host.requests.borrow()[0].method, Method::Delete);
    }

    #[test]
    fn blocking_refuses_groups_nonsense_and_empty_lists_before_meta() {
        let host = MockHost::default();
        let refused = |users: &[&str]| match block_users(
            &host,
            &instance(),
            &users.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
            true,
        ) {
            Err(ChannelError::InvalidRequest(field)) => field.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(&[]), "users");
        assert_eq!(refused(&["16505551234", "120363025246125486@g.us"]), "users[1]");
        assert_eq!(refused(&["not a number"]), "users[0]");
        assert!(host.requests.borrow().is_empty());
    }

    #[test]
    fn the_profile_is_read_from_metas_data_list() {
        let host = MockHost::default();
        host.respond_json(
            200,
            &json!({"data": [{"about": "Hi", "email": "help@acme.example", "websites": ["https://acme.example"],
            "vertical": "RETAIL", "messaging_product": "whatsapp"}]}),
        );
        let profile = get_profile(&host, &instance()).unwrap();
        assert_eq!((profile.about.as_deref(), profile.vertical.as_deref()), (Some("Hi"), Some("RETAIL")));
        assert_eq!(profile.websites, ["https://acme.example"]);
        assert_eq!(profile.address, None);
        assert!(
            host.requests.borrow()[0]
                .url
                .ends_with(&format!("/106540352242922/whatsapp_business_profile?fields={PROFILE_FIELDS}"))
        );
    }

    #[test]
    fn a_profile_update_sends_only_what_changes_within_whatsapps_limits() {
        let host = MockHost::default();
        host.respond_json(200, &json!({"success": true}));
        let update = ProfileUpdate {
            about: Some("Open 9-5".into()),
            websites: Some(vec!["https://acme.example".into()]),
            ..no_change()
        };
        update_profile(&host, &instance(), &update).unwrap();
        let body: Value = serde_json::from_slice(&host.requests.borrow()[0].body).unwrap();
        assert_eq!(
            body,
            json!({"messaging_product": "whatsapp", "about": "Open 9-5", "websites": ["https://acme.example"]})
        );

        let field = |update: ProfileUpdate| profile_body(&update).unwrap_err().field;
        assert_eq!(field(ProfileUpdate { about: Some("x".repeat(140)), ..no_change() }), "about");
        assert_eq!(field(ProfileUpdate { email: Some("nobody".into()), ..no_change() }), "email");
        assert_eq!(
            field(ProfileUpdate { websites: Some(vec!["a".into(), "b".into(), "c".into()]), ..no_change() }),
            "websites"
        );
        assert_eq!(field(ProfileUpdate { websites: Some(vec!["ftp://x".into()]), ..no_change() }), "websites[0]");
        assert_eq!(field(ProfileUpdate { vertical: Some("SHOES".into()), ..no_change() }), "vertical");
        assert_eq!(field(no_change()), "");
    }
}
