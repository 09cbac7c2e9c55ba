/**
 * The conformance corpus (`tests/conformance/` of the repository, data only) through the omni
 * package and its Node-API addon, on Bun and on Node: the same cases `cargo test` runs through
 * `omni-host`'s library, with the same expectations, so the two front doors cannot drift. A
 * copy of the package outside its repository has no corpus, and says so.
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import type { CallAction, GroupAction } from '../../src/actions.js';
import { WhatsAppCloudError } from '../../src/errors.js';
import { packageRoot } from '../../src/package-root.js';
import { type Harness, startPlugin } from '../support/harness.js';
import { signature } from '../support/whatsapp.js';

const corpus = join(packageRoot, '..', '..', 'tests', 'conformance');
const cases = existsSync(corpus) ? readdirSync(corpus).filter((f) => f.endsWith('.json')).sort() : [];

interface Case {
  description: string;
  webhook?: { signature: 'valid' | 'wrong' | 'none'; body: unknown };
  send?: { message: Record<string, unknown>; graph?: Array<{ status: number; body: unknown }> };
  action?: { call?: CallAction; group?: GroupAction; deleteMedia?: string; graph?: Array<{ status: number; body: unknown }> };
  expect: unknown;
}

function requests(h: Harness): unknown[] {
  return h.graph.requests.map((r) => ({ method: r.method, path: r.path, body: r.body.length > 0 ? r.json() : null }));
}

function events(h: Harness): unknown[] {
  return h.bus.events.map((e) => ({ type: e.type, correlationId: e.metadata.correlationId, payload: e.payload }));
}

async function webhook(h: Harness, webhook: NonNullable<Case['webhook']>): Promise<unknown> {
  const body = typeof webhook.body === 'string' ? webhook.body : JSON.stringify(webhook.body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (webhook.signature === 'valid') headers['x-hub-signature-256'] = signature(body);
  if (webhook.signature === 'wrong') headers['x-hub-signature-256'] = `sha256=${'0'.repeat(64)}`;
  const request = new Request('http://127.0.0.1:8882/webhooks/whatsapp-cloud/acme', { method: 'POST', headers, body });
  const response = await h.plugin.handleWebhook(request);
  return { status: response.status, events: events(h) };
}

async function send(h: Harness, send: NonNullable<Case['send']>): Promise<unknown> {
  h.graph.respond(...(send.graph ?? []));
  const result = await h.plugin.sendMessage('acme', send.message as never);
  return {
    requests: requests(h),
    result: {
      success: result.success,
      errorCode: result.errorCode ?? null,
      providerCode: result.providerCode ?? null,
      retryable: result.retryable ?? null,
      parts: result.messageIds?.length ?? (result.messageId ? 1 : 0),
    },
    events: events(h),
  };
}

/** A call, group or media action, answered as `cargo test` answers it: the value, or the
 * error's code, providerCode and retryable. */
async function action(h: Harness, action: NonNullable<Case['action']>): Promise<unknown> {
  h.graph.respond(...(action.graph ?? []));
  let result: unknown;
  try {
    const value = action.call
      ? await h.plugin.callAction('acme', action.call)
      : action.group
        ? await h.plugin.groupAction('acme', action.group)
        : await h.plugin.deleteMedia('acme', action.deleteMedia ?? '').then(() => null);
    result = { ok: true, value };
  } catch (error) {
    if (!(error instanceof WhatsAppCloudError)) throw error;
    result = { ok: false, error: { code: error.code, providerCode: error.providerCode, retryable: error.retryable } };
  }
  return { requests: requests(h), result };
}

describe('the conformance corpus', () => {
  test('is there (the repository’s tests/conformance)', { skip: cases.length === 0 && 'this copy of the package has no corpus beside it' }, () => {
    assert.ok(cases.length >= 10);
  });

  for (const file of cases) {
    const c = JSON.parse(readFileSync(join(corpus, file), 'utf8')) as Case;
    test(`${file}: ${c.description}`, { timeout: 20_000 }, async () => {
      assert.notEqual(c.expect, null, 'a case without expectations: bless it with omni-host (see tests/conformance/README.md)');
      // A fresh plugin on a fresh fake Graph API, as the Rust runner has.
      const h = await startPlugin();
      try {
        const actual = c.webhook
          ? await webhook(h, c.webhook)
          : c.action
            ? await action(h, c.action)
            : await send(h, c.send as NonNullable<Case['send']>);
        assert.deepStrictEqual(actual, c.expect);
      } finally {
        await h.close();
      }
    });
  }
});
