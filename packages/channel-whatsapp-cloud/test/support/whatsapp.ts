/**
 * Meta's side of the tests: instance credentials, signed webhook requests, notification bodies.
 * The bodies are written here, shaped like Meta's documented examples.
 */

import { createHmac } from 'node:crypto';

import type { InstanceConfig } from '@omni/channel-sdk';

import { ACCESS_TOKEN, PHONE_NUMBER_ID } from './fake-graph.js';

export const APP_SECRET = 'test-app-secret';
export const VERIFY_TOKEN = 'test-verify-token';
export const BUSINESS_ACCOUNT_ID = '102290129340398';
export const WEBHOOK_BASE = 'http://omni.test/webhooks/whatsapp-cloud';

/** omni's instance configuration for an instance on the fake Graph API. */
export function instanceConfig(instanceId: string, graphBaseUrl: string, overrides: Record<string, unknown> = {}): InstanceConfig {
  return {
    instanceId,
    credentials: { appSecret: APP_SECRET, accessToken: ACCESS_TOKEN, webhookVerifyToken: VERIFY_TOKEN },
    options: { phoneNumberId: PHONE_NUMBER_ID, businessAccountId: BUSINESS_ACCOUNT_ID, graphBaseUrl, ...overrides },
  };
}

export function signature(body: string | Uint8Array, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A POST as Meta sends it, signed unless told otherwise. */
export function webhookPost(body: string, options: { instance?: string; signature?: string | null } = {}): Request {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const sig = options.signature === undefined ? signature(body) : options.signature;
  if (sig !== null) headers['x-hub-signature-256'] = sig;
  const url = options.instance === undefined ? WEBHOOK_BASE : `${WEBHOOK_BASE}?instance=${options.instance}`;
  return new Request(url, { method: 'POST', headers, body });
}

export function verificationGet(instance: string, token = VERIFY_TOKEN, challenge = '1158201444'): Request {
  return new Request(
    `${WEBHOOK_BASE}/${instance}?hub.mode=subscribe&hub.challenge=${challenge}&hub.verify_token=${encodeURIComponent(token)}`,
  );
}

export interface TextMessage {
  from: string;
  id: string;
  text: string;
  timestamp?: string;
  name?: string;
}

/** A `messages` notification for `phoneNumberId` with the given messages and statuses. */
export function notification(
  items: { messages?: TextMessage[]; statuses?: Array<{ id: string; status: string; recipient: string; timestamp?: string }> },
  phoneNumberId = PHONE_NUMBER_ID,
): string {
  const messages = items.messages ?? [];
  const value: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
  };
  if (messages.length > 0) {
    value.contacts = messages.map((m) => ({ profile: { name: m.name ?? 'Kerry Fisher' }, wa_id: m.from }));
    value.messages = messages.map((m) => ({
      from: m.from,
      id: m.id,
      timestamp: m.timestamp ?? '1750263773',
      type: 'text',
      text: { body: m.text },
    }));
  }
  if (items.statuses) {
    value.statuses = items.statuses.map((s) => ({
      id: s.id,
      status: s.status,
      timestamp: s.timestamp ?? '1750263800',
      recipient_id: s.recipient,
    }));
  }
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: BUSINESS_ACCOUNT_ID, changes: [{ field: 'messages', value }] }],
  });
}
