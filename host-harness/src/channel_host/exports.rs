//! Each export that concerns an instance, by name: the class it runs under and its arguments,
//! through [`ChannelHost::call`]. (Sending has its own file: it retries.)

use super::{ChannelHost, HostError, status};
use crate::bindings::account::{BlockOutcome, BusinessProfile, ProfileUpdate};
use crate::bindings::calls::CallAction;
use crate::bindings::groups::{GroupAction, GroupOutcome};
use crate::bindings::media::{MediaLocation, MediaUpload};
use crate::bindings::plugin::{ConnectOptions, ConnectionInfo};
use crate::bindings::types::ChannelError;
use crate::runtime::CallClass::{Media, Provider};

/// What a call to the plugin for an instance gives: the plugin's own result, or why the host
/// could not make the call.
pub type Answer<T> = Result<Result<T, ChannelError>, HostError>;

impl ChannelHost {
    /// Checks the instance's credentials and setup with the provider (publishes
    /// `instance.connected` or `instance.disconnected`); records the outcome in its status.
    pub fn connect(&self, id: &str, options: ConnectOptions) -> Answer<ConnectionInfo> {
        let instance = self.instance(id)?;
        let result = self.call_on(&instance, Provider, None, |e, s, i| e.plugin(s)?.call_connect(s, i, options))?;
        status::note_connect(&instance, &result);
        Ok(result)
    }

    /// Marks a received message as read (optionally with a typing indicator).
    pub fn mark_read(&self, id: &str, message_id: &str, show_typing: bool) -> Answer<()> {
        self.call(id, Provider, None, |e, s, i| e.receipts(s)?.call_mark_read(s, i, message_id, show_typing))
    }

    /// Uploads a file; returns its media id. The whole file passes through the plugin.
    pub fn upload_media(&self, id: &str, upload: &MediaUpload) -> Answer<String> {
        self.call(id, Media, None, |e, s, i| e.media(s)?.call_upload_media(s, i, upload))
    }

    /// Where a received file is (the plugin asks the provider); fetch it with
    /// [`ChannelHost::open_media`]. The file never passes through the plugin.
    pub fn locate_media(&self, id: &str, media_id: &str) -> Answer<MediaLocation> {
        self.call(id, Provider, None, |e, s, i| e.media(s)?.call_locate_media(s, i, media_id))
    }

    /// Deletes an uploaded file.
    pub fn delete_media(&self, id: &str, media_id: &str) -> Answer<()> {
        self.call(id, Provider, None, |e, s, i| e.media(s)?.call_delete_media(s, i, media_id))
    }

    /// Blocks `users` from messaging instance `id`, or unblocks them.
    pub fn block_users(&self, id: &str, users: &[String], block: bool) -> Answer<BlockOutcome> {
        self.call(id, Provider, None, |e, s, i| e.account(s)?.call_block_users(s, i, users, block))
    }

    /// The instance's business profile.
    pub fn business_profile(&self, id: &str) -> Answer<BusinessProfile> {
        self.call(id, Provider, None, |e, s, i| e.account(s)?.call_get_business_profile(s, i))
    }

    /// Changes the instance's business profile.
    pub fn update_business_profile(&self, id: &str, update: &ProfileUpdate) -> Answer<()> {
        self.call(id, Provider, None, |e, s, i| e.account(s)?.call_update_business_profile(s, i, update))
    }

    /// Makes a call action: the call's id.
    pub fn act_on_call(&self, id: &str, action: &CallAction) -> Answer<String> {
        self.call(id, Provider, None, |e, s, i| e.calls(s)?.call_act_on_call(s, i, action))
    }

    /// Makes a group action.
    pub fn act_on_group(&self, id: &str, action: &GroupAction) -> Answer<GroupOutcome> {
        self.call(id, Provider, None, |e, s, i| e.groups(s)?.call_act_on_group(s, i, action))
    }
}
