/**
 * The sandbox inside omni's process (this file runs under Bun and under Node): a component that
 * loops, hoards memory, panics, reads out of bounds or recurses without end is stopped — by its
 * CPU budget, its memory limit or the trap it raises — the call's store is discarded, the next
 * call works, and the process that hosts omni lives on. Egress outside the grant is refused.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { WhatsAppCloudPlugin } from '../../src/index.js';
import { packageRoot } from '../../src/package-root.js';
import { FakeGraph } from '../support/fake-graph.js';
import { testContext } from '../support/omni-context.js';

const MISBEHAVING = `${packageRoot}/test/generated/misbehaving_plugin.wasm`;

describe('a misbehaving component, in omni’s process', () => {
  let plugin: WhatsAppCloudPlugin;
  let graph: FakeGraph;
  const ctx = testContext();

  before(async () => {
    graph = await FakeGraph.start();
    plugin = new WhatsAppCloudPlugin({
      secret: 'a-plugin-secret-of-at-least-32-bytes!!',
      egress: [graph.baseUrl],
      runtime: { component: MISBEHAVING, cpuBudgetMs: 300, memoryLimitMib: 32 },
    });
    await plugin.initialize(ctx.context);
    // The test component validates any settings and refuses to connect: it stays hosted.
    await assert.rejects(plugin.connect('acme', { instanceId: 'acme', credentials: {}, options: { any: 'thing' } }));
  });
  after(async () => {
    await plugin.destroy();
    await graph.stop();
  });

  const post = (body: string, query = '') =>
    plugin.handleWebhook(new Request(`http://127.0.0.1:8882/webhooks/whatsapp-cloud/acme${query}`, { method: 'POST', body }));

  async function stillServes(): Promise<void> {
    const response = await post('still here');
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'still here');
  }

  for (const [command, what] of [
    ['loop', 'a runaway loop is stopped by its CPU budget'],
    ['alloc', 'a memory hoard is stopped at its memory limit'],
    ['panic', 'a panic traps'],
    ['oob', 'an out-of-bounds read traps (a hardware fault, under the JavaScript engine’s own signal handlers)'],
    ['recurse', 'endless recursion exhausts the wasm stack and traps'],
  ] as const) {
    test(`${what}; the store is discarded and the next call works`, async () => {
      const response = await post(command);
      assert.equal(response.status, 500, 'Meta redelivers what failed');
      await stillServes();
    });
  }

  test('the failures are counted by kind', async () => {
    const health = await plugin.getHealth();
    const failures = health.checks.find((c) => c.name === 'component')?.data?.pluginFailures as Record<string, number>;
    assert.ok((failures.cpu_budget ?? 0) >= 1 && (failures.memory_limit ?? 0) >= 1 && (failures.trap ?? 0) >= 3, JSON.stringify(failures));
  });

  test('egress outside the grant is refused and nothing leaves', async () => {
    // The test component declares no origin: the instance may reach none.
    graph.clear();
    const response = await post('slow-host', `?${graph.baseUrl}/v26.0/anything`);
    assert.equal(await response.text(), '599');
    assert.equal(graph.requests.length, 0);
  });
});
