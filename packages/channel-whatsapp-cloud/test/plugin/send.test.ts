/**
 * `sendMessage`, `sendTyping`, `markAsRead`: omni's messages through the real component to the
 * fake Graph API — the exact Graph bodies, and omni's `SendResult` for success and Meta's errors.
 */

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { PHONE_NUMBER_ID, graphError } from '../support/fake-graph.js';
import { type Harness, startPlugin } from '../support/harness.js';
import { instanceConfig, notification, webhookPost } from '../support/whatsapp.js';

let h: Harness;

before(async () => {
  h = await startPlugin();
});
after(async () => {
  await h.close();
});
beforeEach(() => {
  h.bus.clear();
  h.graph.clear();
});

const TO = '+1 (650) 555-1234';

describe('sendMessage', () => {
  test('text: the documented Graph body, message.sent on the bus, a successful SendResult', async () => {
    const result = await h.plugin.sendMessage('acme', { to: TO, content: { type: 'text', text: 'Hello from omni' } });
    assert.equal(result.success, true);
    assert.match(result.messageId ?? '', /^wamid\.FAKE/);
    assert.equal(typeof result.timestamp, 'number');
    const [request] = h.graph.requests;
    assert.equal(request?.path, `/v26.0/${PHONE_NUMBER_ID}/messages`);
    assert.equal(request?.headers.authorization, 'Bearer EAAtestaccesstoken');
    assert.deepEqual(request?.json(), {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '16505551234',
      type: 'text',
      text: { body: 'Hello from omni', preview_url: false },
    });
    const [sent] = h.bus.of('message.sent');
    assert.equal(sent?.payload.externalId, result.messageId);
    assert.equal(sent?.payload.chatId, '16505551234@s.whatsapp.net');
  });

  test('template', async () => {
    const result = await h.plugin.sendMessage('acme', { to: TO, content: { type: 'template' as never } });
    // omni's type field alone is not a template: the component names what is missing.
    assert.equal(result.success, false);
    assert.deepEqual([result.errorCode, result.providerCode], ['WHATSAPP_INVALID_REQUEST', 'invalid-request']);
    assert.match(result.error ?? '', /^content\.template/);

    const ok = await h.plugin.sendMessage('acme', {
      to: TO,
      content: {
        type: 'template',
        template: {
          name: 'order_shipped',
          language: 'en_US',
          components: [{ type: 'body', parameters: [{ type: 'text', text: 'Maria' }] }],
        },
      } as never,
    });
    assert.equal(ok.success, true, ok.error);
    assert.deepEqual(h.graph.sent()[0].template, {
      name: 'order_shipped',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Maria' }] }],
    });
  });

  test('interactive reply buttons', async () => {
    const result = await h.plugin.sendMessage('acme', {
      to: TO,
      content: {
        type: 'interactive',
        interactive: {
          body: 'Confirm Friday 8 pm?',
          action: { type: 'buttons', buttons: [{ id: 'yes', title: 'Confirm' }, { id: 'change', title: 'Change time' }] },
        },
      } as never,
    });
    assert.equal(result.success, true, result.error);
    assert.deepEqual(h.graph.sent()[0].interactive, {
      type: 'button',
      body: { text: 'Confirm Friday 8 pm?' },
      action: {
        buttons: [
          { type: 'reply', reply: { id: 'yes', title: 'Confirm' } },
          { type: 'reply', reply: { id: 'change', title: 'Change time' } },
        ],
      },
    });
  });

  test('media by URL, and by base64 (uploaded, then sent by id)', async () => {
    const byUrl = await h.plugin.sendMessage('acme', {
      to: TO,
      content: { type: 'image', mediaUrl: 'https://cdn.example.com/menu.jpg', caption: 'Spring menu' },
    });
    assert.equal(byUrl.success, true, byUrl.error);
    assert.deepEqual(h.graph.sent()[0].image, { link: 'https://cdn.example.com/menu.jpg', caption: 'Spring menu' });

    h.graph.clear();
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const byBase64 = await h.plugin.sendMessage('acme', {
      to: TO,
      content: { type: 'image', caption: 'Chart' },
      metadata: { base64: png.toString('base64'), ptt: undefined },
    });
    assert.equal(byBase64.success, true, byBase64.error);
    assert.equal(h.graph.requests[0]?.path, `/v26.0/${PHONE_NUMBER_ID}/media`);
    const [id, stored] = [...h.graph.media.entries()].at(-1) ?? [];
    assert.deepEqual(stored?.bytes, png);
    assert.equal(stored?.mimeType, 'image/png');
    assert.deepEqual(h.graph.sent()[0].image, { id, caption: 'Chart' });
  });

  test("a TTS voice note: omni's audio buffer and ptt become an uploaded voice message", async () => {
    const audio = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(64, 7)]);
    const result = await h.plugin.sendMessage('acme', {
      to: TO,
      content: { type: 'audio', mimeType: 'audio/ogg; codecs=opus' },
      metadata: { audioBuffer: audio, ptt: true },
    });
    assert.equal(result.success, true, result.error);
    const [id, stored] = [...h.graph.media.entries()].at(-1) ?? [];
    assert.deepEqual(stored?.bytes, audio);
    assert.deepEqual(h.graph.sent()[0].audio, { id, voice: true });
  });

  test('131047 (window closed) fails at once, not retryable', async () => {
    h.graph.respond(graphError(400, 131047, 'Re-engagement message'));
    const result = await h.plugin.sendMessage('acme', { to: TO, content: { type: 'text', text: 'late' } });
    assert.deepEqual(
      { success: result.success, errorCode: result.errorCode, providerCode: result.providerCode, retryable: result.retryable },
      { success: false, errorCode: 'WHATSAPP_SEND_FAILED', providerCode: '131047', retryable: false },
    );
    assert.equal(h.graph.requests.length, 1);
    assert.equal(h.bus.of('message.failed')[0]?.payload.errorCode, '131047');
  });

  // omni-host's retry loop, with the component's schedule for 130429 (1 s, then 2 s): real waits.
  test('130429 (throughput) is retried with the component’s schedule, then succeeds', { timeout: 15_000 }, async () => {
    h.graph.respond(graphError(400, 130429, 'Rate limit hit'), graphError(400, 130429, 'Rate limit hit'));
    const result = await h.plugin.sendMessage('acme', { to: TO, content: { type: 'text', text: 'busy' } });
    assert.equal(result.success, true, result.error);
    assert.equal(h.graph.requests.length, 3);
    assert.equal(h.bus.of('message.failed').length, 0);
  });

  test('130429 that outlasts the retries is reported retryable, with one message.failed', { timeout: 15_000 }, async () => {
    // Two attempts in all: one wait of the component's schedule, then the outcome.
    const brief = await startPlugin({ runtime: { retryMaxAttempts: 2 } });
    try {
      brief.graph.respond(graphError(400, 130429, 'Rate limit hit'), graphError(400, 130429, 'Rate limit hit'));
      const result = await brief.plugin.sendMessage('acme', { to: TO, content: { type: 'text', text: 'busy' } });
      assert.deepEqual([result.success, result.errorCode, result.providerCode, result.retryable], [false, 'WHATSAPP_RATE_LIMITED', '130429', true]);
      assert.equal(brief.graph.requests.length, 2);
      assert.equal(brief.bus.of('message.failed').length, 1);
    } finally {
      await brief.close();
    }
  });

  test('190 (token expired) fails, and the instance is reported disconnected', async () => {
    h.graph.respond(graphError(401, 190, 'Error validating access token: Session has expired'));
    const result = await h.plugin.sendMessage('acme', { to: TO, content: { type: 'text', text: 'hi' } });
    assert.deepEqual([result.success, result.errorCode, result.providerCode, result.retryable], [false, 'WHATSAPP_AUTH_FAILED', '190', false]);
    assert.equal(h.bus.of('instance.disconnected')[0]?.payload.errorCode, '190');
    const status = await h.plugin.getStatus('acme');
    assert.equal(status.state, 'error');
    assert.equal(status.error?.code, 'WHATSAPP_AUTH_FAILED');
    assert.match(status.error?.message ?? '', /\(190\)$/);
    assert.deepEqual(h.plugin.getConnectedInstances(), []);
  });

  test('long text goes out in ordered parts; the result names every one', async () => {
    const paragraph = 'Your order left the warehouse this morning and should arrive on Friday. ';
    const text = paragraph.repeat(125);
    const result = await h.plugin.sendMessage('acme', { to: TO, content: { type: 'text', text }, replyTo: 'wamid.Q' });
    assert.equal(result.success, true, result.error);
    assert.equal(result.messageIds?.length, 3);
    const bodies = h.graph.sent();
    assert.equal(bodies.length, 3);
    assert.deepEqual(bodies[0].context, { message_id: 'wamid.Q' });
    assert.ok(bodies.every((b) => b.text.body.length <= 4096));
  });

  test('what WhatsApp cannot send is refused by field; unknown instances are not connected', async () => {
    const poll = await h.plugin.sendMessage('acme', { to: TO, content: { type: 'poll', text: 'Lunch?' } });
    assert.deepEqual([poll.success, poll.errorCode], [false, 'WHATSAPP_INVALID_REQUEST']);
    assert.match(poll.error ?? '', /^content\.type:/);
    assert.equal(h.graph.requests.length, 0);
    const nobody = await h.plugin.sendMessage('nobody', { to: TO, content: { type: 'text', text: 'hi' } });
    assert.deepEqual([nobody.success, nobody.errorCode], [false, 'WHATSAPP_NOT_CONNECTED']);
  });
});

describe('read receipts and typing, by chat', () => {
  test('use the chat’s last received message', async () => {
    // Reconnect: an earlier test expired the token.
    await h.plugin.connect('acme', instanceConfig('acme', h.graph.baseUrl));
    const chat = '16315551181@s.whatsapp.net';
    const body = notification({ messages: [{ from: '16315551181', id: 'wamid.LAST-IN', text: 'hello?' }] });
    assert.equal((await h.plugin.handleWebhook(webhookPost(body, { instance: 'acme' }))).status, 200);
    h.graph.clear();

    await h.plugin.sendTyping('acme', chat);
    await h.plugin.markChatAsRead('acme', chat);
    await h.plugin.markAsRead('acme', chat, ['wamid.OLDER', 'wamid.LAST-IN']);
    assert.deepEqual(h.graph.sent(), [
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.LAST-IN', typing_indicator: { type: 'text' } },
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.LAST-IN' },
      { messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.LAST-IN' },
    ]);
    // A chat with nothing received: nothing to mark.
    h.graph.clear();
    await h.plugin.markChatAsRead('acme', '19995550000@s.whatsapp.net');
    await h.plugin.sendTyping('acme', '19995550000@s.whatsapp.net');
    assert.equal(h.graph.requests.length, 0);
  });
});
