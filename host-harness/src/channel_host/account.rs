//! The instance's account through the plugin: blocking users, the business profile.

use super::{ChannelHost, HostError, RESPONSE_BYTES};
use crate::bindings::account::{BlockOutcome, BusinessProfile, ProfileUpdate};
use crate::bindings::types::ChannelError;

impl ChannelHost {
    /// Blocks `users` from messaging instance `id`, or unblocks them.
    pub fn block_users(
        &self,
        id: &str,
        users: &[String],
        block: bool,
    ) -> Result<Result<BlockOutcome, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.block_users(self.capabilities(&instance, RESPONSE_BYTES), &instance.wit, users, block)?)
    }

    /// The instance's business profile.
    pub fn business_profile(&self, id: &str) -> Result<Result<BusinessProfile, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.get_business_profile(self.capabilities(&instance, RESPONSE_BYTES), &instance.wit)?)
    }

    /// Changes the instance's business profile.
    pub fn update_business_profile(
        &self,
        id: &str,
        update: &ProfileUpdate,
    ) -> Result<Result<(), ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.update_business_profile(self.capabilities(&instance, RESPONSE_BYTES), &instance.wit, update)?)
    }
}
