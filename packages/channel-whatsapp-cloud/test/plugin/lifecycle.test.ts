/**
 * The plugin as omni loads and manages it: discovery and `validatePluginInterface`,
 * capabilities from the component, `connect` with config errors by field, status, profile,
 * health, `disconnect`.
 */

import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { discoverAndRegisterPlugins, validatePluginInterface } from '@omni/channel-sdk';

import plugin, { WhatsAppCloudError, WhatsAppCloudPlugin, componentInfo } from '../../src/index.js';
import { packageRoot } from '../../src/package-root.js';
import { FakeGraph, graphError } from '../support/fake-graph.js';
import { testContext } from '../support/omni-context.js';
import { instanceConfig, verificationGet } from '../support/whatsapp.js';

describe('loading', () => {
  test('the default export passes omni’s plugin validation', () => {
    const result = validatePluginInterface(plugin);
    assert.deepEqual(result.errors, []);
    assert.equal(result.valid, true);
    assert.equal(plugin.id, 'whatsapp-cloud');
    assert.ok(plugin instanceof WhatsAppCloudPlugin);
  });

  // omni's loader imports `{package}/src/index.ts`, which only Bun runs: omni runs on Bun.
  const onlyBun = process.versions.bun === undefined && 'omni’s loader imports src/index.ts, which only Bun runs';
  test('omni’s discovery finds a copy of the built package in packages/ and registers it', { skip: onlyBun }, async () => {
    // An omni checkout in miniature: the built package copied (omni's scanner skips symlinks)
    // into its `packages/`, beside nothing else.
    const root = packageRoot;
    mkdirSync(join(root, 'test/generated'), { recursive: true });
    const omni = mkdtempSync(join(root, 'test/generated/omni-'));
    const packages = join(omni, 'packages');
    try {
      for (const part of ['package.json', 'src', 'generated']) {
        cpSync(join(root, part), join(packages, 'channel-whatsapp-cloud', part), { recursive: true });
      }
      const result = await discoverAndRegisterPlugins({ packagesDir: packages });
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.registered.map((p) => [p.id, p.name, p.version]), [['whatsapp-cloud', plugin.name, plugin.version]]);
      assert.notEqual(result.registered[0], plugin, 'the copy is its own module');
    } finally {
      rmSync(omni, { recursive: true, force: true });
    }
  });

  test('capabilities come from the component’s plugin.info', () => {
    const caps = plugin.capabilities;
    assert.equal(caps.maxMessageLength, componentInfo.capabilities.maxTextLength);
    assert.equal(caps.maxMessageLength, 4096);
    assert.equal(caps.canSendText && caps.canSendMedia && caps.canSendTyping && caps.canSendButtons, true);
    assert.equal(caps.canEditMessage || caps.canDeleteMessage || caps.canForwardMessage || caps.canSendPoll, false);
    assert.deepEqual(caps.supportedMediaTypes.find((t) => t.mimeType === 'image/jpeg'), { mimeType: 'image/jpeg', maxSize: 5 * 1024 * 1024 });
    assert.equal(caps.maxFileSize, 100 * 1024 * 1024);
    assert.equal(componentInfo.contract, 'omni:channel@0.6.0');
    assert.deepEqual(componentInfo.interfaces, ['receipts', 'media', 'account', 'calls', 'groups']);
  });

  test('the instance configuration schema is the component’s', () => {
    const schema = new WhatsAppCloudPlugin().getConfigSchema() as { properties: Record<string, { writeOnly?: boolean }>; required: string[] };
    assert.equal(schema.properties.appSecret?.writeOnly, true);
    assert.ok(schema.required.includes('phoneNumberId'));
  });
});

describe('instances', () => {
  let graph: FakeGraph;
  let subject: WhatsAppCloudPlugin;
  const ctx = testContext();

  before(async () => {
    graph = await FakeGraph.start();
    subject = new WhatsAppCloudPlugin({ egress: [graph.baseUrl] });
    await subject.initialize(ctx.context);
  });
  after(async () => {
    await subject.destroy();
    await graph.stop();
  });

  test('connect checks the credentials with Meta and publishes instance.connected with the profile', async () => {
    await subject.connect('acme', instanceConfig('acme', graph.baseUrl));
    const status = await subject.getStatus('acme');
    assert.equal(status.state, 'connected');
    assert.deepEqual(status.metadata, { profileName: 'Acme Support', ownerIdentifier: '+1 555-078-3881' });
    assert.deepEqual(subject.getConnectedInstances(), ['acme']);
    const [connected] = ctx.bus.of('instance.connected');
    assert.equal(connected?.payload.profileName, 'Acme Support');
    assert.equal(connected?.metadata.source, 'channel:whatsapp-cloud');
    const profile = await subject.getProfile('acme');
    assert.equal(profile.name, 'Acme Support');
    assert.equal(profile.platformMetadata.quality_rating, 'GREEN');
  });

  test('connect reports a missing webhook subscription, and subscribes when the instance asks', async () => {
    graph.subscribed = false;
    ctx.logger.lines.length = 0;
    // One phone number is one instance: each instance here has a number of its own.
    graph.phoneNumbers.add('106540352242931').add('106540352242932');
    await subject.connect('unsubscribed', instanceConfig('unsubscribed', graph.baseUrl, { phoneNumberId: '106540352242931' }));
    const status = await subject.getStatus('unsubscribed');
    assert.equal(status.state, 'connected', 'the credentials work');
    assert.match(status.message ?? '', /^webhook-subscription: no app is subscribed/);
    const health = await subject.getHealth();
    const warning = health.checks.find((c) => c.name === 'unsubscribed: webhook-subscription');
    assert.equal(warning?.status, 'warn');
    assert.match(String(warning?.data?.fix), /subscribed_apps/);
    assert.ok(ctx.logger.lines.some((l) => l.level === 'warn' && l.data?.check === 'webhook-subscription'));
    assert.equal(graph.subscribed, false, 'nothing is changed unless asked');

    const config = instanceConfig('subscribing', graph.baseUrl, { phoneNumberId: '106540352242932' });
    config.options = { ...config.options, subscribeWebhooks: true };
    await subject.connect('subscribing', config);
    assert.equal((await subject.getStatus('subscribing')).message, undefined);
    assert.equal(graph.subscribed, true);
    assert.ok(graph.requests.some((r) => r.method === 'POST' && r.path.endsWith('/102290129340398/subscribed_apps')));
  });

  test('the operator’s egress narrows what the component declared', async () => {
    const config = instanceConfig('narrowed', graph.baseUrl, { phoneNumberId: '106540352242933' });
    config.options = { ...config.options, egress: ['https://example.com'] };
    ctx.logger.lines.length = 0;
    // Nothing declared is granted: connect cannot reach the Graph API.
    await assert.rejects(subject.connect('narrowed', config), { code: 'WHATSAPP_SEND_FAILED', providerCode: 'unreachable' });
    assert.equal(graph.requests.filter((r) => r.path.includes('narrowed')).length, 0);
    assert.ok(ctx.logger.lines.some((l) => l.level === 'warn' && l.message.includes('not declared') && l.message.includes('https://example.com')));
  });

  test('a second instance on a number another instance serves is a configuration problem', async () => {
    graph.clear();
    await assert.rejects(subject.connect('twin', instanceConfig('twin', graph.baseUrl)), (error: unknown) => {
      assert.ok(error instanceof WhatsAppCloudError);
      assert.equal(error.code, 'WHATSAPP_INVALID_CONFIG');
      assert.match(error.message, /106540352242922/);
      return true;
    });
    assert.equal(graph.requests.length, 0, 'Meta is not asked');
  });

  test('an instance reaches only what the operator lists: a Graph API elsewhere is refused, never dialled', async () => {
    const elsewhere = await FakeGraph.start();
    try {
      elsewhere.phoneNumbers.add('106540352242935');
      const config = instanceConfig('elsewhere', elsewhere.baseUrl, { phoneNumberId: '106540352242935' });
      await assert.rejects(subject.connect('elsewhere', config), (error: unknown) => {
        assert.ok(error instanceof WhatsAppCloudError);
        assert.equal(error.code, 'WHATSAPP_INVALID_CONFIG');
        assert.match(error.message, /egress/);
        return true;
      });
      assert.equal(elsewhere.requests.length, 0, 'nothing was sent there');
    } finally {
      await elsewhere.stop();
    }
  });

  test('configuration problems are named by field, before Meta is asked', async () => {
    graph.clear();
    const config = instanceConfig('broken', graph.baseUrl, { phoneNumberId: 'not-digits' });
    delete config.credentials.appSecret;
    await assert.rejects(subject.connect('broken', config), (error: unknown) => {
      assert.ok(error instanceof WhatsAppCloudError);
      assert.equal(error.code, 'WHATSAPP_INVALID_CONFIG');
      assert.deepEqual(error.problems.map((p) => p.field).sort(), ['/appSecret', '/phoneNumberId']);
      return true;
    });
    assert.equal(graph.requests.length, 0);
    const status = await subject.getStatus('broken');
    assert.equal(status.state, 'error');
    assert.equal(status.error?.code, 'WHATSAPP_INVALID_CONFIG');
  });

  test('a token Meta refuses fails connect with its code and publishes instance.disconnected', async () => {
    ctx.bus.clear();
    graph.respond(graphError(401, 190, 'Error validating access token: The session has been invalidated'));
    const revoked = instanceConfig('revoked', graph.baseUrl, { phoneNumberId: '106540352242934' });
    await assert.rejects(subject.connect('revoked', revoked), {
      code: 'WHATSAPP_AUTH_FAILED',
      providerCode: '190',
    });
    assert.equal(ctx.bus.of('instance.disconnected')[0]?.payload.willReconnect, false);
    assert.equal((await subject.getStatus('revoked')).state, 'error');
  });

  test('health reports the instances and the component', async () => {
    const health = await subject.getHealth();
    const component = health.checks.find((c) => c.name === 'component');
    assert.equal(component?.status, 'pass');
    assert.equal(component?.data?.sha256, componentInfo.component.sha256);
    assert.equal(health.checks.find((c) => c.name === 'instances')?.status, 'warn');
  });

  test('disconnect publishes instance.disconnected and stops sends; Meta’s webhooks are still handled', async () => {
    ctx.bus.clear();
    await subject.disconnect('acme');
    assert.equal(ctx.bus.of('instance.disconnected')[0]?.payload.instanceId, 'acme');
    assert.equal((await subject.getStatus('acme')).state, 'disconnected');
    const sent = await subject.sendMessage('acme', { to: '16505551234', content: { type: 'text', text: 'hi' } });
    assert.deepEqual([sent.success, sent.errorCode], [false, 'WHATSAPP_NOT_CONNECTED']);
    // Nothing Meta delivers meanwhile is refused.
    const verified = await subject.handleWebhook(verificationGet('acme'));
    assert.equal(verified.status, 200);
  });
});
