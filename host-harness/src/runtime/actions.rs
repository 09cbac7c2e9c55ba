//! The provider actions a caller asks for by name: `calls.act-on-call`,
//! `groups.act-on-group`, `media.delete-media`.

use super::{PluginError, PluginRuntime};
use crate::bindings::calls::CallAction;
use crate::bindings::groups::{GroupAction, GroupOutcome};
use crate::bindings::types::{ChannelError, Instance};
use crate::capabilities::Capabilities;

impl PluginRuntime {
    /// `calls.act-on-call`.
    pub fn act_on_call(
        &self,
        caps: Capabilities,
        instance: &Instance,
        action: &CallAction,
    ) -> Result<Result<String, ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| plugin.omni_channel_calls().call_act_on_call(store, instance, action))
    }

    /// `groups.act-on-group`.
    pub fn act_on_group(
        &self,
        caps: Capabilities,
        instance: &Instance,
        action: &GroupAction,
    ) -> Result<Result<GroupOutcome, ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| plugin.omni_channel_groups().call_act_on_group(store, instance, action))
    }

    /// `media.delete-media`.
    pub fn delete_media(
        &self,
        caps: Capabilities,
        instance: &Instance,
        media_id: &str,
    ) -> Result<Result<(), ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| plugin.omni_channel_media().call_delete_media(store, instance, media_id))
    }
}
