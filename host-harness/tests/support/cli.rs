//! What the tests of the CLI share: an instance's workspace on a fake Graph API, a webhook,
//! the binary's output.

use std::path::PathBuf;
use std::process::Output;

use super::command;

pub const SECRET: &str = "cli-app-secret";
pub const TOKEN: &str = "EAAcli";
pub const PHONE: &str = "106540352242922";

pub fn omni_host(args: &[&str]) -> Output {
    command().args(args).output().expect("omni-host runs")
}

/// A scratch directory with a config pointing at `graph_base_url`.
pub fn workspace(name: &str, graph_base_url: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("omni-host-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            r#"[[instances]]
id = "cli"

[instances.config]
appSecret = "{SECRET}"
webhookVerifyToken = "cli-verify"
phoneNumberId = "{PHONE}"
businessAccountId = "102290129340398"
accessToken = "{TOKEN}"
graphBaseUrl = "{graph_base_url}"
"#
        ),
    )
    .unwrap();
    dir
}

pub fn text_webhook() -> String {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"metadata":{{"phone_number_id":"{PHONE}"}},"messages":[{{"from":"16505551234","id":"wamid.CLI1","timestamp":"1750263773","type":"text","text":{{"body":"h\u00e9llo"}}}},{{"from":"16505551234","id":"wamid.CLI2","timestamp":"1750263774","type":"text","text":{{"body":"again"}}}}]}}}}]}}]}}"#
    )
}

pub fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}
