#!/usr/bin/env node
/**
 * What the omni package costs, measured through the plugin omni loads, on the runtime that runs
 * this script (`node bench.mjs` or `bun bench.mjs`; `run.sh` runs both):
 *
 * - webhook: a signed 1-message notification through `plugin.handleWebhook(Request)` — component
 *   call, signature check, mapping, the bus publish and dedup bookkeeping — one at a time and
 *   8 at once;
 * - the same through the component runtime alone (no Request, no bus), to separate the
 *   component from the plugin around it;
 * - sendMessage: a text through `plugin.sendMessage` to a loopback fake Graph API, against a
 *   bare `fetch` of the same endpoint: the difference is the plugin's overhead.
 *
 * Prints one JSON object per measure (median, p99, mean in µs, and calls/s for the concurrent
 * ones). A benchmark, not a test: nothing here asserts a time.
 */

import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const onBun = typeof globalThis.Bun !== 'undefined';
const runtime = onBun ? `bun ${globalThis.Bun.version}` : `node ${process.versions.node}`;
const packageDir = fileURLToPath(new URL('../../packages/channel-whatsapp-cloud/', import.meta.url));
const entry = onBun ? `${packageDir}src/index.ts` : `${packageDir}dist/index.js`;
const { WhatsAppCloudPlugin, ComponentRuntime } = await import(entry);

const N = Number(process.env.BENCH_ITERATIONS ?? 2000);
const WARMUP = 200;
const SECRET = 'bench-app-secret';
const TOKEN = 'EAAbenchtoken';
const PHONE = '106540352242922';

/** The Graph endpoints a text send and connect touch, answered at once. */
async function fakeGraph() {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.method === 'GET') {
        res.end(JSON.stringify({ display_phone_number: '+1 555-078-3881', verified_name: 'Bench', id: PHONE }));
      } else {
        n++;
        res.end(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: '16505551234', wa_id: '16505551234' }], messages: [{ id: `wamid.BENCH${n}` }] }));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

function context() {
  const storage = new Map();
  return {
    eventBus: { publish: async () => ({ id: 'x', sequence: 0, stream: 'B' }), publishGeneric: async () => ({ id: 'x', sequence: 0, stream: 'B' }) },
    storage: {
      get: async (k) => storage.get(k) ?? null,
      set: async (k, v) => void storage.set(k, v),
      delete: async (k) => storage.delete(k),
      has: async (k) => storage.has(k),
      keys: async () => [...storage.keys()],
    },
    logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } },
    config: { env: 'production', apiBaseUrl: 'http://x', webhookBaseUrl: 'http://x', mediaStorage: { type: 'local', basePath: '/tmp' } },
    db: { execute: async () => [], getDrizzle: () => undefined },
  };
}

/** A signed notification with one text message; `i` makes every wamid new (no dedup shortcut). */
function notification(i) {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: PHONE },
      contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: '16315551181' }],
      messages: [{ from: '16315551181', id: `wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzOD${i}`, timestamp: '1750263773', type: 'text', text: { body: 'Hello, is the shop open today?' } }],
    } }] }],
  });
  return { body, signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
}

function stats(name, samples, extra = {}) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const row = { runtime, measure: name, n: samples.length, median_us: +at(0.5).toFixed(1), p99_us: +at(0.99).toFixed(1), mean_us: +mean.toFixed(1), ...extra };
  console.log(JSON.stringify(row));
  return row;
}

async function timeEach(count, fn) {
  for (let i = 0; i < WARMUP; i++) await fn(-1 - i);
  const samples = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await fn(i);
    samples.push((performance.now() - start) * 1000);
  }
  return samples;
}

async function concurrent(name, count, parallel, fn) {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await fn(next++);
  }));
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ runtime, measure: name, n: count, parallel, per_second: Math.round(count / seconds) }));
}

const graph = await fakeGraph();
const plugin = new WhatsAppCloudPlugin({ runtime: { inboundProcesses: 2, outboundProcesses: 2 } });
await plugin.initialize(context());
await plugin.connect('bench', {
  instanceId: 'bench',
  credentials: { appSecret: SECRET, accessToken: TOKEN, webhookVerifyToken: 'v' },
  options: { phoneNumberId: PHONE, businessAccountId: '102290129340398', graphBaseUrl: graph.base },
});

const url = 'http://omni.local/webhooks/whatsapp-cloud?instance=bench';
const webhook = async (i) => {
  const { body, signature } = notification(i);
  const response = await plugin.handleWebhook(new Request(url, { method: 'POST', headers: { 'x-hub-signature-256': signature }, body }));
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
};
stats('webhook through the plugin', await timeEach(N, webhook));
await concurrent('webhook through the plugin, 8 at once', N, 8, (i) => webhook(N + i));

// The component runtime alone: what the plugin adds around it is the difference.
const bare = await ComponentRuntime.start({ inboundProcesses: 1, outboundProcesses: 1 });
const validated = await bare.validateConfig(JSON.stringify({ appSecret: SECRET, webhookVerifyToken: 'v', phoneNumberId: PHONE, businessAccountId: '1', accessToken: TOKEN }));
const instance = { id: 'bench', config: validated.value.config };
const caps = { publish: async () => ({ tag: 'ok', val: undefined }), log() {} };
stats('webhook through the component runtime alone', await timeEach(N, async (i) => {
  const { body, signature } = notification(i);
  const request = { method: 'POST', path: '/', query: '', headers: [['x-hub-signature-256', signature]], body: new TextEncoder().encode(body) };
  const response = await bare.handleWebhook(caps, instance, [], request, { maxBodyBytes: 4n << 20n, maxEventBytes: 1n << 20n });
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
}));
bare.close();

const sends = Math.min(N, 1000);
const send = stats('sendMessage (text) through the plugin', await timeEach(sends, async () => {
  const result = await plugin.sendMessage('bench', { to: '+1 650 555 1234', content: { type: 'text', text: 'Your order shipped.' } });
  if (!result.success) throw new Error(result.error);
}));
const fetchOnly = stats('bare fetch of the same Graph endpoint', await timeEach(sends, async () => {
  const response = await fetch(`${graph.base}/v24.0/${PHONE}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messaging_product: 'whatsapp', to: '16505551234', type: 'text', text: { body: 'Your order shipped.' } }),
  });
  await response.arrayBuffer();
}));
console.log(JSON.stringify({ runtime, measure: 'sendMessage overhead (median, plugin minus bare fetch)', overhead_us: +(send.median_us - fetchOnly.median_us).toFixed(1) }));

console.log(JSON.stringify({ runtime, measure: 'rss after the run', rss_mib: +(process.memoryUsage().rss / 2 ** 20).toFixed(1) }));
await plugin.destroy();
graph.server.close();
