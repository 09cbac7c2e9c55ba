/**
 * A plugin under test: the real package (the component and the host runtime cargo built),
 * initialized with a recording omni context, with instances on a fake Graph API.
 */

import { WhatsAppCloudPlugin, type WhatsAppCloudPluginOptions } from '../../src/index.js';
import { FakeGraph } from './fake-graph.js';
import { type TestContext, testContext } from './omni-context.js';
import { instanceConfig } from './whatsapp.js';

export interface Harness extends TestContext {
  plugin: WhatsAppCloudPlugin;
  graph: FakeGraph;
  close(): Promise<void>;
}

export async function startPlugin(options: WhatsAppCloudPluginOptions = {}, instances = ['acme']): Promise<Harness> {
  const graph = await FakeGraph.start();
  const ctx = testContext();
  // The operator lets instances reach the fake (a loopback origin, refused unless listed).
  const plugin = new WhatsAppCloudPlugin({ egress: [graph.baseUrl], ...options });
  await plugin.initialize(ctx.context);
  for (const id of instances) await plugin.connect(id, instanceConfig(id, graph.baseUrl));
  ctx.bus.clear();
  graph.clear();
  return {
    ...ctx,
    plugin,
    graph,
    async close() {
      await plugin.destroy();
      await graph.stop();
    },
  };
}
