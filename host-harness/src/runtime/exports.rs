//! A component's exports, probed once when it is loaded: the core interfaces every channel
//! has, and whichever optional ones it implements (Spin's way: handler types found once from
//! the `InstancePre`, never per call). A call loads (type-checks) only the interface it uses.

use omni_channel_vocabulary::{CONTRACT, OptionalInterface};
use wasmtime::Store;
use wasmtime::component::{Instance, InstancePre};
use wasmtime::error::Context as _;

use crate::bindings::{account, calls, groups, media, messaging, plugin, receipts, webhook};
use crate::capabilities::HostState;

/// Where each export is in the component; `None` for an optional interface it lacks.
#[derive(Clone)]
pub struct ExportIndices {
    plugin: plugin::GuestIndices,
    webhook: webhook::GuestIndices,
    messaging: messaging::GuestIndices,
    receipts: Option<receipts::GuestIndices>,
    media: Option<media::GuestIndices>,
    account: Option<account::GuestIndices>,
    calls: Option<calls::GuestIndices>,
    groups: Option<groups::GuestIndices>,
}

/// A call to an interface the channel does not export.
#[derive(Debug)]
pub struct Unsupported(pub OptionalInterface);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the channel does not implement `{}`", self.0.name())
    }
}

impl std::error::Error for Unsupported {}

/// `omni:channel/{name}@{version}`.
fn export_name(interface: &str) -> String {
    let (package, version) = CONTRACT.split_once('@').unwrap_or((CONTRACT, ""));
    format!("{package}/{interface}@{version}")
}

impl ExportIndices {
    /// Finds the exports. A core interface missing, or any interface present with the wrong
    /// type, fails the load: that component was built for another contract.
    pub fn probe(pre: &InstancePre<HostState>) -> anyhow::Result<Self> {
        let component = pre.component();
        let present =
            |interface: OptionalInterface| component.get_export_index(None, &export_name(interface.name())).is_some();
        let core =
            |name: &str| format!("the component does not export `{}`, which every channel must", export_name(name));
        macro_rules! optional {
            ($interface:ident, $module:ident) => {
                if present(OptionalInterface::$interface) {
                    Some($module::GuestIndices::new(pre).with_context(|| {
                        format!(
                            "`{}` does not have the contract's type",
                            export_name(OptionalInterface::$interface.name())
                        )
                    })?)
                } else {
                    None
                }
            };
        }
        Ok(Self {
            plugin: plugin::GuestIndices::new(pre).with_context(|| core("plugin"))?,
            webhook: webhook::GuestIndices::new(pre).with_context(|| core("webhook"))?,
            messaging: messaging::GuestIndices::new(pre).with_context(|| core("messaging"))?,
            receipts: optional!(Receipts, receipts),
            media: optional!(Media, media),
            account: optional!(Account, account),
            calls: optional!(Calls, calls),
            groups: optional!(Groups, groups),
        })
    }

    /// Whether the component implements `interface`.
    pub fn supports(&self, interface: OptionalInterface) -> bool {
        match interface {
            OptionalInterface::Receipts => self.receipts.is_some(),
            OptionalInterface::Media => self.media.is_some(),
            OptionalInterface::Account => self.account.is_some(),
            OptionalInterface::Calls => self.calls.is_some(),
            OptionalInterface::Groups => self.groups.is_some(),
        }
    }
}

/// One instance's exports, loaded on demand in its store.
pub struct Exports<'a> {
    pub(super) instance: &'a Instance,
    pub(super) indices: &'a ExportIndices,
}

/// The loaded interface, or [`Unsupported`] (as the call's error) when the channel lacks it.
fn optional<I>(indices: Option<&I>, interface: OptionalInterface) -> wasmtime::Result<&I> {
    indices.ok_or_else(|| wasmtime::Error::new(Unsupported(interface)))
}

impl Exports<'_> {
    /// `plugin`.
    pub fn plugin(&self, store: &mut Store<HostState>) -> wasmtime::Result<plugin::Guest> {
        self.indices.plugin.load(store, self.instance)
    }
    /// `webhook`.
    pub fn webhook(&self, store: &mut Store<HostState>) -> wasmtime::Result<webhook::Guest> {
        self.indices.webhook.load(store, self.instance)
    }
    /// `messaging`.
    pub fn messaging(&self, store: &mut Store<HostState>) -> wasmtime::Result<messaging::Guest> {
        self.indices.messaging.load(store, self.instance)
    }
    /// `receipts`, if the channel has it.
    pub fn receipts(&self, store: &mut Store<HostState>) -> wasmtime::Result<receipts::Guest> {
        optional(self.indices.receipts.as_ref(), OptionalInterface::Receipts)?.load(store, self.instance)
    }
    /// `media`, if the channel has it.
    pub fn media(&self, store: &mut Store<HostState>) -> wasmtime::Result<media::Guest> {
        optional(self.indices.media.as_ref(), OptionalInterface::Media)?.load(store, self.instance)
    }
    /// `account`, if the channel has it.
    pub fn account(&self, store: &mut Store<HostState>) -> wasmtime::Result<account::Guest> {
        optional(self.indices.account.as_ref(), OptionalInterface::Account)?.load(store, self.instance)
    }
    /// `calls`, if the channel has it.
    pub fn calls(&self, store: &mut Store<HostState>) -> wasmtime::Result<calls::Guest> {
        optional(self.indices.calls.as_ref(), OptionalInterface::Calls)?.load(store, self.instance)
    }
    /// `groups`, if the channel has it.
    pub fn groups(&self, store: &mut Store<HostState>) -> wasmtime::Result<groups::Guest> {
        optional(self.indices.groups.as_ref(), OptionalInterface::Groups)?.load(store, self.instance)
    }
}
