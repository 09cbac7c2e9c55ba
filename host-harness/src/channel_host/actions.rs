//! Calls, groups and media deletion through the plugin, for an instance by id.

use super::{ChannelHost, HostError, RESPONSE_BYTES};
use crate::bindings::calls::CallAction;
use crate::bindings::groups::{GroupAction, GroupOutcome};
use crate::bindings::types::ChannelError;

impl ChannelHost {
    /// Makes a call action for instance `id`: the call's id.
    pub fn act_on_call(&self, id: &str, action: &CallAction) -> Result<Result<String, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.act_on_call(self.capabilities(&instance, RESPONSE_BYTES), &instance.wit, action)?)
    }

    /// Makes a group action for instance `id`.
    pub fn act_on_group(
        &self,
        id: &str,
        action: &GroupAction,
    ) -> Result<Result<GroupOutcome, ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.act_on_group(self.capabilities(&instance, RESPONSE_BYTES), &instance.wit, action)?)
    }

    /// Deletes an uploaded file of instance `id`.
    pub fn delete_media(&self, id: &str, media_id: &str) -> Result<Result<(), ChannelError>, HostError> {
        let instance = self.instance(id)?;
        Ok(self.runtime.delete_media(self.capabilities(&instance, RESPONSE_BYTES), &instance.wit, media_id)?)
    }
}
