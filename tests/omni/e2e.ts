/**
 * The channel in a real omni, end to end: omni's API on Bun with PostgreSQL and NATS JetStream,
 * the package copied into omni's `packages/` and omni's patches applied (see
 * `scripts/omni-e2e.sh`, which prepares all that and runs this), and a fake Graph API on
 * loopback standing in for Meta.
 *
 * Every step drives omni through its own doors — its REST API with its API key, the webhook
 * route Meta calls without one — and checks what omni itself did: its `messages` and `chats`
 * rows, its NATS subjects, its media storage. Then omni is restarted and the instance must
 * work again. Prints one line per step and exits non-zero if any failed.
 *
 * Run by Bun from omni's checkout (its `nats` and `postgres` packages are used).
 */

import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { ACCESS_TOKEN, FakeGraph, PHONE_NUMBER_ID } from '../../packages/channel-whatsapp-cloud/test/support/fake-graph.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (scripts/omni-e2e.sh sets it)`);
  return value;
};

const OMNI = env('OMNI_DIR');
const API = `http://127.0.0.1:${env('API_PORT')}`;
const API_KEY = env('OMNI_API_KEY');
const DATABASE_URL = env('DATABASE_URL');
const NATS_URL = env('NATS_URL');
const ENV_FILE = env('OMNI_ENV_FILE');
const MEDIA = env('MEDIA_STORAGE_PATH');
const LOG = env('OMNI_LOG');

const APP_SECRET = 'e2e-app-secret';
const VERIFY_TOKEN = 'e2e-verify-token';
const BUSINESS_ACCOUNT_ID = '102290129340398';
const CUSTOMER = '16315551181';
const CHAT = `${CUSTOMER}@s.whatsapp.net`;

// omni's own clients for its database and bus, from its workspace.
const fromApi = createRequire(join(OMNI, 'packages/api/package.json'));
const fromDb = createRequire(join(OMNI, 'packages/db/package.json'));
const { connect: natsConnect, StringCodec } = (await import(fromApi.resolve('nats'))) as typeof import('nats');
const postgres = ((await import(fromDb.resolve('postgres'))) as { default: (url: string) => any }).default;

// ── the step runner ────────────────────────────────────────────

const results: Array<{ step: string; ok: boolean; detail: string }> = [];

async function step(name: string, run: () => Promise<string | void>): Promise<boolean> {
  const started = Date.now();
  try {
    const detail = (await run()) ?? '';
    results.push({ step: name, ok: true, detail });
    console.log(`PASS  ${name}${detail ? ` — ${detail}` : ''} (${Date.now() - started} ms)`);
    return true;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    results.push({ step: name, ok: false, detail });
    console.log(`FAIL  ${name} — ${detail}`);
    return false;
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** JSON with object keys sorted: equal values print alike whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function same(actual: unknown, expected: unknown, what: string): void {
  const a = canonical(actual);
  const e = canonical(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

/** Polls until `probe` returns a value (not undefined/null/false), or fails after `ms`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last ? ` (${String(last)})` : ''}`);
    await Bun.sleep(150);
  }
}

// ── omni: its process, its API, its database, its bus ──────────

let omni: ReturnType<typeof Bun.spawn> | undefined;
let starts = 0;

async function startOmni(): Promise<number> {
  const started = Date.now();
  starts++;
  omni = Bun.spawn(['bun', `--env-file=${ENV_FILE}`, 'packages/api/src/index.ts'], {
    cwd: OMNI,
    // The operator lets instances reach the fake Graph API (a loopback origin, refused unless
    // listed: omni's API callers choose an instance's Graph base URL).
    env: { ...process.env, WHATSAPP_CLOUD_EGRESS: graph.baseUrl },
    stdout: Bun.file(starts === 1 ? LOG : `${LOG}.${starts}`),
    stderr: Bun.file(`${starts === 1 ? LOG : `${LOG}.${starts}`}.stderr`),
  });
  await eventually('omni answering /api/v2/health', async () => (await fetch(`${API}/api/v2/health`)).ok, 60_000);
  return Date.now() - started;
}

async function stopOmni(): Promise<void> {
  if (!omni) return;
  omni.kill('SIGTERM');
  const exited = await Promise.race([omni.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
  if (!exited) omni.kill('SIGKILL');
  await omni.exited;
  omni = undefined;
}

async function api(method: string, path: string, body?: unknown, key: string | null = API_KEY): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers['x-api-key'] = key;
  const response = await fetch(`${API}/api/v2${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json: any = text;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, json };
}

/** What Meta sends: a request to omni's channel webhook route, signed, without omni's API key. */
async function metaPost(instanceId: string, body: string, signature = sign(body)): Promise<Response> {
  return fetch(`${API}/webhooks/whatsapp-cloud/${instanceId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  });
}

function sign(body: string): string {
  return `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}`;
}

function notification(items: { messages?: unknown[]; statuses?: unknown[] }): string {
  const value: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
  };
  if (items.messages) {
    value.contacts = [{ profile: { name: 'Kerry Fisher' }, wa_id: CUSTOMER }];
    value.messages = items.messages;
  }
  if (items.statuses) value.statuses = items.statuses;
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: BUSINESS_ACCOUNT_ID, changes: [{ field: 'messages', value }] }] });
}

const sql = postgres(DATABASE_URL);

async function messageRow(externalId: string): Promise<any | undefined> {
  const rows = await sql`
    select m.external_id, m.text_content, m.message_type, m.delivery_status, m.is_from_me, m.media_local_path,
           m.media_url, m.reactions, m.edited_at, m.original_text, c.external_id as chat_external_id
    from messages m join chats c on c.id = m.chat_id where m.external_id = ${externalId}`;
  return rows[0];
}

/** Every event omni's bus carries for the channel, once each (a core subscription sees
 * JetStream's publishes, and again each delivery to omni's push consumers: omni's event id
 * tells them apart). */
const bus: Array<{ subject: string; data: any }> = [];
const nats = await natsConnect({ servers: NATS_URL });
const codec = StringCodec();
const subscription = nats.subscribe('>');
(async () => {
  for await (const message of subscription) {
    let data: unknown;
    try {
      data = JSON.parse(codec.decode(message.data));
    } catch {
      data = codec.decode(message.data);
    }
    const id = (data as { id?: string } | undefined)?.id;
    if (message.subject.includes('.whatsapp-cloud.') && !bus.some((e) => e.data?.id === id)) bus.push({ subject: message.subject, data });
  }
})();
const onBus = (subject: string) => bus.filter((e) => e.subject === subject);

// ── the flow ───────────────────────────────────────────────────

const graph = await FakeGraph.start();
let instanceId = '';
const settings = () => ({
  credentials: { appSecret: APP_SECRET, accessToken: ACCESS_TOKEN, webhookVerifyToken: VERIFY_TOKEN },
  options: { phoneNumberId: PHONE_NUMBER_ID, businessAccountId: BUSINESS_ACCOUNT_ID, graphBaseUrl: graph.baseUrl },
});

try {
  await step('omni starts with the package among its channels', async () => {
    const ms = await startOmni();
    const channels = await api('GET', '/instances/supported-channels');
    const ours = channels.json.items?.find((c: any) => c.id === 'whatsapp-cloud');
    check(ours?.loaded === true, `whatsapp-cloud not loaded: ${JSON.stringify(ours)}`);
    check(ours.configSchema?.properties?.appSecret?.writeOnly === true, 'no config schema in supported-channels');
    return `healthy after ${ms} ms, configSchema listed`;
  });

  await step('unusable settings are refused by field before omni stores the instance', async () => {
    const bad = settings();
    delete (bad.credentials as Record<string, unknown>).appSecret;
    const response = await api('POST', '/instances', { name: 'e2e-refused', channel: 'whatsapp-cloud', ...bad });
    same(response.status, 400, 'status');
    check(response.json.error?.details?.fields?.['/appSecret'], `no field named: ${JSON.stringify(response.json)}`);
    const rows = await sql`select id from instances where name = 'e2e-refused'`;
    same(rows.length, 0, 'instances stored');
    return `400 ${response.json.error.message}`;
  });

  await step('create an instance through omni’s REST API: it connects', async () => {
    const created = await api('POST', '/instances', { name: 'e2e-cloud', channel: 'whatsapp-cloud', ...settings() });
    same(created.status, 201, `create (${JSON.stringify(created.json)})`);
    instanceId = created.json.data.id;
    const status = await eventually('connected', async () => {
      const s = await api('GET', `/instances/${instanceId}/status`);
      return s.json.data?.state === 'connected' && s.json.data;
    });
    const phone = graph.requests.find((r) => r.method === 'GET' && r.path.endsWith(`/${PHONE_NUMBER_ID}`));
    check(phone?.headers.authorization === `Bearer ${ACCESS_TOKEN}`, 'Meta was not asked with the token');
    const [row] = await eventually('owner identifier stored', async () => {
      const r = await sql`select is_active, owner_identifier from instances where id = ${instanceId}`;
      return r[0]?.owner_identifier ? r : undefined;
    });
    return `instance ${instanceId}: ${status.state}, active ${row.is_active}, owner ${row.owner_identifier}`;
  });

  await step('Meta’s verification GET, without an API key', async () => {
    const response = await fetch(
      `${API}/webhooks/whatsapp-cloud/${instanceId}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
    );
    same([response.status, await response.text()], [200, '1158201444'], 'answer');
    const wrong = await fetch(`${API}/webhooks/whatsapp-cloud/${instanceId}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    same(wrong.status, 403, 'a wrong verify token');
    return 'challenge echoed; a wrong token 403';
  });

  const text = notification({ messages: [{ from: CUSTOMER, id: 'wamid.E2E-TEXT', timestamp: '1750263773', type: 'text', text: { body: 'Hello omni, é 🎉' } }] });
  await step('a signed POST becomes omni’s message (its messages table and NATS)', async () => {
    const response = await metaPost(instanceId, text);
    same(response.status, 200, 'webhook answer');
    const row = await eventually('message row', () => messageRow('wamid.E2E-TEXT'));
    same([row.text_content, row.chat_external_id, row.is_from_me], ['Hello omni, é 🎉', CHAT, false], 'row');
    const events = await eventually('on NATS', async () => onBus(`message.received.whatsapp-cloud.${instanceId}`).length === 1 && onBus(`message.received.whatsapp-cloud.${instanceId}`));
    same(events[0]?.data.payload?.externalId, 'wamid.E2E-TEXT', 'NATS payload');
    same(events[0]?.data.metadata?.source, 'channel:whatsapp-cloud', 'metadata');
    const logged = await eventually('omni_events row', async () => (await sql`select event_type from omni_events where external_id = 'wamid.E2E-TEXT'`)[0]);
    same(logged.event_type, 'message.received', 'omni_events');
    return 'one messages row, one omni_events row, one message.received';
  });

  await step('a forged POST is refused; a redelivery is published once', async () => {
    const forged = await metaPost(instanceId, text, `sha256=${'0'.repeat(64)}`);
    same(forged.status, 401, 'forged');
    same((await metaPost(instanceId, text)).status, 200, 'redelivery');
    await Bun.sleep(1_000);
    same(onBus(`message.received.whatsapp-cloud.${instanceId}`).length, 1, 'message.received on NATS');
    const rows = await sql`select count(*)::int as n from messages where external_id = 'wamid.E2E-TEXT'`;
    same(rows[0].n, 1, 'messages rows');
    return 'forged 401, redelivery 200 and dropped';
  });

  let sentId = '';
  await step('a send through omni’s REST API: the exact Graph body, Markdown converted', async () => {
    graph.clear();
    const response = await api('POST', '/messages/send', { instanceId, to: CUSTOMER, text: '**Thanks** for writing, see [the menu](https://example.com/menu)' });
    same(response.status, 201, `send (${JSON.stringify(response.json)})`);
    sentId = response.json.data.messageId;
    same(graph.sent(), [
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: CUSTOMER,
        type: 'text',
        text: { body: '*Thanks* for writing, see the menu (https://example.com/menu)', preview_url: false },
      },
    ], 'Graph body');
    const row = await eventually('outgoing row', () => messageRow(sentId));
    same(row.is_from_me, true, 'stored as ours');
    return `wamid ${sentId}`;
  });

  await step('delivery and read receipts reach omni’s message', async () => {
    const receipt = (status: string, timestamp: string) => ({ id: sentId, status, timestamp, recipient_id: CUSTOMER });
    same((await metaPost(instanceId, notification({ statuses: [receipt('delivered', '1750263800')] }))).status, 200, 'delivered');
    await eventually('delivered', async () => (await messageRow(sentId))?.delivery_status === 'delivered');
    same((await metaPost(instanceId, notification({ statuses: [receipt('read', '1750263900')] }))).status, 200, 'read');
    await eventually('read', async () => (await messageRow(sentId))?.delivery_status === 'read');
    check(onBus(`message.read.whatsapp-cloud.${instanceId}`).length === 1, 'message.read on NATS');
    return 'delivery_status delivered, then read';
  });

  await step('a reaction: reaction.received for omni’s agents, the reaction stored as a message', async () => {
    const body = notification({ messages: [{ from: CUSTOMER, id: 'wamid.E2E-REACT', timestamp: '1750263950', type: 'reaction', reaction: { message_id: sentId, emoji: '👍' } }] });
    same((await metaPost(instanceId, body)).status, 200, 'webhook');
    const event = await eventually('reaction.received', async () => onBus(`reaction.received.whatsapp-cloud.${instanceId}`)[0]);
    same([event.data.payload.messageId, event.data.payload.emoji, event.data.payload.chatId], [sentId, '👍', CHAT], 'payload');
    const row = await eventually('stored', () => messageRow('wamid.E2E-REACT'));
    same(row.message_type, 'reaction', 'message type');
    return 'reaction.received on NATS; a reaction message in messages';
  });

  await step('a received image is stored by omni’s media processor, through the signed link, no API key', async () => {
    const bytes = Buffer.from('\xff\xd8\xff\xe0 a tiny jpeg for omni', 'latin1');
    const mediaId = graph.storeMedia(bytes, 'image/jpeg');
    const body = notification({ messages: [{ from: CUSTOMER, id: 'wamid.E2E-IMAGE', timestamp: '1750264000', type: 'image', image: { id: mediaId, mime_type: 'image/jpeg', caption: 'the receipt' } }] });
    same((await metaPost(instanceId, body)).status, 200, 'webhook');
    const row = await eventually('media stored', async () => {
      const r = await messageRow('wamid.E2E-IMAGE');
      return r?.media_local_path && r;
    }, 20_000);
    const url = new URL(row.media_url);
    same(url.pathname, `/webhooks/whatsapp-cloud/media/${instanceId}/${mediaId}`, 'link path');
    const served = Buffer.from(await (await fetch(row.media_url)).arrayBuffer());
    check(served.equals(bytes), `the link serves other bytes than Meta's: ${served.toString('hex')}`);
    const file = readFileSync(join(MEDIA, row.media_local_path));
    check(file.equals(bytes), `the stored file differs from Meta's: ${file.toString('hex')}`);
    const noKey = await fetch(`${API}/api/v2/instances`);
    same(noKey.status, 401, 'omni’s API itself still wants its key');
    return `${row.media_local_path} (${file.length} bytes)`;
  });

  await step('a button tap is omni’s message.button_click; an edit updates the stored message', async () => {
    const tap = notification({ messages: [{ from: CUSTOMER, id: 'wamid.E2E-TAP', timestamp: '1750264100', type: 'interactive',
      context: { from: '15550783881', id: sentId }, interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } } }] });
    same((await metaPost(instanceId, tap)).status, 200, 'tap');
    const click = await eventually('button_click', async () => onBus(`message.button_click.whatsapp-cloud.${instanceId}`)[0]);
    same([click.data.payload.messageId, click.data.payload.data], [sentId, 'yes'], 'click');
    const edit = notification({ messages: [{ from: CUSTOMER, id: 'wamid.E2E-EDIT', timestamp: '1750264200', type: 'edit',
      edit: { original_message_id: 'wamid.E2E-TEXT', message: { type: 'text', text: { body: 'Hello omni, edited' } } } }] });
    same((await metaPost(instanceId, edit)).status, 200, 'edit');
    const row = await eventually('edit applied', async () => {
      const r = await messageRow('wamid.E2E-TEXT');
      return r?.text_content === 'Hello omni, edited' && r;
    });
    same(row.original_text, 'Hello omni, é 🎉', 'original kept by omni');
    const edits = await sql`select count(*)::int as n from messages where external_id = 'wamid.E2E-EDIT'`;
    same(edits[0].n, 0, 'an edit is not a new message');
    return 'button_click on NATS; messages row edited in place';
  });

  await step('a failed send answers with omni’s error mapping', async () => {
    graph.respond({ status: 400, body: { error: { message: 'Re-engagement message', type: 'OAuthException', code: 131047, fbtrace_id: 'x' } } });
    const response = await api('POST', '/messages/send', { instanceId, to: CUSTOMER, text: 'too late' });
    same([response.status, response.json.error?.code, response.json.error?.details?.errorCode], [502, 'CHANNEL_SEND_FAILED', 'WHATSAPP_SEND_FAILED'], 'answer');
    return response.json.error.message;
  });

  await step('omni restarts: the instance reconnects with its kept settings, receives and sends', async () => {
    await stopOmni();
    graph.clear();
    const ms = await startOmni();
    await eventually('reconnected', async () => (await api('GET', `/instances/${instanceId}/status`)).json.data?.state === 'connected', 30_000);
    const body = notification({ messages: [{ from: CUSTOMER, id: 'wamid.E2E-AFTER', timestamp: '1750265000', type: 'text', text: { body: 'after the restart' } }] });
    same((await metaPost(instanceId, body)).status, 200, 'webhook');
    const posted = Date.now();
    await eventually('on NATS', async () => onBus(`message.received.whatsapp-cloud.${instanceId}`).some((e) => e.data.payload.externalId === 'wamid.E2E-AFTER'));
    // omni's pull consumers may wait out the dead process's pending pulls (JetStream's ack wait,
    // 30 s) before a restarted omni stores new messages: omni's behaviour, not the channel's.
    await eventually('message row', () => messageRow('wamid.E2E-AFTER'), 75_000);
    const stored = Date.now() - posted;
    const sent = await api('POST', '/messages/send', { instanceId, to: CUSTOMER, text: 'still **here**' });
    same(sent.status, 201, 'send');
    same(graph.sent().at(-1)?.text?.body, 'still *here*', 'Graph body');
    const clear = await sql`select count(*)::int as n from plugin_storage where key like '%settings:%' and value like '%appSecret%'`;
    same(clear[0].n, 0, 'settings stored in the clear');
    return `restarted in ${ms} ms; received (stored by omni after ${stored} ms) and sent`;
  });
} finally {
  await stopOmni();
  subscription.unsubscribe();
  await nats.close();
  await graph.stop();
}

await Bun.write(`${LOG}.bus.json`, JSON.stringify(bus, null, 1));
const failed = results.filter((r) => !r.ok);
if (failed.length > 0) {
  const rows = await sql`select m.external_id, m.message_type, m.text_content, m.delivery_status, m.reactions, c.external_id as chat
    from messages m join chats c on c.id = m.chat_id order by m.created_at`;
  console.log('omni\'s messages:', JSON.stringify(rows, null, 1));
}
await sql.end();
console.log(`\n${results.length - failed.length} of ${results.length} steps passed${existsSync(LOG) ? ` (omni's log: ${LOG})` : ''}`);
process.exit(failed.length === 0 ? 0 : 1);
