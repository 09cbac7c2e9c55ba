//! `omni-host block` and `omni-host profile`: the instance's account, through the plugin.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use omni_host::capabilities::events::NullSink;
use omni_host::channel_host::ChannelHost;
use omni_host::config::HostConfig;
use omni_host::omni::wire;

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
