/**
 * Calls and groups as the plugin's callers write them: each action named by `action`. The
 * native runtime reads them (omni-host's `omni::actions`), so `serve`'s API and this package
 * accept exactly the same JSON; these types only describe it.
 */

/** One side of a WebRTC session. */
export interface CallSession {
  sdpType: 'offer' | 'answer';
  sdp: string;
}

/** What to do about a call (WhatsApp's Calling API). */
export type CallAction =
  | { action: 'connect'; to: string; session: CallSession; callbackData?: string }
  | { action: 'pre_accept'; callId: string; session: CallSession }
  | { action: 'accept'; callId: string; session: CallSession; callbackData?: string }
  | { action: 'reject' | 'terminate'; callId: string };

/** What to do with a group (WhatsApp's Groups API, for eligible accounts). */
export type GroupAction =
  | { action: 'create'; subject: string; description?: string; joinApproval?: 'auto_approve' | 'approval_required' }
  | { action: 'invite_link' | 'reset_invite_link' | 'join_requests' | 'delete'; groupId: string }
  | { action: 'remove_participants'; groupId: string; users: string[] }
  | { action: 'approve_join_requests' | 'reject_join_requests'; groupId: string; requestIds: string[] };

/** What a group action did. */
export interface GroupOutcome {
  /** Matches the `group.*` event that completes an asynchronous change. */
  requestId?: string;
  inviteLink?: string;
  /** Pending requests to join (`join_requests`). */
  joinRequests: Array<{ id: string; user: string; requestedAt?: number }>;
  /** The requests approved or rejected, by id. */
  decided: string[];
  failed: Array<{ user: string; reason: string }>;
}

/** What blocking or unblocking did. */
export interface BlockOutcome {
  changed: string[];
  failed: Array<{ user: string; reason: string }>;
}

/** The business profile users see. */
export interface BusinessProfile {
  about?: string;
  address?: string;
  description?: string;
  email?: string;
  websites?: string[];
  vertical?: string;
  profilePictureUrl?: string;
}

/** A change of the business profile (`profilePictureHandle` from an upload). */
export interface ProfileUpdate {
  about: string;
  address: string;
  description: string;
  email: string;
  websites: string[];
  vertical: string;
  profilePictureHandle: string;
}
