/** Media links: signed, expiring, bound to one instance and one file. */

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MediaLinks, mediaPath } from '../../src/media-links.js';

// omni's `webhookBaseUrl`: its API's `/webhooks`.
const links = new MediaLinks('https://omni.example.com/webhooks/', 600_000, 'a-shared-secret-of-some-length');

function parts(link: string): { url: URL; expires: string | null; signature: string | null } {
  const url = new URL(link);
  return { url, expires: url.searchParams.get('expires'), signature: url.searchParams.get('signature') };
}

test('a link verifies until it expires', () => {
  const link = links.link('acme', '1599807917628930', 1_000_000) as string;
  assert.ok(link.startsWith('https://omni.example.com/webhooks/whatsapp-cloud/media/acme/1599807917628930?expires=1600&signature='));
  const { url, expires, signature } = parts(link);
  assert.deepEqual(mediaPath(url), { instanceId: 'acme', mediaId: '1599807917628930' });
  assert.equal(links.verify('acme', '1599807917628930', expires, signature, 1_599_000), undefined);
  assert.equal(links.verify('acme', '1599807917628930', expires, signature, 1_601_000), 'expired');
});

test('another file, instance, expiry or key is forged', () => {
  const { expires, signature } = parts(links.link('acme', '42', 1_000_000) as string);
  assert.equal(links.verify('acme', '43', expires, signature, 1_000_000), 'forged');
  assert.equal(links.verify('other', '42', expires, signature, 1_000_000), 'forged');
  assert.equal(links.verify('acme', '42', '9999', signature, 1_000_000), 'forged');
  assert.equal(links.verify('acme', '42', expires, null, 1_000_000), 'forged');
  assert.equal(new MediaLinks('https://omni.example.com', 600_000).verify('acme', '42', expires, signature, 1_000_000), 'forged');
});

test('ids unfit for a path get no link; paths that are not media links are not read as one', () => {
  assert.equal(links.link('acme', '../etc'), undefined);
  assert.equal(mediaPath(new URL('https://x/webhooks/whatsapp-cloud?instance=acme')), undefined);
  assert.equal(mediaPath(new URL('https://x/webhooks/whatsapp-cloud/acme')), undefined);
  assert.throws(() => new MediaLinks('https://x', 1, 'short'));
});
