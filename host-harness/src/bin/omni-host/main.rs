//! `omni-host`: loads an omni channel component (WhatsApp Cloud's is built in) and runs it.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use omni_host::bindings::types::ChannelError;
use omni_host::bindings::webhook::IncomingRequest;
use omni_host::capabilities::http_client::{ClientConfig, UreqClient};
use omni_host::config::HostConfig;
use omni_host::omni::wire;
use omni_host::retry::RetryPolicy;
#[cfg(feature = "whatsapp")]
use omni_host::signing;

use args::{Cli, Command, EventArgs};
use setup::{
    Source, build_host, component_bytes, fresh_correlation_id, instance_or_first, one_call_at_a_time, open_sink,
    parse_header,
};

mod account;
mod args;
mod logging;
mod serve;
mod setup;

/// See the `mimalloc` dependency: requests allocate on every core at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match logging::parse(&cli.log) {
        Ok(filter) => logging::init(filter),
        Err(why) => {
            eprintln!("error: --log {:?}: {why}", cli.log);
            return ExitCode::from(2);
        }
    }
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let tokio = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let source = Source::of(&cli);
    match cli.command {
        #[cfg(feature = "whatsapp")]
        Command::Demo { listen, exit } => {
            let component = component_bytes(cli.component.as_deref())?;
            omni_host::demo::run(
                &tokio,
                &component,
                listen,
                omni_host::demo::Output::new(Box::new(std::io::stdout())),
                !exit,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "whatsapp")]
        Command::FakeGraph { dir } => {
            let out = omni_host::demo::Output::new(Box::new(std::io::stdout()));
            omni_host::demo::fake_graph(&tokio, &dir, &out, omni_host::server::shutdown_signal())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve(args) => serve::run(tokio, &source, args),
        Command::Block { config, instance, users, unblock } => {
            account::block(&source, &config, &instance, &users, !unblock)
        }
        Command::Profile { config, instance, update } => {
            account::profile(&source, &config, &instance, update.as_deref())
        }
        Command::Call { config, instance, action } => account::call(&source, &config, &instance, &action),
        Command::Group { config, instance, action } => account::group(&source, &config, &instance, &action),
        Command::DeleteMedia { config, instance, media_id } => {
            account::delete_media(&source, &config, &instance, &media_id)
        }
        Command::Info => {
            let bytes = component_bytes(cli.component.as_deref())?;
            let runtime = source.runtime(&bytes, one_call_at_a_time())?;
            let info = runtime.info()?;
            let schema = runtime.config_schema()?;
            let schema: serde_json::Value =
                serde_json::from_str(&schema).context("the plugin's config schema is not JSON")?;
            let (imports, exports) = runtime.interfaces();
            // Size and digest say exactly which build of the plugin this host runs.
            let component = serde_json::json!({"bytes": bytes.len(), "sha256": hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))});
            let out = serde_json::json!({
                "plugin": wire::plugin_info(&info, &runtime),
                // What an instance's `[instances.config]` takes, as the README and every
                // configuration error point here.
                "configSchema": schema,
                "component": component,
                "imports": imports,
                "exports": exports,
            });
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "whatsapp")]
        Command::Sign { secret, body } => {
            let body = std::fs::read(&body).with_context(|| format!("reading {}", body.display()))?;
            println!("{}", signing::hub_signature(secret.as_bytes(), &body));
            Ok(ExitCode::SUCCESS)
        }
        Command::Webhook {
            config,
            body,
            headers,
            instance,
            method,
            query,
            #[cfg(feature = "whatsapp")]
            sign,
            events,
        } => {
            let config = HostConfig::load(&config)?;
            let host =
                build_host(&source, one_call_at_a_time(), &config, |channel| open_sink(&tokio, &events, channel))?;
            let id = instance_or_first(&config, instance)?;
            let body = std::fs::read(&body).with_context(|| format!("reading {}", body.display()))?;
            #[allow(unused_mut)]
            let mut header_list = headers.iter().map(|h| parse_header(h)).collect::<anyhow::Result<Vec<_>>>()?;
            #[cfg(feature = "whatsapp")]
            if sign {
                let settings = config.instances.iter().find(|i| i.id == id).context("unknown instance")?;
                let plugin_config = settings.plugin_config()?;
                let secret = plugin_config["appSecret"].as_str().context("the instance's config has no appSecret")?;
                header_list.push(("X-Hub-Signature-256".into(), signing::hub_signature(secret.as_bytes(), &body)));
            }
            let request = IncomingRequest {
                method: method.to_ascii_uppercase(),
                path: format!("/webhooks/{}/{id}", host.info().id),
                query,
                headers: header_list,
                body,
            };
            let response = host.handle_webhook(&id, &request)?;
            eprintln!("HTTP {}", response.status);
            let text = String::from_utf8_lossy(&response.body);
            if !text.is_empty() {
                eprintln!("{text}");
            }
            Ok(if (200..300).contains(&response.status) { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Doctor { config, instance, subscribe } => {
            let config = HostConfig::load(&config)?;
            let id = instance_or_first(&config, instance)?;
            let runtime =
                Arc::new(source.runtime(&component_bytes(source.component.as_deref())?, one_call_at_a_time())?);
            let http = Arc::new(UreqClient::new(ClientConfig::default()));
            let report = omni_host::doctor::diagnose(runtime, &config, &id, http, subscribe);
            print!("{}", report.render());
            Ok(if report.healthy() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Send { config, instance, message, correlation_id, events } => {
            let config = HostConfig::load(&config)?;
            let events = EventArgs { events, nats_stream: None, nats_dedup_window: 600 };
            let host =
                build_host(&source, one_call_at_a_time(), &config, |channel| open_sink(&tokio, &events, channel))?;
            let json = std::fs::read_to_string(&message).with_context(|| format!("reading {}", message.display()))?;
            let decoded = match host.decode_outgoing(&json, &[])? {
                Ok(decoded) => decoded,
                Err(field) => {
                    eprintln!("{}", wire::channel_error(&ChannelError::InvalidRequest(field)));
                    return Ok(ExitCode::FAILURE);
                }
            };
            let correlation_id =
                correlation_id.or_else(|| decoded.correlation_id.clone()).unwrap_or_else(fresh_correlation_id);
            let outcome = host.send_decoded_with_retries(
                &instance,
                &decoded,
                &correlation_id,
                &RetryPolicy::default(),
                &|wait| {
                    eprintln!("retrying in {:.1} s", wait.as_secs_f64());
                    std::thread::sleep(wait);
                },
            )?;
            match wire::parts_outcome(&outcome) {
                Ok(receipt) => {
                    println!("{receipt}");
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => {
                    eprintln!("{error}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
