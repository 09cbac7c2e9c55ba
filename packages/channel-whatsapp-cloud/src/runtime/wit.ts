/**
 * The component's WIT types, as jco generates them from `wit/` (one definition: the contract).
 * Only types: nothing here exists at run time.
 */

export type { BlockOutcome, BusinessProfile, ProfileUpdate, UserFailure } from '../../generated/component/interfaces/omni-channel-account.js';
export type { Event, EventKind, PublishError } from '../../generated/component/interfaces/omni-channel-events.js';
export type { DownloadedMedia, MediaUpload } from '../../generated/component/interfaces/omni-channel-media.js';
export type {
  Attachment,
  Content,
  DecodedMessage,
  OutgoingMessage,
  SendOptions,
  SendReceipt,
} from '../../generated/component/interfaces/omni-channel-messaging.js';
export type { HttpError, Request, Response } from '../../generated/component/interfaces/omni-channel-outbound-http.js';
export type {
  Capabilities,
  ConnectOptions,
  ConnectionInfo,
  Features,
  MediaLimit,
  PluginInfo,
  ValidatedConfig,
} from '../../generated/component/interfaces/omni-channel-plugin.js';
export type {
  ChannelError,
  ConfigProblem,
  ErrorClass,
  Instance,
  InvalidField,
  MediaKind,
  ProviderError,
  RetrySchedule,
} from '../../generated/component/interfaces/omni-channel-types.js';
export type { DeliveryLimits, IncomingRequest, OutgoingResponse, Route } from '../../generated/component/interfaces/omni-channel-webhook.js';
