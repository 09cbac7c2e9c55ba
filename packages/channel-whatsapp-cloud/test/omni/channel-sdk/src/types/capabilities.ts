export interface ChannelCapabilities {
  canSendText: boolean;
  canSendMedia: boolean;
  canSendReaction: boolean;
  canSendTyping: boolean;
  canReceiveReadReceipts: boolean;
  canReceiveDeliveryReceipts: boolean;
  canEditMessage: boolean;
  canDeleteMessage: boolean;
  canReplyToMessage: boolean;
  canForwardMessage: boolean;
  canSendContact: boolean;
  canSendLocation: boolean;
  canSendSticker: boolean;
  canHandleGroups: boolean;
  canHandleBroadcast: boolean;

  // rich content (optional)
  canSendEmbed?: boolean;
  canSendPoll?: boolean;
  canSendButtons?: boolean;
  canSendSelectMenu?: boolean;
  canShowModal?: boolean;
  canUseSlashCommands?: boolean;
  canUseContextMenu?: boolean;
  canHandleDMs?: boolean;
  canHandleThreads?: boolean;
  canCreateWebhooks?: boolean;
  canSendViaWebhook?: boolean;
  canHandleVoice?: boolean;
  canStreamResponse?: boolean;

  // limits; 0 means unlimited
  maxMessageLength: number;
  supportedMediaTypes: SupportedMediaType[];
  maxFileSize: number;
  maxEmbedFields?: number;
  maxButtonsPerRow?: number;
  maxRowsPerMessage?: number;
  maxSelectOptions?: number;
}

export interface SupportedMediaType {
  // may be a wildcard such as 'image/*'
  mimeType: string;
  maxSize?: number;
}

// Text only; everything else off. The optional limits are present as explicit `undefined` keys.
export const DEFAULT_CAPABILITIES: ChannelCapabilities = {
  canSendText: true,
  canSendMedia: false,
  canSendReaction: false,
  canSendTyping: false,
  canReceiveReadReceipts: false,
  canReceiveDeliveryReceipts: false,
  canEditMessage: false,
  canDeleteMessage: false,
  canReplyToMessage: false,
  canForwardMessage: false,
  canSendContact: false,
  canSendLocation: false,
  canSendSticker: false,
  canHandleGroups: false,
  canHandleBroadcast: false,
  canSendEmbed: false,
  canSendPoll: false,
  canSendButtons: false,
  canSendSelectMenu: false,
  canShowModal: false,
  canUseSlashCommands: false,
  canUseContextMenu: false,
  canHandleDMs: false,
  canHandleThreads: false,
  canCreateWebhooks: false,
  canSendViaWebhook: false,
  canHandleVoice: false,
  maxMessageLength: 0,
  supportedMediaTypes: [],
  maxFileSize: 0,
  maxEmbedFields: undefined,
  maxButtonsPerRow: undefined,
  maxRowsPerMessage: undefined,
  maxSelectOptions: undefined,
};
