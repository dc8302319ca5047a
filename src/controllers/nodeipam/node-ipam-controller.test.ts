import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerManager } from '../manager.js';
import { NodeIpamController } from './node-ipam-controller.js';
import { startInProcessApi, waitFor } from '../../../test/helpers/in-process.js';

test('nodes get distinct /24 pod CIDRs from the cluster CIDR, lowest free first; a full range leaves a node waiting until a deleted node frees a block', async () => {
  const api = await startInProcessApi();
  const client = api.client('test');
  const manager = new ControllerManager({ client: api.client('kube-controller-manager'), controllers: [new NodeIpamController({ clusterCIDR: '10.244.0.0/23' })], leaderElection: false, workers: 2 });
  const ac = new AbortController();
  const running = manager.run(ac.signal);
  const cidrOf = async (name: string) => (await client.nodes().get(name)).spec?.podCIDR;
  try {
    for (const name of ['node-1', 'node-2']) await client.nodes().create({ metadata: { name } });
    const a = await waitFor(() => cidrOf('node-1'));
    const b = await waitFor(() => cidrOf('node-2'));
    assert.deepEqual([a, b].sort(), ['10.244.0.0/24', '10.244.1.0/24']);
    assert.deepEqual((await client.nodes().get('node-1')).spec?.podCIDRs, [a]);
    await client.nodes().create({ metadata: { name: 'node-3' } });
    const events = await waitFor(async () => (await client.events('default').list()).items.filter((e) => e.reason === 'CIDRNotAvailable' && e.involvedObject?.name === 'node-3').at(0));
    assert.equal(events.message, 'Node node-3 status is now: CIDRNotAvailable');
    await client.nodes().delete('node-1');
    // The node that was waiting gets the freed block.
    assert.equal(await waitFor(() => cidrOf('node-3')), a);
  } finally {
    ac.abort();
    await running;
    await api.stop();
  }
});
