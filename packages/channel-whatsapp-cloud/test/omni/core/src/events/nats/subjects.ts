// Subjects are `{domain}.{action}.{channelType}.{instanceId}`, e.g.
// `message.received.whatsapp-cloud.wa-001`; the instance id may itself contain dots.

import type { ChannelType } from '../../types/channel.js';
import type { CoreEventType, EventType } from '../types.js';

export function buildSubject(eventType: EventType, channelType: ChannelType, instanceId: string): string {
  return [eventType, channelType, instanceId].join('.');
}

export function buildSubscribePattern(
  options: {
    eventType?: CoreEventType | EventType | '*';
    channelType?: ChannelType | '*';
    instanceId?: string | '>';
  } = {},
): string {
  const { eventType = '>', channelType, instanceId = '>' } = options;

  // Nothing below the event type narrowed: a tail wildcard is enough.
  if (!channelType && instanceId === '>') {
    return eventType === '>' ? '>' : `${eventType}.>`;
  }

  // Otherwise spell out every token; an unspecified event type takes two (domain, action).
  const eventTokens = eventType === '>' ? ['*', '*'] : eventType.split('.');
  return [...eventTokens, channelType ?? '*', instanceId].join('.');
}

export interface ParsedSubject {
  domain: string;
  action: string;
  eventType: string;
  channelType: string;
  instanceId: string;
}

export function parseSubject(subject: string): ParsedSubject | null {
  const tokens = subject.split('.');
  if (tokens.length < 4) return null;

  const domain = tokens[0] ?? '';
  const action = tokens[1] ?? '';
  const channelType = tokens[2] ?? '';
  const instanceId = tokens.slice(3).join('.');
  if (domain === '' || action === '' || channelType === '' || instanceId === '') return null;

  return { domain, action, eventType: `${domain}.${action}`, channelType, instanceId };
}

export function eventTypeToPattern(eventType: EventType): string {
  return `${eventType}.>`;
}

/** NATS matching: `*` is exactly one token, `>` one or more trailing tokens. */
export function matchesPattern(subject: string, pattern: string): boolean {
  const s = subject.split('.');
  const p = pattern.split('.');
  let i = 0;
  for (; i < p.length && i < s.length; i++) {
    const token = p[i];
    if (token === '>') return true;
    if (token !== '*' && token !== s[i]) return false;
  }
  return i === s.length && i === p.length;
}
