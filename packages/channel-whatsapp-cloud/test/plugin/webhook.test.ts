/**
 * `handleWebhook(Request)`: Meta's verification handshake and signed notifications, through the
 * real component, onto omni's bus.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';

import { PHONE_NUMBER_ID } from '../support/fake-graph.js';
import { type Harness, startPlugin } from '../support/harness.js';
import { WEBHOOK_BASE, instanceConfig, notification, signature, verificationGet, webhookPost } from '../support/whatsapp.js';

let h: Harness;

before(async () => {
  h = await startPlugin();
});
after(async () => {
  await h.close();
});
beforeEach(() => {
  h.bus.clear();
});

const kerry = { from: '16315551181', id: 'wamid.HBgLMTYzMTU1NTExODEVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', text: 'Is the shop open today?' };

describe('verification', () => {
  test('answers the challenge for the right token', async () => {
    const response = await h.plugin.handleWebhook(verificationGet('acme'));
    assert.equal(response.status, 200);
    assert.equal(await response.text(), '1158201444');
  });

  test('refuses a wrong token', async () => {
    const response = await h.plugin.handleWebhook(verificationGet('acme', 'guess'));
    assert.equal(response.status, 403);
  });
});

describe('notifications', () => {
  test('a signed message is published as message.received with omni metadata', async () => {
    const response = await h.plugin.handleWebhook(webhookPost(notification({ messages: [kerry] }), { instance: 'acme' }));
    assert.equal(response.status, 200);
    const [received] = h.bus.of('message.received');
    assert.ok(received, 'message.received published');
    assert.equal(received.generic, false);
    assert.equal(received.payload.externalId, kerry.id);
    assert.equal(received.payload.chatId, '16315551181@s.whatsapp.net');
    assert.equal(received.payload.from, '16315551181');
    assert.deepEqual(received.payload.content, { type: 'text', text: kerry.text });
    assert.equal(received.payload.rawPayload.pushName, 'Kerry Fisher');
    assert.deepEqual(
      { ...received.metadata, timings: undefined },
      { correlationId: kerry.id, instanceId: 'acme', channelType: 'whatsapp-cloud', source: 'channel:whatsapp-cloud', timings: undefined },
    );
    assert.equal(received.metadata.timings?.platformReceivedAt, 1750263773000);
  });

  test('a forged or unsigned body is refused with 401 and publishes nothing', async () => {
    const body = notification({ messages: [kerry] });
    for (const sig of [null, 'sha256=00', signature(body, 'another-app')]) {
      const response = await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme', signature: sig }));
      assert.equal(response.status, 401);
    }
    // A body changed after signing.
    const request = new Request(`${WEBHOOK_BASE}?instance=acme`, {
      method: 'POST',
      headers: { 'x-hub-signature-256': signature(body) },
      body: body.replace('open', 'shut'),
    });
    assert.equal((await h.plugin.handleWebhook(request)).status, 401);
    assert.equal(h.bus.events.length, 0);
  });

  test('a batch publishes every message and status, in order', async () => {
    const messages = [1, 2, 3].map((n) => ({ from: `1555000000${n}`, id: `wamid.BATCH${n}`, text: `message ${n}` }));
    const statuses = [
      { id: 'wamid.OUT1', status: 'delivered', recipient: '15550000001' },
      { id: 'wamid.OUT2', status: 'read', recipient: '15550000002' },
    ];
    const response = await h.plugin.handleWebhook(webhookPost(notification({ messages, statuses }), { instance: 'acme' }));
    assert.equal(response.status, 200);
    assert.deepEqual(
      h.bus.of('message.received').map((e) => e.payload.externalId),
      ['wamid.BATCH1', 'wamid.BATCH2', 'wamid.BATCH3'],
    );
    assert.equal(h.bus.of('message.delivered')[0]?.payload.externalId, 'wamid.OUT1');
    assert.equal(h.bus.of('message.read')[0]?.payload.externalId, 'wamid.OUT2');
    assert.equal(h.bus.events.length, 5);
  });

  test('a redelivery reaches omni once, even when the two arrive together', async () => {
    const body = notification({ messages: [{ ...kerry, id: 'wamid.REDELIVERED' }] });
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    const together = notification({ messages: [{ ...kerry, id: 'wamid.TWINS' }] });
    const responses = await Promise.all([1, 2, 3].map(() => h.plugin.handleWebhook(webhookPost(together, { instance: 'acme' }))));
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 200]);
    assert.equal(h.bus.of('message.received').filter((e) => e.payload.externalId === 'wamid.REDELIVERED').length, 1);
    assert.equal(h.bus.of('message.received').filter((e) => e.payload.externalId === 'wamid.TWINS').length, 1);
  });

  test('a bus outage answers 503 so Meta redelivers, and the redelivery is published', async () => {
    const body = notification({ messages: [{ ...kerry, id: 'wamid.DURING-OUTAGE' }] });
    h.bus.outage = 'nats: connection closed';
    const refused = await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }));
    h.bus.outage = undefined;
    assert.equal(refused.status, 503);
    assert.equal(h.bus.events.length, 0);
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    assert.equal(h.bus.of('message.received').length, 1);
  });

  test('unknown field and malformed change are acknowledged and reported, not lost', async () => {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'some_future_field', value: { x: 1 } }] }],
    });
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    const [unhandled] = h.bus.events;
    assert.equal(unhandled?.type, 'custom.whatsapp-cloud.webhook.unhandled');
    assert.equal(unhandled?.generic, true);
  });

  test('unreadable bodies are 400 and nothing is published', async () => {
    const response = await h.plugin.handleWebhook(webhookPost('{"object":', { instance: 'acme' }));
    assert.equal(response.status, 400);
    assert.equal(h.bus.events.length, 0);
  });
});

describe('routing', () => {
  test('the instance comes from ?instance= or from the path; unknown ones are 404', async () => {
    const body = notification({ messages: [{ ...kerry, id: 'wamid.BY-PATH' }] });
    const byPath = new Request(`${WEBHOOK_BASE}/acme`, {
      method: 'POST',
      headers: { 'x-hub-signature-256': signature(body) },
      body,
    });
    assert.equal((await h.plugin.handleWebhook(byPath)).status, 200);
    assert.equal(h.bus.of('message.received')[0]?.metadata.instanceId, 'acme');
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'nobody' }))).status, 404);
  });

  test('instances of one Meta app share a URL: each change goes to the owner of its number', async () => {
    const other = await startPlugin({}, []);
    try {
      other.graph.phoneNumbers.add('222222222222222');
      await other.plugin.connect('sales', instanceConfig('sales', other.graph.baseUrl));
      await other.plugin.connect('support', instanceConfig('support', other.graph.baseUrl, { phoneNumberId: '222222222222222' }));
      other.bus.clear();
      const body = notification({ messages: [{ ...kerry, id: 'wamid.FOR-SUPPORT' }] }, '222222222222222');
      // Delivered to the sales URL, and to a URL naming no instance: both reach `support`.
      assert.equal((await other.plugin.handleWebhook(webhookPost(body, { instance: 'sales' }))).status, 200);
      assert.equal((await other.plugin.handleWebhook(webhookPost(body.replace('FOR-SUPPORT', 'NO-INSTANCE')))).status, 200);
      assert.deepEqual(
        other.bus.of('message.received').map((e) => [e.payload.externalId, e.metadata.instanceId]),
        [
          ['wamid.FOR-SUPPORT', 'support'],
          ['wamid.NO-INSTANCE', 'support'],
        ],
      );
      // A number nobody owns is reported to the receiver, not dropped.
      other.bus.clear();
      const stray = notification({ messages: [{ ...kerry, id: 'wamid.STRAY' }] }, '999999999999999');
      assert.equal((await other.plugin.handleWebhook(webhookPost(stray, { instance: 'sales' }))).status, 200);
      assert.equal(other.bus.events[0]?.type, 'custom.whatsapp-cloud.webhook.unrouted');
      assert.notEqual(PHONE_NUMBER_ID, '999999999999999');
    } finally {
      await other.close();
    }
  });
});

describe('received media', () => {
  test('image, voice and document carry a link omni can fetch: the file, its size; a corrupt copy is refused', async () => {
    const files = [
      { type: 'image', bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x80, 0xfe]), mime: 'image/jpeg', extra: { caption: 'the broken part' } },
      { type: 'audio', bytes: Buffer.from('OggS voice note frames'), mime: 'audio/ogg; codecs=opus', extra: { voice: true } },
      { type: 'document', bytes: Buffer.from('%PDF-1.7 an invoice'), mime: 'application/pdf', extra: { filename: 'invoice.pdf' } },
    ];
    for (const file of files) {
      h.bus.clear();
      const mediaId = h.graph.storeMedia(file.bytes, file.mime);
      const sha256 = createHash('sha256').update(file.bytes).digest('base64');
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: '1', changes: [{ field: 'messages', value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
          contacts: [{ profile: { name: 'Kerry Fisher' }, wa_id: '16315551181' }],
          messages: [{ from: '16315551181', id: `wamid.MEDIA-${mediaId}`, timestamp: '1750263773', type: file.type,
            [file.type]: { id: mediaId, mime_type: file.mime, sha256, ...file.extra } }],
        } }] }],
      });
      assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
      const link = h.bus.of('message.received')[0]?.payload.content.mediaUrl as string;
      assert.match(link, new RegExp(`/webhooks/whatsapp-cloud/media/acme/${mediaId}\\?expires=\\d+&signature=[0-9a-f]{64}$`));
      assert.equal(h.bus.of('media.received')[0]?.payload.url, link);
      const response = await h.plugin.handleWebhook(new Request(link));
      assert.equal(response.status, 200, file.type);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), file.bytes);
      assert.equal(response.headers.get('content-length'), String(file.bytes.length));
      assert.equal(response.headers.get('content-type'), file.mime);

      (h.graph.media.get(mediaId) as { corrupted?: boolean }).corrupted = true;
      const corrupt = await h.plugin.handleWebhook(new Request(link));
      assert.equal(corrupt.status, 502);
      assert.equal(((await corrupt.json()) as { error: string }).error, 'integrity');
      const forged = await h.plugin.handleWebhook(new Request(link.replace(/.$/, (c) => (c === '0' ? '1' : '0'))));
      assert.equal(forged.status, 403);
    }
  });
});

describe('an event larger than omni takes', () => {
  let small: Harness;
  before(async () => {
    small = await startPlugin({ maxEventBytes: 64 * 1024 });
  });
  after(async () => {
    await small.close();
  });

  test('sheds its raw copy, or is reported, and never costs the rest of the delivery', async () => {
    const messages = [
      { from: '15550000001', id: 'wamid.SMALL', text: 'hello' },
      { from: '15550000002', id: 'wamid.LARGE', text: 'l'.repeat(40_000) },
      { from: '15550000003', id: 'wamid.HUGE', text: 'h'.repeat(100_000) },
    ];
    const response = await small.plugin.handleWebhook(webhookPost(notification({ messages }), { instance: 'acme' }));
    assert.equal(response.status, 200);
    const received = small.bus.of('message.received');
    assert.deepEqual(received.map((e) => e.payload.externalId), ['wamid.SMALL', 'wamid.LARGE']);
    assert.equal(received[1]?.payload.content.text.length, 40_000);
    assert.equal(received[1]?.payload.rawPayload.truncated, true);
    const reports = small.bus.of('custom.whatsapp-cloud.webhook.unpublishable');
    assert.equal(reports.length, 1);
    assert.equal(reports[0]?.payload.externalId, 'wamid.HUGE');
    assert.equal(reports[0]?.payload.event, 'message.received');
  });
});
