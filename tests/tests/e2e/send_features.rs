//! The send kinds Meta added — carousel and limited-time-offer templates, the Marketing
//! Messages API, interactive media carousels, contact-info and call-permission requests —
//! through the real component: where
//! each goes, and the field each of WhatsApp's limits names when it refuses. Their exact Graph
//! bodies are fixtures (`tests/fixtures/send/extra_*.json`, run by `send_examples.rs`).

use e2e_tests::{ACCESS_TOKEN, PHONE_NUMBER_ID, TestHost, instance_toml};
use omni_host::bindings::types::ChannelError;
use omni_host::fake_graph::FakeGraph;
use serde_json::{Value, json};

/// A number of its own for `promo` (one phone number is one instance).
const PROMO_NUMBER: &str = "106540352242923";

/// `acme`, and `promo` with the Marketing Messages API on, its number served by a fake of its
/// own.
fn hosts() -> (TestHost, FakeGraph) {
    let promo_graph = FakeGraph::start(ACCESS_TOKEN, PROMO_NUMBER).expect("fake Graph API starts");
    let promo = instance_toml("promo", PROMO_NUMBER, &promo_graph.base_url()) + "marketingMessages = true\n";
    (TestHost::with_extra_instances(&promo), promo_graph)
}

fn template(category: Option<&str>, components: Value) -> Value {
    let mut template = json!({"name": "spring_sale", "language": "en_US", "components": components});
    if let Some(category) = category {
        template["category"] = json!(category);
    }
    json!({"to": "+1 650 555 1234", "content": {"type": "template", "template": template}})
}

fn card(media: &str, payload: &str) -> Value {
    json!({"components": [
        {"type": "header", "parameters": [{"type": media, "mediaUrl": "https://cdn.example.com/card"}]},
        {"type": "button", "subType": "quick_reply", "index": 0, "parameters": [{"type": "payload", "payload": payload}]},
    ]})
}

fn carousel(cards: Vec<Value>) -> Value {
    json!([{"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}, {"type": "carousel", "cards": cards}])
}

/// Sends `message` from `instance` (one attempt) and returns the Graph path it was posted to.
fn posted_path(host: &TestHost, graph: &FakeGraph, instance: &str, message: &Value) -> String {
    graph.clear_requests();
    let decoded = host.host.decode_outgoing(&message.to_string(), &[]).unwrap().unwrap();
    let policy = omni_host::retry::RetryPolicy { max_attempts: 1, ..Default::default() };
    let outcome = host.host.send_decoded_with_retries(instance, &decoded, "c1", &policy, &|_| {}).unwrap();
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let requests = graph.requests();
    assert_eq!(requests.len(), 1);
    requests[0].path.clone()
}

/// The field the component refuses `message` on (decoded or built).
fn refused_field(host: &TestHost, message: &Value) -> String {
    match host.host.decode_outgoing(&message.to_string(), &[]).unwrap() {
        Err(field) => field.field,
        Ok(decoded) => {
            let policy = omni_host::retry::RetryPolicy { max_attempts: 1, ..Default::default() };
            let outcome = host.host.send_decoded_with_retries("acme", &decoded, "c1", &policy, &|_| {}).unwrap();
            match outcome.failure {
                Some(ChannelError::InvalidRequest(field)) => field.field,
                other => panic!("{message} was not refused: {other:?}"),
            }
        }
    }
}

#[test]
fn marketing_templates_take_the_marketing_messages_api_when_the_instance_uses_it() {
    let (host, promo_graph) = hosts();
    let messages = format!("/v26.0/{PROMO_NUMBER}/messages");
    let marketing = format!("/v26.0/{PROMO_NUMBER}/marketing_messages");
    let promotion =
        template(Some("marketing"), json!([{"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}]));
    let receipt =
        template(Some("utility"), json!([{"type": "body", "parameters": [{"type": "text", "text": "8841"}]}]));
    let cards = template(None, carousel(vec![card("image", "a"), card("image", "b")]));
    let offer = template(None, json!([{"type": "limited_time_offer", "expirationTimeMs": 1_767_225_600_000u64}]));

    assert_eq!(posted_path(&host, &promo_graph, "promo", &promotion), marketing);
    assert_eq!(posted_path(&host, &promo_graph, "promo", &cards), marketing, "a carousel is a marketing template");
    assert_eq!(posted_path(&host, &promo_graph, "promo", &offer), marketing, "so is a limited-time offer");
    assert_eq!(posted_path(&host, &promo_graph, "promo", &receipt), messages, "a utility template does not");
    let text = json!({"to": "+1 650 555 1234", "content": {"type": "text", "text": "hi"}});
    assert_eq!(posted_path(&host, &promo_graph, "promo", &text), messages);
    let acme_messages = format!("/v26.0/{PHONE_NUMBER_ID}/messages");
    assert_eq!(posted_path(&host, &host.graph, "acme", &promotion), acme_messages, "an instance without the option");
}

#[test]
fn whatsapps_limits_on_the_new_kinds_are_refused_by_field() {
    let host = TestHost::new();
    let refused = |message: Value| refused_field(&host, &message);
    // Carousels: 2 to 10 cards, image or video headers, every card like the first.
    assert_eq!(refused(template(None, carousel(vec![card("image", "a")]))), "content.components[1].cards");
    assert_eq!(
        refused(template(None, carousel(vec![card("document", "a"), card("document", "b")]))),
        "content.components[1].cards[0].header[0]"
    );
    assert_eq!(
        refused(template(None, carousel(vec![card("image", "a"), card("video", "b")]))),
        "content.components[1].cards[1]"
    );
    let mut three_buttons = card("image", "a");
    for index in [1, 2] {
        three_buttons["components"].as_array_mut().unwrap().push(
            json!({"type": "button", "subType": "quick_reply", "index": index, "parameters": [{"type": "payload", "payload": "x"}]}),
        );
    }
    assert_eq!(
        refused(template(None, carousel(vec![three_buttons.clone(), three_buttons]))),
        "content.components[1].cards[0].buttons"
    );
    // A carousel or an offer in a template of another category.
    assert_eq!(
        refused(template(Some("utility"), carousel(vec![card("image", "a"), card("image", "b")]))),
        "content.components[1]"
    );
    assert_eq!(
        refused(template(Some("authentication"), json!([{"type": "limited_time_offer", "expirationTimeMs": 1}]))),
        "content.components[0]"
    );
    assert_eq!(
        refused(template(None, json!([{"type": "limited_time_offer", "expirationTimeMs": 0}]))),
        "content.components[0].expiration_time_ms"
    );
    assert_eq!(refused(template(Some("promo"), json!([]))), "content.template.category");
    // The body: 1,024 characters beside other components, 32,768 alone.
    let long = "x".repeat(1_100);
    let body = json!({"type": "body", "parameters": [{"type": "text", "text": long}]});
    let header = json!({"type": "header", "parameters": [{"type": "text", "text": "Hi"}]});
    assert_eq!(refused(template(None, json!([header, body]))), "content.components[1].parameters");
    let sent = host.send_omni(&template(None, json!([body])).to_string());
    assert!(sent.failure.is_none(), "a body-only template takes it: {:?}", sent.failure);
    // Contact-info and call-permission requests are a body and WhatsApp's own button.
    let request = |action: &str, extra: Value| {
        let mut interactive = json!({"body": "May we?", "action": {"type": action}});
        interactive.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"to": "+1 650 555 1234", "content": {"type": "interactive", "interactive": interactive}})
    };
    assert_eq!(refused(request("request_contact_info", json!({"footer": "thanks"}))), "content.footer");
    assert_eq!(
        refused(request("call_permission_request", json!({"header": {"type": "text", "text": "Call"}}))),
        "content.header"
    );
    assert_eq!(refused(request("call_permission_request", json!({"body": ""}))), "content.body");
    // Interactive media carousels: 2 to 10 cards offering the same buttons, no footer.
    let card = |action: Value| json!({"header": {"type": "image", "mediaUrl": "https://cdn.example.com/c.png"}, "action": action});
    let url = json!({"type": "cta_url", "displayText": "Buy", "url": "https://shop.example.com/x"});
    let replies = json!({"type": "buttons", "buttons": [{"id": "a", "title": "More"}]});
    let cards = |list: Vec<Value>| request("carousel", json!({"action": {"type": "carousel", "cards": list}}));
    assert_eq!(refused(cards(vec![card(url.clone())])), "content.cards");
    assert_eq!(refused(cards(vec![card(url.clone()), card(replies)])), "content.cards[1].action");
    let long = json!({"header": {"type": "image", "mediaUrl": "https://cdn.example.com/c.png"}, "body": "x".repeat(161), "action": url});
    assert_eq!(refused(cards(vec![long.clone(), long])), "content.cards[0].body");
    let mut with_footer = cards(vec![card(url.clone()), card(url)]);
    with_footer["content"]["interactive"]["footer"] = json!("thanks");
    assert_eq!(refused(with_footer), "content.footer");
}

#[test]
fn marketing_options_go_with_the_marketing_messages_api_only() {
    let (host, promo_graph) = hosts();
    let mut promotion =
        template(Some("marketing"), json!([{"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}]));
    promotion["content"]["template"]["productPolicy"] = json!("STRICT");
    promotion["content"]["template"]["activitySharing"] = json!(false);
    posted_path(&host, &promo_graph, "promo", &promotion);
    let body = promo_graph.requests()[0].json();
    assert_eq!(
        (body["product_policy"].as_str(), body["message_activity_sharing"].as_bool()),
        (Some("STRICT"), Some(false))
    );
    // Where the Marketing Messages API is not used, the options would mean nothing: refused.
    assert_eq!(refused_field(&host, &promotion), "content.template");
    promotion["content"]["template"]["productPolicy"] = json!("LENIENT");
    assert_eq!(refused_field(&host, &promotion), "content.template.productPolicy");
}

#[test]
fn call_buttons_address_forms_and_identity_hashes_are_refused_by_field() {
    let host = TestHost::new();
    let interactive = |action: Value| json!({"to": "+91 98765 43210", "content": {"type": "interactive", "interactive": {"body": "Hi", "action": action}}});
    let refused = |message: Value| refused_field(&host, &message);
    assert_eq!(refused(interactive(json!({"type": "voice_call", "ttlMinutes": 0}))), "content.voice_call.ttl_minutes");
    assert_eq!(
        refused(interactive(json!({"type": "voice_call", "displayText": "x".repeat(21)}))),
        "content.voice_call.display_text"
    );
    let mut with_header = interactive(json!({"type": "voice_call"}));
    with_header["content"]["interactive"]["header"] = json!({"type": "text", "text": "Call"});
    assert_eq!(refused(with_header), "content.header");
    assert_eq!(refused(interactive(json!({"type": "address", "country": "India"}))), "content.address.country");
    assert_eq!(
        refused(interactive(json!({"type": "address", "country": "IN", "values": {"pin": 560001}}))),
        "content.interactive.action.values.pin"
    );
    assert_eq!(
        refused(interactive(json!({"type": "address", "country": "IN", "values": {"Pin Code": "560001"}}))),
        "content.address.values.Pin Code"
    );
    let to_group = json!({"to": "120363025246125486@g.us", "recipientIdentityKeyHash": "DF2lS5v2W6x=",
                          "content": {"type": "text", "text": "hi"}});
    assert_eq!(refused(to_group), "identity_key_hash");
}
