//! Each rule WhatsApp enforces, refused before any request with the field named.

use super::*;
use crate::wit::interactive::{
    CtaUrl, InteractiveAction, InteractiveHeader, ListMenu, ListRow, ListSection, ReplyButton,
};
use crate::wit::message_parts::{HeaderMedia, MediaSource};
use crate::wit::messaging::{
    Content, InteractiveContent, LocationContent, MediaContent, ReactionContent, TemplateContent,
};
use crate::wit::templates::{ButtonKind, ParameterValue, TemplateButton, TemplateComponent, TemplateParameter};
use crate::wit::types::MediaKind;

fn with(content: Content) -> OutgoingMessage {
    OutgoingMessage { to: "15550001111".into(), content, reply_to: None, callback_data: None, identity_key_hash: None }
}

fn field_of(message: &OutgoingMessage) -> String {
    let host = MockHost::default();
    match send_message(&host, &instance(), message.clone(), &options()).map_err(|f| f.error) {
        Err(ChannelError::InvalidRequest(f)) => {
            assert!(host.requests.borrow().is_empty());
            f.field
        }
        other => panic!("expected an invalid request, got {other:?}"),
    }
}

fn button(id: &str, title: &str) -> ReplyButton {
    ReplyButton { id: id.into(), title: title.into() }
}

fn interactive(action: InteractiveAction) -> Content {
    Content::Interactive(InteractiveContent { header: None, body: "Pick one".into(), footer: None, action })
}

fn template(components: Vec<TemplateComponent>) -> Content {
    Content::Template(TemplateContent {
        name: "order_update".into(),
        language: "en_US".into(),
        components,
        category: None,
        product_policy: None,
        activity_sharing: None,
    })
}

fn text_param(text: &str, name: Option<&str>) -> TemplateParameter {
    TemplateParameter { name: name.map(str::to_owned), value: ParameterValue::Text(text.into()) }
}

fn header_media(kind: MediaKind, filename: Option<&str>) -> HeaderMedia {
    HeaderMedia { kind, source: MediaSource::Id("123".into()), filename: filename.map(str::to_owned) }
}

fn media(kind: MediaKind, caption: Option<&str>, filename: Option<&str>) -> Content {
    Content::Media(MediaContent {
        kind,
        source: MediaSource::Id("123".into()),
        caption: caption.map(str::to_owned),
        filename: filename.map(str::to_owned),
        voice: false,
    })
}

fn row(id: &str) -> ListRow {
    ListRow { id: id.into(), title: "Row".into(), description: None }
}

#[test]
fn refused_messages_name_their_field() {
    let cases: Vec<(Content, &str)> = vec![
        (
            interactive(InteractiveAction::Buttons(vec![
                button("a", "A"),
                button("b", "B"),
                button("c", "C"),
                button("d", "D"),
            ])),
            "content.buttons",
        ),
        (interactive(InteractiveAction::Buttons(vec![])), "content.buttons"),
        (
            interactive(InteractiveAction::Buttons(vec![button("a", "A title longer than twenty")])),
            "content.buttons[0].title",
        ),
        (interactive(InteractiveAction::Buttons(vec![button("a", "A"), button("a", "B")])), "content.buttons[1].id"),
        (
            interactive(InteractiveAction::List(ListMenu {
                button: "Open".into(),
                sections: vec![ListSection { title: None, rows: (0..11).map(|i| row(&i.to_string())).collect() }],
            })),
            "content.list.rows",
        ),
        (
            interactive(InteractiveAction::List(ListMenu {
                button: "Open".into(),
                sections: vec![
                    ListSection { title: Some("A".into()), rows: vec![row("1")] },
                    ListSection { title: None, rows: vec![row("2")] },
                ],
            })),
            "content.list.sections[1].title",
        ),
        (
            interactive(InteractiveAction::CtaUrl(CtaUrl {
                display_text: "Go".into(),
                url: "javascript:alert(1)".into(),
            })),
            "content.cta_url.url",
        ),
        (
            template(vec![TemplateComponent::Body(vec![text_param("", None)])]),
            "content.components[0].parameters[0].text",
        ),
        (
            template(vec![TemplateComponent::Body(vec![text_param("a", Some("first")), text_param("b", None)])]),
            "content.components[0].parameters",
        ),
        (
            template(vec![TemplateComponent::Body(vec![text_param("line\nbreak", None)])]),
            "content.components[0].parameters[0].text",
        ),
        (
            template(vec![TemplateComponent::Button(TemplateButton {
                kind: ButtonKind::CopyCode,
                index: 0,
                parameters: vec![text_param("CODE", None)],
            })]),
            "content.components[0].parameters[0]",
        ),
        (
            Content::Template(TemplateContent {
                name: "Order Update".into(),
                language: "en_US".into(),
                components: vec![],
                category: None,
                product_policy: None,
                activity_sharing: None,
            }),
            "content.name",
        ),
        (media(MediaKind::Audio, Some("listen"), None), "content.caption"),
        (media(MediaKind::Sticker, Some("ha"), None), "content.caption"),
        (media(MediaKind::Image, None, Some("a.jpg")), "content.filename"),
        (
            Content::Interactive(InteractiveContent {
                header: Some(InteractiveHeader::Media(header_media(MediaKind::Image, Some("a.jpg")))),
                body: "Pick one".into(),
                footer: None,
                action: InteractiveAction::Buttons(vec![button("a", "A")]),
            }),
            "content.header.filename",
        ),
        (
            template(vec![TemplateComponent::Header(vec![TemplateParameter {
                name: None,
                value: ParameterValue::Media(header_media(MediaKind::Video, Some("a.mp4"))),
            }])]),
            "content.components[0].parameters[0].filename",
        ),
        (
            template(vec![TemplateComponent::Header(vec![TemplateParameter {
                name: None,
                value: ParameterValue::Media(header_media(MediaKind::Audio, None)),
            }])]),
            "content.components[0].parameters[0].kind",
        ),
        (
            Content::Location(LocationContent { latitude: 91.0, longitude: 0.0, name: None, address: None }),
            "content.latitude",
        ),
        (Content::Contacts(vec![]), "content.contacts"),
        (Content::Reaction(ReactionContent { message_id: "".into(), emoji: Some("👍".into()) }), "content.message_id"),
    ];
    for (content, field) in cases {
        assert_eq!(field_of(&with(content)), field);
    }
}

#[test]
fn bsuid_and_group_recipients() {
    let host = MockHost::default();
    accepted(&host);
    let mut message = text("US.13491208655302741918", "hi");
    send_message(&host, &instance(), message.clone(), &options()).unwrap();
    accepted(&host);
    message.to = "Y2FwaV9ncm91cDox@g.us".into();
    send_message(&host, &instance(), message.clone(), &options()).unwrap();
    let requests = host.requests.borrow();
    let first: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let second: Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!((first["recipient"].as_str(), first.get("to")), (Some("US.13491208655302741918"), None));
    assert_eq!((second["recipient_type"].as_str(), second["to"].as_str()), (Some("group"), Some("Y2FwaV9ncm91cDox")));
}

#[test]
fn mark_read_with_typing_indicator() {
    let host = MockHost::default();
    host.respond_json(200, &json!({"success": true}));
    mark_read(&host, &instance(), "wamid.IN", true).unwrap();
    let body: Value = serde_json::from_slice(&host.requests.borrow()[0].body).unwrap();
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN", "typing_indicator": {"type": "text"}})
    );
    assert!(matches!(mark_read(&host, &instance(), "", false), Err(ChannelError::InvalidRequest(_))));
}
