/**
 * Hostile traffic inside omni's process: hundreds of forged webhooks at once and a handful of
 * slow media downloads leave Meta's signed webhook answered and a send answered — each in its
 * own lane of the host, so neither waits behind the others.
 */

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PHONE_NUMBER_ID } from '../support/fake-graph.js';
import { type Harness, startPlugin } from '../support/harness.js';
import { notification, webhookPost } from '../support/whatsapp.js';

let h: Harness;
before(async () => {
  h = await startPlugin();
});
after(async () => h.close());

function imageDelivery(id: string, mediaId: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '1', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID },
      messages: [{ from: '16315551181', id, timestamp: '1750263773', type: 'image', image: { id: mediaId, mime_type: 'image/jpeg' } }],
    } }] }],
  });
}

test('300 forged webhooks and 8 slow downloads in flight: a signed webhook and a send are answered', { timeout: 60_000 }, async () => {
  // Eight received images, each link fetched while the CDN takes 1.5 s per file.
  const links: string[] = [];
  for (let i = 0; i < 8; i++) {
    h.bus.clear();
    const mediaId = h.graph.storeMedia(Buffer.from(`jpeg ${i}`), 'image/jpeg');
    assert.equal((await h.plugin.handleWebhook(webhookPost(imageDelivery(`wamid.IMG${i}`, mediaId), { instance: 'acme' }))).status, 200);
    links.push(h.bus.of('message.received')[0]?.payload.content.mediaUrl as string);
  }
  h.bus.clear();
  h.graph.cdnDelayMs = 1_500;
  let downloadsDone = 0;
  const downloads = links.map(async (link) => {
    const response = await h.plugin.handleWebhook(new Request(link));
    downloadsDone++;
    return response.status;
  });

  // Forged deliveries, small and large (64 KiB and more go to the webhook lane).
  const padding = 'x'.repeat(80 * 1024);
  const forged = Array.from({ length: 300 }, (_, i) => {
    const body = notification({ messages: [{ from: '16315551181', id: `wamid.FORGED${i}`, text: i % 2 ? 'hi' : padding }] });
    return h.plugin.handleWebhook(webhookPost(body, { instance: 'acme', signature: `sha256=${'0'.repeat(64)}` })).then((r) => r.status);
  });

  const signed = notification({ messages: [{ from: '16315551181', id: 'wamid.GENUINE', text: 'a real customer' }] });
  const genuine = await h.plugin.handleWebhook(webhookPost(signed, { instance: 'acme' }));
  const sent = await h.plugin.sendMessage('acme', { to: '16505551234', content: { type: 'text', text: 'answered' } });
  const answeredWhileDownloading = downloadsDone;

  assert.equal(genuine.status, 200);
  assert.deepEqual(h.bus.of('message.received').map((e) => e.payload.externalId), ['wamid.GENUINE']);
  assert.equal(sent.success, true, sent.error);
  assert.equal(answeredWhileDownloading, 0, 'neither waited behind the downloads');
  assert.deepEqual(new Set(await Promise.all(forged)), new Set([401]));
  assert.deepEqual(await Promise.all(downloads), Array(8).fill(200));
});
