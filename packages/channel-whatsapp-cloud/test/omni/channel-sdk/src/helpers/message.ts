// OutgoingMessage builders and text utilities.

import type { ContentType } from '@omni/core/types';
import type { OutgoingContent, OutgoingMessage } from '../types/messaging.js';

interface MediaOptions {
  caption?: string;
  mimeType?: string;
  replyTo?: string;
}

export function textMessage(to: string, text: string, replyTo?: string): OutgoingMessage {
  return { to, content: { type: 'text', text }, replyTo };
}

export function imageMessage(to: string, mediaUrl: string, options?: MediaOptions): OutgoingMessage {
  return {
    to,
    content: { type: 'image', mediaUrl, caption: options?.caption, mimeType: options?.mimeType ?? 'image/jpeg' },
    replyTo: options?.replyTo,
  };
}

export function documentMessage(
  to: string,
  mediaUrl: string,
  filename: string,
  options?: MediaOptions,
): OutgoingMessage {
  return {
    to,
    content: {
      type: 'document',
      mediaUrl,
      filename,
      caption: options?.caption,
      mimeType: options?.mimeType ?? 'application/octet-stream',
    },
    replyTo: options?.replyTo,
  };
}

export function audioMessage(
  to: string,
  mediaUrl: string,
  options?: { mimeType?: string; replyTo?: string },
): OutgoingMessage {
  return {
    to,
    content: { type: 'audio', mediaUrl, mimeType: options?.mimeType ?? 'audio/mpeg' },
    replyTo: options?.replyTo,
  };
}

export function videoMessage(to: string, mediaUrl: string, options?: MediaOptions): OutgoingMessage {
  return {
    to,
    content: { type: 'video', mediaUrl, caption: options?.caption, mimeType: options?.mimeType ?? 'video/mp4' },
    replyTo: options?.replyTo,
  };
}

export function reactionMessage(to: string, targetMessageId: string, emoji: string): OutgoingMessage {
  return { to, content: { type: 'reaction', emoji, targetMessageId } };
}

export function locationMessage(
  to: string,
  latitude: number,
  longitude: number,
  options?: { name?: string; address?: string; replyTo?: string },
): OutgoingMessage {
  return {
    to,
    content: {
      type: 'location',
      location: { latitude, longitude, name: options?.name, address: options?.address },
    },
    replyTo: options?.replyTo,
  };
}

/** Cuts `text` to `maxLength` characters including the ellipsis; `maxLength <= 0` means no limit. */
export function truncateText(text: string, maxLength: number, ellipsis = '...'): string {
  if (maxLength <= 0 || text.length <= maxLength) return text;
  return text.slice(0, maxLength - ellipsis.length) + ellipsis;
}

/**
 * Splits `text` into chunks of at most `maxLength`, preferring the last space unless it falls
 * in the first half of the chunk; chunks are trimmed.
 */
export function splitText(text: string, maxLength: number): string[] {
  if (maxLength <= 0 || text.length <= maxLength) return [text];

  const chunks: string[] = [];
  let rest = text;
  while (rest.length > maxLength) {
    const space = rest.lastIndexOf(' ', maxLength);
    const cut = space === -1 || space < maxLength / 2 ? maxLength : space;
    chunks.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest.length > 0) chunks.push(rest);
  return chunks;
}

export function getTextContent(content: OutgoingContent): string | undefined {
  return content.text ?? content.caption;
}

const MEDIA_TYPES: ReadonlySet<string> = new Set(['image', 'audio', 'video', 'document', 'sticker']);

export function isMediaContent(type: ContentType): boolean {
  return MEDIA_TYPES.has(type);
}
