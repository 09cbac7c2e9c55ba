#!/usr/bin/env node
/**
 * The omni package against whatsapp-api-js, in the same process (`bun bench.mjs` or
 * `node bench.mjs`; `run.sh` runs both), with the same signed bodies, the same in-memory event
 * bus and plugin storage, and a fake Graph API on loopback:
 *
 * - a text webhook through `handleWebhook(Request)`, one at a time: the package (the addon's
 *   inline call, its events published to the bus with deduplication) against whatsapp-api-js
 *   as omni would call it (`await api.post(JSON.parse(raw), raw, signature)` with `on.message`
 *   publishing to the bus);
 * - a batch of 20 messages: the package maps and publishes all 20, whatsapp-api-js the first;
 * - text webhooks 8 in flight, and batches 8 in flight: calls per second;
 * - `sendMessage` (text) against a bare `fetch` of the same endpoint: the overhead;
 * - the resident memory the plugin adds, and the time from `initialize` to the first answered
 *   webhook (with the compiled component in the cache, as after omni's first start).
 *
 * Every wamid is new, so no call is a redelivery. Prints one JSON object per measure (median and
 * p99 in µs for sequential runs, calls/s for concurrent ones), rounds interleaving the two
 * libraries. A benchmark, not a test: nothing here asserts a time.
 */

import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const onBun = typeof globalThis.Bun !== 'undefined';
const runtime = onBun ? `bun ${globalThis.Bun.version}` : `node ${process.versions.node}`;
const gc = () => (onBun ? globalThis.Bun.gc(true) : globalThis.gc?.());
const rssMib = () => +(process.memoryUsage().rss / 2 ** 20).toFixed(1);
const packageDir = fileURLToPath(new URL('../../packages/channel-whatsapp-cloud/', import.meta.url));

const N = Number(process.env.BENCH_ITERATIONS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 300;
const SECRET = 'bench-app-secret';
const TOKEN = 'EAAbenchtoken';
const PHONE = '106540352242922';

gc();
const rssBefore = rssMib();

// ── omni's side: an in-memory bus and plugin storage, the same for both libraries ────────────

let published = 0;
const ring = new Array(64);
const eventBus = {
  publish: async (type, payload, metadata) => {
    ring[published++ & 63] = { type, payload, metadata };
    return { id: `e${published}`, sequence: published, stream: 'BENCH' };
  },
  publishGeneric: async (type, payload, metadata) => eventBus.publish(type, payload, metadata),
};
const memory = new Map();
const storage = {
  get: async (k) => memory.get(k) ?? null,
  set: async (k, v) => void memory.set(k, v),
  delete: async (k) => memory.delete(k),
  has: async (k) => memory.has(k),
  keys: async () => [...memory.keys()],
};
const context = {
  eventBus,
  storage,
  logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } },
  config: { env: 'production', apiBaseUrl: 'http://x', webhookBaseUrl: 'http://omni.local/webhooks', mediaStorage: { type: 'local', basePath: '/tmp/omni-bench/media' } },
  db: { execute: async () => [], getDrizzle: () => undefined },
};

// ── Meta's side ──────────────────────────────────────────────────────────────────────────────

async function fakeGraph() {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.method === 'GET') {
        res.end(JSON.stringify({ display_phone_number: '+1 555-078-3881', verified_name: 'Bench', quality_rating: 'GREEN', id: PHONE }));
      } else {
        n++;
        res.end(JSON.stringify({ messaging_product: 'whatsapp', contacts: [{ input: '16505551234', wa_id: '16505551234' }], messages: [{ id: `wamid.BENCH${n}` }] }));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}` };
}

let serial = 0;
/** A signed notification with `count` text messages, every wamid new. */
function delivery(count) {
  const messages = Array.from({ length: count }, () => ({
    from: '16315551181',
    id: `wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzOD${serial++}`,
    timestamp: '1750263773',
    type: 'text',
    text: { body: 'Hello, is the shop open today?' },
  }));
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: PHONE },
      contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: '16315551181' }],
      messages,
    } }] }],
  });
  return { body, signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
}

const URL_ = 'http://omni.local/webhooks/whatsapp-cloud/bench';
const request = ({ body, signature }) =>
  new Request(URL_, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });

// ── timing ───────────────────────────────────────────────────────────────────────────────────

async function timeEach(count, make, call) {
  const inputs = Array.from({ length: count + WARMUP }, make);
  for (let i = 0; i < WARMUP; i++) await call(inputs[i]);
  const samples = new Array(count);
  for (let i = 0; i < count; i++) {
    const input = inputs[WARMUP + i];
    const start = performance.now();
    await call(input);
    samples[i] = (performance.now() - start) * 1000;
  }
  samples.sort((a, b) => a - b);
  return { median: samples[count >> 1], p99: samples[Math.floor(count * 0.99)] };
}

async function throughput(count, parallel, make, call) {
  const inputs = Array.from({ length: count }, make);
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await call(inputs[next++]);
  }));
  return count / ((performance.now() - start) / 1000);
}

function report(measure, rows) {
  const summary = {};
  for (const [who, values] of Object.entries(rows)) {
    const sorted = [...values].sort((a, b) => a - b);
    summary[who] = { median: +sorted[sorted.length >> 1].toFixed(1), spread: [+sorted[0].toFixed(1), +sorted.at(-1).toFixed(1)] };
  }
  console.log(JSON.stringify({ runtime, measure, rounds: ROUNDS, n: N, ...summary }));
}

// ── the package ──────────────────────────────────────────────────────────────────────────────

const graph = await fakeGraph();
const entry = onBun ? `${packageDir}src/index.ts` : `${packageDir}dist/index.js`;
const { WhatsAppCloudPlugin } = await import(entry);
gc();
const rssModules = rssMib();

const started = performance.now();
const plugin = new WhatsAppCloudPlugin({ secret: 'a-bench-secret-of-at-least-32-bytes!!' });
await plugin.initialize(context);
await plugin.connect('bench', {
  instanceId: 'bench',
  credentials: { appSecret: SECRET, accessToken: TOKEN, webhookVerifyToken: 'v' },
  options: { phoneNumberId: PHONE, businessAccountId: '102290129340398', graphBaseUrl: graph.base },
});
const first = await plugin.handleWebhook(request(delivery(1)));
const firstCallMs = performance.now() - started;
if (first.status !== 200) throw new Error(`the first webhook answered ${first.status}`);
console.log(JSON.stringify({ runtime, measure: 'initialize, connect and the first webhook answered (warm cache)', ms: +firstCallMs.toFixed(1) }));

const ours = async (input) => {
  const response = await plugin.handleWebhook(request(input));
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
};
// What the package holds once it has served: before whatsapp-api-js is loaded.
await timeEach(N, () => delivery(1), ours);
gc();
const rssPackage = rssMib();

// The same package with every webhook on the addon's lane threads (none on the JavaScript
// thread): which serves omni better under concurrency.
const laned = new WhatsAppCloudPlugin({ secret: 'a-bench-secret-of-at-least-32-bytes!!', runtime: { inlineWebhooks: false } });
await laned.initialize(context);
await laned.connect('bench', {
  instanceId: 'bench',
  credentials: { appSecret: SECRET, accessToken: TOKEN, webhookVerifyToken: 'v' },
  options: { phoneNumberId: PHONE, businessAccountId: '102290129340398', graphBaseUrl: graph.base },
});
const oursLaned = async (input) => {
  const response = await laned.handleWebhook(request(input));
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
};

// ── whatsapp-api-js, as omni would call it ───────────────────────────────────────────────────

const peer = createRequire(new URL('../peers/whatsapp-api-js/', import.meta.url));
const { WhatsAppAPI } = await import(peer.resolve('whatsapp-api-js'));
const api = new WhatsAppAPI({ token: TOKEN, appSecret: SECRET, v: 'v26.0' });
api.on.message = async ({ phoneID, from, name, message }) => {
  await eventBus.publish(
    'message.received',
    { externalId: message.id, chatId: `${from}@s.whatsapp.net`, from, content: { type: message.type, text: message.text?.body }, rawPayload: { pushName: name, phoneNumberId: phoneID } },
    { correlationId: message.id, instanceId: 'bench', channelType: 'whatsapp-cloud', source: 'channel:whatsapp-cloud' },
  );
};
const theirs = async (input) => {
  const req = request(input);
  const raw = await req.text();
  await api.post(JSON.parse(raw), raw, req.headers.get('x-hub-signature-256'));
  const response = new Response(null, { status: 200 });
  if (response.status !== 200) throw new Error('unreachable');
};

// ── the measures, rounds interleaved ─────────────────────────────────────────────────────────

const who3 = () => ({ package: [], 'package, lanes only': [], 'whatsapp-api-js': [] });
const rows = { text: who3(), batch: who3(), text8: who3(), batch8: who3() };
for (let round = 0; round < ROUNDS; round++) {
  for (const [who, call] of [['package', ours], ['package, lanes only', oursLaned], ['whatsapp-api-js', theirs]]) {
    rows.text[who].push((await timeEach(N, () => delivery(1), call)).median);
    rows.batch[who].push((await timeEach(Math.max(N >> 3, 100), () => delivery(20), call)).median);
    rows.text8[who].push(await throughput(N * 2, 8, () => delivery(1), call));
    rows.batch8[who].push(await throughput(Math.max(N >> 2, 200), 8, () => delivery(20), call));
  }
}
report('text webhook through handleWebhook(Request), µs per call', rows.text);
report('batch of 20 (the package maps all 20; whatsapp-api-js the first), µs per call', rows.batch);
report('text webhooks, 8 in flight, per second', rows.text8);
report('batches of 20, 8 in flight, per second', rows.batch8);

const sends = Math.min(N, 1000);
const send = { package: [], fetch: [] };
for (let round = 0; round < ROUNDS; round++) {
  send.package.push((await timeEach(sends, () => 0, async () => {
    const result = await plugin.sendMessage('bench', { to: '+1 650 555 1234', content: { type: 'text', text: 'Your order shipped.' } });
    if (!result.success) throw new Error(result.error);
  })).median);
  send.fetch.push((await timeEach(sends, () => 0, async () => {
    const response = await fetch(`${graph.base}/v26.0/${PHONE}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '16505551234', type: 'text', text: { body: 'Your order shipped.', preview_url: false } }),
    });
    await response.arrayBuffer();
  })).median);
}
report('sendMessage (text), µs per call, against a bare fetch of the same endpoint', send);
const overhead = send.package.map((p, i) => p - send.fetch[i]).sort((a, b) => a - b);
console.log(JSON.stringify({ runtime, measure: 'sendMessage overhead over the bare fetch, µs (median of rounds)', overhead_us: +overhead[overhead.length >> 1].toFixed(1) }));

gc();
const rssAfter = rssMib();
console.log(JSON.stringify({
  runtime,
  measure: 'resident memory, MiB',
  before_imports: rssBefore,
  after_importing_the_package: rssModules,
  after_the_package_served: rssPackage,
  added_by_the_package: +(rssPackage - rssBefore).toFixed(1),
  after_all_the_runs: rssAfter,
  events_published: published,
}));
await plugin.destroy();
await laned.destroy();
graph.server.close();
