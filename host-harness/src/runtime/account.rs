//! The `account` exports: blocked users and the business profile.

use super::{PluginError, PluginRuntime};
use crate::bindings::account::{BlockOutcome, BusinessProfile, ProfileUpdate};
use crate::bindings::types::{ChannelError, Instance};
use crate::capabilities::Capabilities;

impl PluginRuntime {
    /// `account.block-users`.
    pub fn block_users(
        &self,
        caps: Capabilities,
        instance: &Instance,
        users: &[String],
        block: bool,
    ) -> Result<Result<BlockOutcome, ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| {
            plugin.omni_channel_account().call_block_users(store, instance, users, block)
        })
    }

    /// `account.get-business-profile`.
    pub fn get_business_profile(
        &self,
        caps: Capabilities,
        instance: &Instance,
    ) -> Result<Result<BusinessProfile, ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| plugin.omni_channel_account().call_get_business_profile(store, instance))
    }

    /// `account.update-business-profile`.
    pub fn update_business_profile(
        &self,
        caps: Capabilities,
        instance: &Instance,
        update: &ProfileUpdate,
    ) -> Result<Result<(), ChannelError>, PluginError> {
        self.call(caps, false, |plugin, store| {
            plugin.omni_channel_account().call_update_business_profile(store, instance, update)
        })
    }
}
