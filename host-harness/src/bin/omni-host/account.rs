//! `omni-host block`, `profile`, `call`, `group` and `delete-media`: what an instance's number
//! does besides messaging, through the plugin.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use omni_host::capabilities::events::NullSink;
use omni_host::channel_host::ChannelHost;
use omni_host::config::HostConfig;
use omni_host::omni::{actions, wire};

use crate::setup::{Source, build_host, one_call_at_a_time};

fn host(source: &Source, config: &Path) -> anyhow::Result<ChannelHost> {
    let config = HostConfig::load(config)?;
    build_host(source, one_call_at_a_time(), &config, |_| Ok(Arc::new(NullSink)))
}

/// Prints `value` on success, the typed error on stderr otherwise.
fn answer(result: Result<serde_json::Value, omni_host::bindings::types::ChannelError>) -> ExitCode {
    match result {
        Ok(value) => {
            println!("{value}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{}", wire::channel_error(&error));
            ExitCode::FAILURE
        }
    }
}

/// Blocks (or unblocks) `users`.
pub fn block(
    source: &Source,
    config: &Path,
    instance: &str,
    users: &[String],
    block: bool,
) -> anyhow::Result<ExitCode> {
    let outcome = host(source, config)?.block_users(instance, users, block)?;
    Ok(answer(outcome.map(|o| wire::block_outcome(&o))))
}

/// Prints the business profile, or applies the update in `update` (a JSON file).
pub fn profile(source: &Source, config: &Path, instance: &str, update: Option<&Path>) -> anyhow::Result<ExitCode> {
    let host = host(source, config)?;
    match update {
        None => Ok(answer(host.business_profile(instance)?.map(|p| wire::business_profile(&p)))),
        Some(file) => {
            let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
            let update = wire::profile_update(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            Ok(answer(host.update_business_profile(instance, &update)?.map(|()| serde_json::json!({"updated": true}))))
        }
    }
}

/// Makes a call action (`action`: JSON) and prints the call's id.
pub fn call(source: &Source, config: &Path, instance: &str, action: &str) -> anyhow::Result<ExitCode> {
    let action = actions::call_action(action).map_err(|e| anyhow::anyhow!("--action: {e}"))?;
    let outcome = host(source, config)?.act_on_call(instance, &action)?;
    Ok(answer(outcome.map(|id| serde_json::json!({ "callId": id }))))
}

/// Makes a group action (`action`: JSON) and prints its outcome.
pub fn group(source: &Source, config: &Path, instance: &str, action: &str) -> anyhow::Result<ExitCode> {
    let action = actions::group_action(action).map_err(|e| anyhow::anyhow!("--action: {e}"))?;
    let outcome = host(source, config)?.act_on_group(instance, &action)?;
    Ok(answer(outcome.map(|o| actions::group_outcome(&o))))
}

/// Deletes an uploaded file.
pub fn delete_media(source: &Source, config: &Path, instance: &str, media_id: &str) -> anyhow::Result<ExitCode> {
    let outcome = host(source, config)?.delete_media(instance, media_id)?;
    Ok(answer(outcome.map(|()| serde_json::json!({ "deleted": media_id }))))
}
