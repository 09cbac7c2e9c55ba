/**
 * The plugin with omni as it is (automagik-dev/omni `dev`): what omni's API passes to
 * `connect`, its reconnects with empty settings after a restart, the URLs it serves, its
 * conventions for formatting, button taps, voice notes and edits, the error codes its API
 * answers with, and the package as omni's tooling sees it.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { InstanceConfig } from '@omni/channel-sdk';

import { WhatsAppCloudError, WhatsAppCloudPlugin } from '../../src/index.js';
import { packageRoot } from '../../src/package-root.js';
import { ACCESS_TOKEN, FakeGraph, PHONE_NUMBER_ID, graphError } from '../support/fake-graph.js';
import { type Harness, startPlugin } from '../support/harness.js';
import { type TestContext, testContext } from '../support/omni-context.js';
import { APP_SECRET, instanceConfig, notification, verificationGet, webhookPost } from '../support/whatsapp.js';

const SECRET = 'a-plugin-secret-of-at-least-32-bytes!!';
const TO = '16505551234';

/** What omni's API passes on a reconnect (start-up, monitor, restart): its own options only. */
function omniReconnect(instanceId: string): InstanceConfig {
  return { instanceId, credentials: {}, options: { forceNewQr: false } };
}

describe('connect, as omni’s API calls it', () => {
  let graph: FakeGraph;
  let ctx: TestContext;
  let plugin: WhatsAppCloudPlugin;

  before(async () => {
    graph = await FakeGraph.start();
    ctx = testContext();
    plugin = new WhatsAppCloudPlugin({ secret: SECRET, egress: [graph.baseUrl] });
    await plugin.initialize(ctx.context);
  });
  after(async () => {
    await plugin.destroy();
    await graph.stop();
  });

  test('omni’s own options (forceNewQr, token) are ignored, the channel settings used', async () => {
    const config = instanceConfig('created', graph.baseUrl);
    config.options = { forceNewQr: true, token: 'a-bot-token', ...config.options };
    await plugin.connect('created', config);
    assert.equal((await plugin.getStatus('created')).state, 'connected');
  });

  test('an instance omni never gave settings is in error, named, and not hosted', async () => {
    await assert.rejects(plugin.connect('bare', omniReconnect('bare')), (error: unknown) => {
      assert.ok(error instanceof WhatsAppCloudError);
      assert.equal(error.code, 'WHATSAPP_NOT_CONFIGURED');
      assert.match(error.message, /has no settings/);
      return true;
    });
    const status = await plugin.getStatus('bare');
    assert.deepEqual([status.state, status.error?.code], ['error', 'WHATSAPP_NOT_CONFIGURED']);
    assert.equal((await plugin.handleWebhook(verificationGet('bare'))).status, 404);
  });

  test('the settings are kept encrypted: no secret is readable in omni’s storage', async () => {
    const stored = [...ctx.storage.values.entries()].filter(([key]) => key.startsWith('settings:'));
    assert.deepEqual(stored.map(([key]) => key), ['settings:created']);
    const record = String(stored[0]?.[1].value);
    assert.match(record, /^v1\./);
    for (const secret of [APP_SECRET, ACCESS_TOKEN, PHONE_NUMBER_ID, 'a-bot-token']) assert.ok(!record.includes(secret), secret);
  });

  test('settings given again replace the kept ones key by key', async () => {
    graph.clear();
    // A rotated token (the fake Graph API knows only its own: Meta refuses this one).
    const rotate = (accessToken: string) => plugin.connect('created', { instanceId: 'created', credentials: { accessToken }, options: {} });
    await assert.rejects(rotate('EAArotated'), { code: 'WHATSAPP_AUTH_FAILED' });
    assert.equal(graph.requests.at(-1)?.headers.authorization, 'Bearer EAArotated');
    // The app secret was kept: webhooks still verify, and the instance stays hosted.
    const body = notification({ messages: [{ from: '16315551181', id: 'wamid.KEPT', text: 'hi' }] });
    assert.equal((await plugin.handleWebhook(webhookPost(body, { instance: 'created' }))).status, 200);
    await rotate(ACCESS_TOKEN);
    assert.equal((await plugin.getStatus('created')).state, 'connected');
  });

  test('validateConfig names every problem before anything is kept or called', async () => {
    graph.clear();
    const config = instanceConfig('new', graph.baseUrl, { phoneNumberId: 'not-digits' });
    delete config.credentials.appSecret;
    const problems = await plugin.validateConfig(config);
    assert.deepEqual(problems.map((p) => p.field).sort(), ['/appSecret', '/phoneNumberId']);
    assert.deepEqual(await plugin.validateConfig(instanceConfig('new', graph.baseUrl)), []);
    assert.equal((await plugin.validateConfig(omniReconnect('new')))[0]?.field, '');
    assert.equal(graph.requests.length, 0);
    assert.equal(ctx.storage.values.has('settings:new'), false);
  });
});

describe('omni restarts', () => {
  let graph: FakeGraph;
  let ctx: TestContext;

  before(async () => {
    graph = await FakeGraph.start();
    ctx = testContext();
    const first = new WhatsAppCloudPlugin({ secret: SECRET, egress: [graph.baseUrl] });
    await first.initialize(ctx.context);
    await first.connect('acme', instanceConfig('acme', graph.baseUrl));
    await first.destroy();
  });
  after(async () => graph.stop());

  /** A new omni process: the same database (plugin storage) and secret, a new plugin. */
  async function restarted(secret = SECRET): Promise<WhatsAppCloudPlugin> {
    const plugin = new WhatsAppCloudPlugin({ secret, egress: [graph.baseUrl] });
    await plugin.initialize(ctx.context);
    return plugin;
  }

  test('omni stopping publishes no instance.disconnected (omni would mark the instance inactive)', async () => {
    const plugin = await restarted();
    await plugin.connect('acme', omniReconnect('acme'));
    ctx.bus.clear();
    await plugin.destroy();
    assert.deepEqual(ctx.bus.of('instance.disconnected'), []);
  });

  test('omni’s reconnect with empty settings connects with the kept ones', async () => {
    const plugin = await restarted();
    try {
      ctx.bus.clear();
      await plugin.connect('acme', omniReconnect('acme'));
      assert.equal((await plugin.getStatus('acme')).state, 'connected');
      assert.equal(ctx.bus.of('instance.connected')[0]?.payload.ownerIdentifier, '+1 555-078-3881');
      const body = notification({ messages: [{ from: '16315551181', id: 'wamid.AFTER', text: 'still here?' }] });
      assert.equal((await plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
      assert.equal(ctx.bus.of('message.received')[0]?.payload.externalId, 'wamid.AFTER');
      const sent = await plugin.sendMessage('acme', { to: TO, content: { type: 'text', text: 'yes' } });
      assert.equal(sent.success, true, sent.error);
    } finally {
      await plugin.destroy();
    }
  });

  test('a reconnect Meta refuses keeps the instance hosted and its settings kept', async () => {
    const plugin = await restarted();
    try {
      graph.respond(graphError(503, 2, 'Service temporarily unavailable'));
      await assert.rejects(plugin.connect('acme', omniReconnect('acme')), { code: 'WHATSAPP_SEND_FAILED' });
      assert.equal((await plugin.getStatus('acme')).state, 'error', 'omni’s monitor reconnects an instance in error');
      // Meta's deliveries are still taken meanwhile.
      const body = notification({ messages: [{ from: '16315551181', id: 'wamid.DURING', text: 'hello?' }] });
      assert.equal((await plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
      // The monitor's next try works.
      await plugin.connect('acme', omniReconnect('acme'));
      assert.equal((await plugin.getStatus('acme')).state, 'connected');
    } finally {
      await plugin.destroy();
    }
  });

  test('under another secret the kept settings do not decrypt: said, and asked for again', async () => {
    const plugin = await restarted('another-secret-also-32-bytes-or-more!!');
    try {
      await assert.rejects(plugin.connect('acme', omniReconnect('acme')), { code: 'WHATSAPP_NOT_CONFIGURED' });
      assert.ok(ctx.logger.lines.some((l) => l.level === 'warn' && /unreadable/.test(l.message) && l.data?.instanceId === 'acme'));
    } finally {
      await plugin.destroy();
    }
  });

  test('without a configured secret, one is generated beside omni’s data and reused', async () => {
    const data = mkdtempSync(join(tmpdir(), 'omni-data-'));
    const own = testContext();
    own.context.config.mediaStorage = { type: 'local', basePath: join(data, 'media') };
    const saved = process.env.WHATSAPP_CLOUD_SECRET;
    delete process.env.WHATSAPP_CLOUD_SECRET;
    // The operator's origins from omni's environment, as the plugin's options give none.
    process.env.WHATSAPP_CLOUD_EGRESS = `https://graph.facebook.com, ${graph.baseUrl}`;
    try {
      const first = new WhatsAppCloudPlugin();
      await first.initialize(own.context);
      await first.connect('acme', instanceConfig('acme', graph.baseUrl));
      await first.destroy();
      const keyFile = join(data, 'whatsapp-cloud', 'secret.key');
      assert.ok(readFileSync(keyFile, 'utf8').length >= 32);
      const second = new WhatsAppCloudPlugin();
      await second.initialize(own.context);
      await second.connect('acme', omniReconnect('acme'));
      assert.equal((await second.getStatus('acme')).state, 'connected');
      await second.destroy();
    } finally {
      if (saved !== undefined) process.env.WHATSAPP_CLOUD_SECRET = saved;
      delete process.env.WHATSAPP_CLOUD_EGRESS;
      rmSync(data, { recursive: true, force: true });
    }
  });

  test('logout erases the kept settings', async () => {
    const plugin = await restarted();
    try {
      await plugin.connect('acme', omniReconnect('acme'));
      await plugin.logout('acme');
      assert.equal(ctx.storage.values.has('settings:acme'), false);
      assert.equal((await plugin.handleWebhook(verificationGet('acme'))).status, 404);
      await assert.rejects(plugin.connect('acme', omniReconnect('acme')), { code: 'WHATSAPP_NOT_CONFIGURED' });
    } finally {
      await plugin.destroy();
    }
  });
});

describe('omni’s conventions', () => {
  let h: Harness;
  before(async () => {
    h = await startPlugin({ secret: SECRET });
  });
  after(async () => h.close());

  test('media links sit under omni’s webhook base once, and omni fetches the file from them', async () => {
    h.bus.clear();
    const bytes = Buffer.from('ffd8ffe0 a small jpeg');
    const mediaId = h.graph.storeMedia(bytes, 'image/jpeg');
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
        messages: [{ from: '16315551181', id: 'wamid.IMG', timestamp: '1750263773', type: 'image', image: { id: mediaId, mime_type: 'image/jpeg' } }],
      } }] }],
    });
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    const link = new URL(h.bus.of('message.received')[0]?.payload.content.mediaUrl as string);
    // omni's webhookBaseUrl is `http://{host}:{port}/webhooks`.
    assert.equal(`${link.origin}${link.pathname}`, `${h.context.config.webhookBaseUrl}/whatsapp-cloud/media/acme/${mediaId}`);
    const file = await h.plugin.handleWebhook(new Request(link.href));
    assert.deepEqual([file.status, Buffer.from(await file.arrayBuffer())], [200, bytes]);
  });

  test('text is converted from Markdown unless omni says passthrough', async () => {
    h.graph.clear();
    await h.plugin.sendMessage('acme', { to: TO, content: { type: 'text', text: '**thanks**, see [docs](https://x.io)' } });
    await h.plugin.sendMessage('acme', {
      to: TO,
      content: { type: 'text', text: '**thanks**' },
      metadata: { messageFormatMode: 'passthrough' },
    });
    assert.deepEqual(h.graph.sent().map((b) => b.text.body), ['*thanks*, see docs (https://x.io)', '**thanks**']);
  });

  test('a tapped button is a message.button_click beside the message', async () => {
    h.bus.clear();
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
        messages: [{ from: '16315551181', id: 'wamid.TAP', timestamp: '1750263773', type: 'interactive',
          context: { from: '15550783881', id: 'wamid.MENU' },
          interactive: { type: 'button_reply', button_reply: { id: 'confirm-42', title: 'Confirm' } } }],
      } }] }],
    });
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    const [click] = h.bus.of('message.button_click');
    assert.equal(click?.generic, false, 'a core event of omni’s');
    assert.deepEqual(
      { messageId: click?.payload.messageId, data: click?.payload.data, text: click?.payload.text, from: click?.payload.from },
      { messageId: 'wamid.MENU', data: 'confirm-42', text: 'Confirm', from: '16315551181' },
    );
    assert.deepEqual([click?.metadata.instanceId, click?.metadata.channelType], ['acme', 'whatsapp-cloud']);
    assert.equal(h.bus.of('message.received')[0]?.payload.content.text, 'Confirm');
  });

  test('a voice note says so in omni’s words; an edit is the message it replaces', async () => {
    h.bus.clear();
    const value = (messages: unknown[]) => JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'messages', value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
        messages,
      } }] }],
    });
    const body = value([
      { from: '16315551181', id: 'wamid.VOICE', timestamp: '1750263773', type: 'audio', audio: { id: '77', mime_type: 'audio/ogg; codecs=opus', voice: true } },
      { from: '16315551181', id: 'wamid.EDIT', timestamp: '1750263800', type: 'edit',
        edit: { original_message_id: 'wamid.ORIG', message: { type: 'text', text: { body: 'corrected' } } } },
    ]);
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    const [voice, edit] = h.bus.of('message.received');
    assert.equal(voice?.payload.content.isVoiceNote, true);
    assert.equal(edit?.payload.externalId, 'wamid.ORIG');
    assert.deepEqual(edit?.payload.content, { type: 'text', text: 'corrected' });
    assert.deepEqual([edit?.payload.rawPayload.isEdited, edit?.payload.rawPayload.editDate], [true, 1_750_263_800_000]);
  });

  test('errors carry the codes omni’s API answers with', async () => {
    h.graph.respond(graphError(401, 190, 'Error validating access token'));
    await assert.rejects(h.plugin.markAsRead('acme', '16315551181@s.whatsapp.net', ['wamid.X']), {
      code: 'WHATSAPP_AUTH_FAILED',
      providerCode: '190',
    });
    await assert.rejects(h.plugin.getProfile('nobody'), { code: 'WHATSAPP_NOT_CONNECTED' });
  });
});

describe('the package in omni’s tooling', () => {
  const root = packageRoot;

  test('its .gitignore keeps what the package needs at run time (generated/) in omni’s repository', () => {
    const repo = mkdtempSync(join(tmpdir(), 'omni-repo-'));
    try {
      execFileSync('git', ['init', '-q', repo]);
      const copy = join(repo, 'packages', 'channel-whatsapp-cloud');
      cpSync(join(root, '.gitignore'), join(copy, '.gitignore'));
      const ignored = (path: string) => {
        try {
          execFileSync('git', ['-C', repo, 'check-ignore', '-q', path]);
          return true;
        } catch {
          return false;
        }
      };
      assert.equal(ignored('packages/channel-whatsapp-cloud/generated/plugin-info.json'), false);
      assert.equal(ignored('packages/channel-whatsapp-cloud/node_modules/x.js'), true);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  test('its tsconfig is a channel package’s of omni: it extends omni’s root settings', () => {
    const tsconfig = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as { extends: string; include: string[] };
    assert.equal(tsconfig.extends, '../../tsconfig.json');
    assert.deepEqual(tsconfig.include, ['src/**/*']);
  });
});
