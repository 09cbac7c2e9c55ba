#!/usr/bin/env bun
/**
 * Where a text webhook's time goes in the package: each step `handleWebhook` takes, timed on its
 * own over 10,000 signed webhooks (every wamid new), after 2,000 to warm up. Run after the
 * package's release build (`bench/omni-package/run.sh` makes it):
 *
 *   bun bench/omni-package/steps.mjs
 *
 * Prints µs per webhook for each step. A profile, not a test.
 */

import { createHmac } from 'node:crypto';

const packageDir = new URL('../../packages/channel-whatsapp-cloud/', import.meta.url).pathname;
const { WhatsAppCloudPlugin } = await import(`${packageDir}src/index.ts`);
const { instanceOf, readBody, flatHeaders, toResponse } = await import(`${packageDir}src/webhook.ts`);

const SECRET = 'bench-app-secret';
const PHONE = '106540352242922';
const memory = new Map();
const context = {
  eventBus: { publish: async () => ({}), publishGeneric: async () => ({}) },
  storage: {
    get: async (k) => memory.get(k) ?? null,
    set: async (k, v) => void memory.set(k, v),
    delete: async (k) => memory.delete(k),
    has: async (k) => memory.has(k),
    keys: async () => [],
  },
  logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } },
  config: { env: 'production', apiBaseUrl: 'http://x', webhookBaseUrl: 'http://omni.local/webhooks', mediaStorage: { type: 'local', basePath: '/tmp/omni-bench/media' } },
  db: {},
};
const plugin = new WhatsAppCloudPlugin({ secret: 'a-bench-secret-of-at-least-32-bytes!!' });
await plugin.initialize(context);
// No Graph API to reach: the instance stays hosted (its webhooks answered) though connect fails.
await plugin
  .connect('bench', { instanceId: 'bench', credentials: { appSecret: SECRET, accessToken: 't', webhookVerifyToken: 'v' }, options: { phoneNumberId: PHONE, businessAccountId: '1', graphBaseUrl: 'http://127.0.0.1:9' } })
  .catch(() => {});
const host = plugin.host;
const publisher = plugin.publisher;

let serial = 0;
function delivery() {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '1', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: PHONE },
      contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: '16315551181' }],
      messages: [{ from: '16315551181', id: `wamid.STEPS${serial++}`, timestamp: '1750263773', type: 'text', text: { body: 'Hello, is the shop open today?' } }],
    } }] }],
  });
  return { body, signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
}

const WARMUP = 2000;
const N = 10000;
const inputs = Array.from({ length: WARMUP + N }, delivery);
const spent = {};
let counting = false;
const step = (name, started) => {
  if (counting) spent[name] = (spent[name] ?? 0) + performance.now() - started;
};
for (let i = 0; i < inputs.length; i++) {
  counting = i >= WARMUP;
  const { body, signature } = inputs[i];
  let t = performance.now();
  const request = new Request('http://omni.local/webhooks/whatsapp-cloud/bench', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  });
  step('the Request (omni makes it)', t);
  t = performance.now();
  const url = new URL(request.url);
  const receiver = host.isMediaLink(url.pathname) ? null : host.webhookReceiver(instanceOf(url) ?? null);
  const bytes = await readBody(request, 4 << 20);
  const headers = flatHeaders(request.headers);
  step('reading it: URL, routing (two Node-API calls), body, headers', t);
  t = performance.now();
  const attempt = host.webhookInline(receiver, 'POST', url.pathname, '', headers, bytes);
  step('the component call on the JavaScript thread (webhookInline)', t);
  t = performance.now();
  const outcome = await publisher.publish(attempt.events);
  step('publishing the event (dedup in plugin storage, the bus, the chat index)', t);
  t = performance.now();
  const response = toResponse(attempt.settle(outcome));
  step('the answer (settle, Response)', t);
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
}
for (const [name, ms] of Object.entries(spent)) console.log(`${((ms * 1000) / N).toFixed(1).padStart(7)} µs  ${name}`);
await plugin.destroy();
