/**
 * The component runtime on its own, on Node and on Bun (this file runs under both): a
 * misbehaving component is stopped and the next call works; egress follows the allowlist; the
 * real component answers webhooks. Plain JavaScript against the built `dist/`, so Node ≥ 20
 * runs it without TypeScript.
 */

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ComponentRuntime, PluginFailure } from '../../dist/runtime/index.js';

const MISBEHAVING = fileURLToPath(new URL('../generated/misbehaving/misbehaving_plugin.js', import.meta.url));
const instance = { id: 'acme', config: '{}' };
const silent = { log() {} };
/** `omni-host`'s defaults: 4 MiB bodies, 1 MiB events. */
const LIMITS = { maxBodyBytes: 4n << 20n, maxEventBytes: 1n << 20n };

function request(body, query = '') {
  return { method: 'POST', path: '/w', query, headers: [], body: new TextEncoder().encode(body) };
}

describe('a misbehaving component', () => {
  let runtime;
  before(async () => {
    runtime = await ComponentRuntime.start({
      component: MISBEHAVING,
      inboundProcesses: 1,
      outboundProcesses: 1,
      memoryLimitBytes: 32 * 1024 * 1024,
      guestBudgetMs: 300,
      onProcessOutput: () => {},
    });
  });
  after(() => runtime.close());

  async function failure(body) {
    try {
      await runtime.handleWebhook(silent, instance, [], request(body), LIMITS);
    } catch (error) {
      assert.ok(error instanceof PluginFailure, String(error));
      return error;
    }
    assert.fail(`${body} was not stopped`);
  }

  async function echoes() {
    const response = await runtime.handleWebhook(silent, instance, [], request('still here'), LIMITS);
    assert.equal(response.status, 200);
    assert.equal(new TextDecoder().decode(response.body), 'still here');
  }

  test('a runaway loop is stopped at its budget; the next call works', async () => {
    const started = performance.now();
    const error = await failure('loop');
    assert.equal(error.kind, 'timeout');
    assert.ok(performance.now() - started < 10_000);
    await echoes();
  });

  test('a panic is a trap; the next call gets a clean instance', async () => {
    assert.equal((await failure('panic')).kind, 'trap');
    await echoes();
  });

  test('a memory bomb hits the memory limit', async () => {
    assert.equal((await failure('alloc')).kind, 'memory');
    await echoes();
  });

  test('a component process killed from outside is replaced', async () => {
    const before = runtime.stats.inbound.started;
    process.kill(findChild(), 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await echoes();
    assert.equal(runtime.stats.inbound.started, before + 1);
  });

  test('more calls than processes wait their turn', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => `call ${i}`);
    const responses = await Promise.all(bodies.map((b) => runtime.handleWebhook(silent, instance, [], request(b), LIMITS)));
    assert.deepEqual(responses.map((r) => new TextDecoder().decode(r.body)), bodies);
  });

  test('egress reaches the allowed origin only', async () => {
    const seen = [];
    const server = createServer((req, res) => {
      seen.push(req.url);
      res.writeHead(204).end();
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    try {
      const caps = (origins) => ({ egress: { origins, maxResponseBytes: 1024, maxTimeoutMs: 2_000 }, log() {} });
      const allowed = await runtime.handleWebhook(caps([origin]), instance, [], request('slow-host', `${origin}/ok`), LIMITS);
      assert.equal(new TextDecoder().decode(allowed.body), '204');
      const refused = await runtime.handleWebhook(caps(['http://127.0.0.2:1']), instance, [], request('slow-host', `${origin}/nope`), LIMITS);
      assert.equal(new TextDecoder().decode(refused.body), '599');
      const none = await runtime.handleWebhook(silent, instance, [], request('slow-host', `${origin}/none`), LIMITS);
      assert.equal(new TextDecoder().decode(none.body), '599');
      assert.deepEqual(seen, ['/ok']);
    } finally {
      server.close();
    }
  });

  /** The pid of the inbound lane's process. */
  function findChild() {
    const [pid] = runtime.stats.inbound.pids;
    assert.ok(pid, 'a component process runs');
    return pid;
  }
});

describe('the WhatsApp Cloud component', () => {
  let runtime;
  before(async () => {
    runtime = await ComponentRuntime.start({ inboundProcesses: 1, outboundProcesses: 1 });
  });
  after(() => runtime.close());

  test('verifies signatures over the raw bytes', async () => {
    const validated = await runtime.validateConfig(
      JSON.stringify({ appSecret: 's3cret', webhookVerifyToken: 'v', phoneNumberId: '1', businessAccountId: '2', accessToken: 't' }),
    );
    assert.equal(validated.ok, true);
    const wit = { id: 'acme', config: validated.value.config };
    const body = '{"object":"whatsapp_business_account","entry":[]}';
    const signed = (secret) => ({
      ...request(body),
      headers: [['x-hub-signature-256', `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`]],
    });
    const published = [];
    const caps = { publish: async (events) => (published.push(...events), { tag: 'ok', val: undefined }), log() {} };
    assert.equal((await runtime.handleWebhook(caps, wit, [], signed('s3cret'), LIMITS)).status, 200);
    assert.equal((await runtime.handleWebhook(caps, wit, [], signed('wrong'), LIMITS)).status, 401);
  });

  test('names every configuration problem', async () => {
    const result = await runtime.validateConfig('{"phoneNumberId": "x"}');
    assert.equal(result.ok, false);
    assert.ok(result.error.some((p) => p.field === '/appSecret'));
  });
});
