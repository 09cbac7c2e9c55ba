//! Any bytes as a webhook notification body: the mapping never panics, and every event it
//! produces has a well-formed id and a JSON object payload.

#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp_cloud_plugin::inbound::{Route, map_notification, no_media_links};

const ROUTES: &[Route<'static>] = &[
    Route { instance_id: "acme", phone_number_id: "106540352242922" },
    Route { instance_id: "acme-sales", phone_number_id: "200000000000001" },
];

fuzz_target!(|data: &[u8]| {
    if let Ok(events) = map_notification(data, "acme", ROUTES, &no_media_links) {
        for event in events {
            assert_eq!(event.id.len(), 32);
            let payload: serde_json::Value = serde_json::from_str(&event.payload).expect("payloads are JSON");
            assert!(payload.is_object());
        }
    }
});
