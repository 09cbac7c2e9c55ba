/**
 * The business account through the package: block lists and the business profile, each a
 * component export, checked against WhatsApp's limits by the component.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { WhatsAppCloudError } from '../../src/index.js';
import { PHONE_NUMBER_ID } from '../support/fake-graph.js';
import { type Harness, startPlugin } from '../support/harness.js';

describe('the business account', () => {
  let h: Harness;
  before(async () => {
    h = await startPlugin();
  });
  after(async () => h.close());

  test('users are blocked and unblocked by the ids Meta resolved', async () => {
    const blocked = await h.plugin.blockUsers('acme', ['+1 650 555 1234', '16505550000@s.whatsapp.net']);
    assert.deepEqual(blocked, { changed: ['16505551234', '16505550000'], failed: [] });
    const [request] = h.graph.requests;
    assert.equal(request?.method, 'POST');
    assert.equal(request?.path, `/v26.0/${PHONE_NUMBER_ID}/block_users`);
    assert.deepEqual(request?.json(), { messaging_product: 'whatsapp', block_users: [{ user: '16505551234' }, { user: '16505550000' }] });
    await h.plugin.unblockUsers('acme', ['16505551234']);
    assert.equal(h.graph.requests[1]?.method, 'DELETE');
  });

  test('a group cannot be blocked, and nothing reaches Meta', async () => {
    h.graph.clear();
    await assert.rejects(h.plugin.blockUsers('acme', ['120363025246125486@g.us']), (error: unknown) => {
      assert.ok(error instanceof WhatsAppCloudError);
      assert.equal(error.code, 'WHATSAPP_INVALID_REQUEST');
      assert.match(error.message, /users\[0\]/);
      return true;
    });
    assert.equal(h.graph.requests.length, 0);
  });

  test('the profile is read and changed within WhatsApp’s limits', async () => {
    const profile = await h.plugin.getBusinessProfile('acme');
    assert.equal(profile.about, 'Fresh produce, delivered');
    await h.plugin.updateBusinessProfile('acme', { about: 'Open 9 to 5', vertical: 'RETAIL' });
    assert.equal(h.graph.profile.vertical, 'RETAIL');
    assert.equal((await h.plugin.getBusinessProfile('acme')).about, 'Open 9 to 5');
    await assert.rejects(h.plugin.updateBusinessProfile('acme', { vertical: 'SHOES' }), /vertical/);
  });
});
