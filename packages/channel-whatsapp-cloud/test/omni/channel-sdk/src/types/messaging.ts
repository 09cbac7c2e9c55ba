import type { ContentType } from '@omni/core/types';

export interface OutgoingContent {
  type: ContentType;
  text?: string;
  mediaUrl?: string;
  mimeType?: string;
  filename?: string;
  caption?: string;
  // reaction
  emoji?: string;
  targetMessageId?: string;
  contact?: {
    name: string;
    phone?: string;
    email?: string;
  };
  location?: {
    latitude: number;
    longitude: number;
    name?: string;
    address?: string;
  };
  pix?: {
    merchantName: string;
    key: string;
    keyType: 'PHONE' | 'EMAIL' | 'CPF' | 'EVP';
  };
}

/** Metadata keys omni sets on outgoing messages. */
export interface MessageMetadata {
  /** `convert` (omni's default): Markdown to the channel's syntax; `passthrough`: as written. */
  messageFormatMode?: 'convert' | 'passthrough';
  [key: string]: unknown;
}

export interface OutgoingMessage {
  to: string;
  threadId?: string;
  content: OutgoingContent;
  replyTo?: string;
  metadata?: MessageMetadata;
}

export interface SendResult {
  success: boolean;
  messageId?: string;
  error?: string;
  errorCode?: string;
  retryable?: boolean;
  timestamp: number;
}
