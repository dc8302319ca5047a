/**
 * A node agent against a real in-process API server, authenticated as its node user (so the
 * node authorizer applies): registration, Lease, a pod bound through pods/binding going Running
 * with the scheduler's PodScheduled kept, status written only on change, graceful deletion
 * confirmed by the agent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startInProcessApi, waitFor } from '../../test/helpers/in-process.js';
import { NodeAgent } from './node-agent.js';
import { SimulatedRuntime } from './runtime/simulated-runtime.js';
import { isNotFound } from '../api/errors.js';

test('node agent: registers, leases, runs a bound pod, writes status only on change, confirms deletion', async (t) => {
  const api = await startInProcessApi();
  const dir = await mkdtemp(join(tmpdir(), 'skiff-agent-test-'));
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const admin = api.client('admin');
  const nodeClient = api.nodeClient('n1');
  const agent = new NodeAgent({
    name: 'n1',
    client: nodeClient,
    runtime: new SimulatedRuntime('test'),
    dataDir: dir,
    version: 'test',
    nodeIP: '10.1.2.3',
    kubeletPort: 10250,
    servingCertSha256: 'ab'.repeat(32),
    nodeConfig: { path: '', images: new Map(), capacity: { pods: '20', cpu: '3' } },
  });
  const run = agent.run(stop.signal);
  await agent.registered;
  const node = await admin.nodes().get('n1');
  assert.equal(node.status?.capacity?.['pods'], '20');
  assert.equal(node.status?.allocatable?.['cpu'], '3');
  assert.deepEqual(node.status?.addresses, [{ type: 'InternalIP', address: '10.1.2.3' }, { type: 'Hostname', address: 'n1' }]);
  assert.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
  assert.equal(node.status?.nodeInfo?.kubeletVersion, 'v1.33.0-skiff.test');
  assert.equal(node.status?.nodeInfo?.containerRuntimeVersion, 'skiff-simulated://test');
  assert.equal(node.metadata?.annotations?.['skiff.dev/kubelet-serving-cert-sha256'], 'ab'.repeat(32));
  assert.deepEqual(node.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`), [
    'MemoryPressure=False/KubeletHasSufficientMemory',
    'DiskPressure=False/KubeletHasNoDiskPressure',
    'PIDPressure=False/KubeletHasSufficientPID',
    'Ready=True/KubeletReady',
  ]);
  const lease = await waitFor(() => admin.leases('kube-node-lease').get('n1'), 5000, 'lease');
  assert.equal(lease.spec?.holderIdentity, 'n1');
  assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, node.metadata?.uid);

  const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  await admin.pods('default').create(pod);
  await admin.pods('default').createSubresource('web', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'web' }, target: { apiVersion: 'v1', kind: 'Node', name: 'n1' } });
  const running = await waitFor(async () => {
    const p = await admin.pods('default').get('web');
    return p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
  }, 5000, 'web Running and Ready');
  assert.equal(running.status?.hostIP, '10.1.2.3');
  assert.equal(running.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True', 'the scheduler condition is kept');
  const writes = agent.statusManager.writes;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(agent.statusManager.writes, writes, 'no status write without a change');

  await admin.pods('default').delete('web');
  await waitFor(async () => {
    try {
      await admin.pods('default').get('web');
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  }, 5000, 'web deleted by the agent after stopping it');
  stop.abort();
  await run;
});

test('node status: an agent whose node was marked Unknown says Ready again although nothing changed on its side', async (t) => {
  const api = await startInProcessApi();
  const dir = await mkdtemp(join(tmpdir(), 'skiff-agent-test-'));
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const admin = api.client('admin');
  const nodeClient = api.nodeClient('n2');
  const agent = new NodeAgent({
    name: 'n2',
    client: nodeClient,
    runtime: new SimulatedRuntime('test'),
    dataDir: dir,
    version: 'test',
    nodeIP: '10.1.2.4',
    kubeletPort: 10250,
    nodeConfig: { path: '', images: new Map(), capacity: { pods: '20', cpu: '3' } },
  });
  // No heartbeat loops: the test calls updateNodeStatus as the status loop would.
  const run = agent.run(stop.signal, { heartbeats: false });
  t.after(() => run);
  await agent.registered;
  const ready = async () => (await admin.nodes().get('n2')).status?.conditions?.find((c) => c.type === 'Ready');
  assert.equal((await ready())?.status, 'True');

  // Nothing changed: no write.
  const rv = (await admin.nodes().get('n2')).metadata?.resourceVersion;
  await agent.updateNodeStatus();
  assert.equal((await admin.nodes().get('n2')).metadata?.resourceVersion, rv, 'an unchanged status is not written');

  // The node lifecycle controller saw the Lease lapse (the agent stalled) and marked it Unknown.
  const unknown = { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: '2024-01-01T00:00:00Z' };
  await admin.nodes().patchStatus('n2', 'strategic', {
    status: { conditions: ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, ...unknown })) },
  });
  assert.equal((await ready())?.status, 'Unknown');
  // The agent resumes: its own view did not change, the API's did. It posts Ready again.
  await agent.updateNodeStatus();
  const back = await ready();
  assert.equal(back?.status, 'True');
  assert.equal(back?.reason, 'KubeletReady');
  assert.notEqual(back?.lastTransitionTime, unknown.lastTransitionTime, 'the transition is recorded');
  const node = await admin.nodes().get('n2');
  assert.deepEqual(node.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort(), ['DiskPressure=False', 'MemoryPressure=False', 'PIDPressure=False', 'Ready=True']);
  // And stays quiet again afterwards.
  await agent.updateNodeStatus();
  assert.equal((await admin.nodes().get('n2')).metadata?.resourceVersion, node.metadata?.resourceVersion);
  stop.abort();
});
