/**
 * Scheduling and node lifecycle as a user meets them, with the real kubectl against
 * `skiff server --nodes 3 --runtime simulated`: pods spread over the nodes, a pod too big for any
 * node stays Pending with Kubernetes' FailedScheduling message and binds when a big node joins;
 * node selectors, taints, cordon/uncordon/drain (with DaemonSet pods); a node that stops
 * heartbeating goes NotReady, is tainted, its pods are evicted after their toleration (shortened
 * here with --default-unreachable-toleration-seconds), and deleting it lets pod GC remove them.
 * The grace period is shortened to 25 s: it must stay well above the agents' 10 s lease renewal,
 * or healthy nodes flap NotReady (as Kubernetes warns for --node-monitor-grace-period).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

const PREEMPTION_NOT_HELPFUL = (n: number) => `preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;

describe('scheduler and node lifecycle with kubectl', { skip: kubectlUnavailable() }, () => {
  let c: TestCluster;
  const k = (args: string[], input?: string) => c.k(args, input !== undefined ? { input } : {});
  const jsonpath = async (what: string[], path: string): Promise<string> => (await c.kubectl(['get', ...what, '-o', `jsonpath=${path}`])).stdout;
  const nodeOf = (pod: string) => jsonpath(['pod', pod], '{.spec.nodeName}');
  /** The FailedScheduling lines of `kubectl describe pod`, message only. */
  const describedFailure = async (pod: string): Promise<string | undefined> => {
    const out = await k(['describe', 'pod', pod]);
    const line = out.split('\n').find((l) => l.includes('FailedScheduling'));
    return line?.replace(/^.*default-scheduler\s+/, '').trim();
  };
  const podsOnNodes = async (selector: string): Promise<Map<string, number>> => {
    const out = await k(['get', 'pods', '-l', selector, '-o', 'wide', '--no-headers']);
    const counts = new Map<string, number>();
    for (const line of out.trim().split('\n').filter(Boolean)) {
      const cols = line.split(/\s+/);
      // NAME READY STATUS RESTARTS AGE IP NODE …
      const node = cols[6] ?? '';
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    return counts;
  };

  before(async () => {
    c = await startCluster({
      args: ['--nodes', '3', '--runtime', 'simulated', '--node-monitor-grace-period', '25s', '--default-unreachable-toleration-seconds', '10', '--default-not-ready-toleration-seconds', '10'],
    });
    await waitFor(async () => ((await k(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 3, 15_000, 'three Ready nodes');
  });
  after(async () => {
    await c?.stop();
  });

  test('a Deployment spreads over the three nodes (kubectl get pods -o wide)', async () => {
    await k(['create', 'deployment', 'spread', '--image=busybox', '--replicas=6', '--', 'sleep', '3600']);
    const counts = await waitFor(async () => {
      const m = await podsOnNodes('app=spread');
      return [...m.values()].reduce((a, b) => a + b, 0) === 6 && !m.has('<none>') ? m : undefined;
    }, 20_000, 'six pods bound');
    assert.deepEqual([...counts.keys()].sort(), ['node-1', 'node-2', 'node-3']);
    assert.deepEqual([...counts.values()], [2, 2, 2]);
    const events = await k(['get', 'events', '--field-selector', 'reason=Scheduled', '-o', 'jsonpath={range .items[*]}{.source.component}|{.message}{"\\n"}{end}']);
    assert.match(events, /^default-scheduler\|Successfully assigned default\/spread-[a-z0-9]+-[a-z0-9]+ to node-[123]$/m);
    await k(['delete', 'deployment', 'spread']);
  });

  test('a pod requesting cpu 64 stays Pending with the FailedScheduling message; a big node joining takes it', async () => {
    await k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'big' }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '64' } } }] } }));
    const expected = `0/3 nodes are available: 3 Insufficient cpu. ${PREEMPTION_NOT_HELPFUL(3)}`;
    assert.equal(await waitFor(() => describedFailure('big'), 15_000, 'FailedScheduling in describe'), expected);
    assert.equal(await jsonpath(['pod', 'big'], '{.status.phase}'), 'Pending');
    assert.equal(await jsonpath(['pod', 'big'], '{.status.conditions[?(@.type=="PodScheduled")].reason}'), 'Unschedulable');
    assert.equal(await jsonpath(['pod', 'big'], '{.status.conditions[?(@.type=="PodScheduled")].message}'), expected);
    const pending = await k(['get', 'pod', 'big']);
    assert.match(pending, /big\s+0\/1\s+Pending\s+0\s+/);

    // A big node registers (no agent behind it: it will stop heartbeating, see the next test).
    await k(['create', '-f', '-'], JSON.stringify({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-big', labels: { 'kubernetes.io/hostname': 'node-big' } },
      status: {
        capacity: { cpu: '96', memory: '256Gi', pods: '110' },
        allocatable: { cpu: '96', memory: '256Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
      },
    }));
    assert.equal(await waitFor(() => nodeOf('big'), 15_000, 'big bound'), 'node-big');
  });

  test('a node that stops heartbeating goes NotReady, is tainted, its pods are evicted after the toleration; deleting it lets pod GC remove them', async () => {
    // node-big never renews a Lease: after the 25 s grace period it is NotReady.
    const row = await waitFor(async () => {
      const out = await k(['get', 'node', 'node-big', '--no-headers']);
      return /\sNotReady\s/.test(out) ? out : undefined;
    }, 60_000, 'node-big NotReady');
    assert.match(row, /^node-big\s+NotReady\s/);
    const taints = await waitFor(async () => {
      const t = await jsonpath(['node', 'node-big'], '{range .spec.taints[*]}{.key}:{.effect}{"\\n"}{end}');
      return t.includes('NoExecute') ? t : undefined;
    }, 30_000, 'unreachable NoExecute taint');
    assert.deepEqual(taints.trim().split('\n').sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const described = await k(['describe', 'node', 'node-big']);
    assert.match(described, /NodeNotReady\s+\S+\s+node-controller\s+Node node-big status is now: NodeNotReady/);
    assert.match(described, /Ready\s+Unknown\s.*NodeStatusUnknown\s+Kubelet stopped posting node status\./);

    // The pod tolerates unreachable for 10 s (server flag), then the taint eviction controller deletes it.
    const tolerations = await jsonpath(['pod', 'big'], '{.spec.tolerations[?(@.key=="node.kubernetes.io/unreachable")].tolerationSeconds}');
    assert.equal(tolerations, '10');
    await waitFor(async () => (await jsonpath(['pod', 'big'], '{.metadata.deletionTimestamp}')) !== '', 40_000, 'big marked for deletion');
    assert.match(await k(['get', 'pod', 'big']), /big\s+0\/1\s+Terminating\s/);
    const ev = await k(['get', 'events', '--field-selector', 'involvedObject.name=big,reason=TaintManagerEviction', '-o', 'jsonpath={.items[*].message}']);
    assert.equal(ev, 'Marking for deletion Pod default/big');
    assert.equal(await jsonpath(['pod', 'big'], '{.status.conditions[?(@.type=="DisruptionTarget")].reason}'), 'DeletionByTaintManager');

    // Nobody can confirm the kill on a lost node: the pod stays Terminating until the Node is deleted.
    await k(['delete', 'node', 'node-big']);
    await waitFor(async () => (await c.kubectl(['get', 'pod', 'big'])).code !== 0, 90_000, 'pod GC removed big');
  });

  test('nodeSelector: Pending until a node is labelled, then bound there', async () => {
    await k(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ssd' }, spec: { nodeSelector: { disktype: 'ssd' }, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } }));
    assert.equal(await waitFor(() => describedFailure('ssd'), 15_000, 'FailedScheduling'), `0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. ${PREEMPTION_NOT_HELPFUL(3)}`);
    await k(['label', 'node', 'node-2', 'disktype=ssd']);
    assert.equal(await waitFor(() => nodeOf('ssd'), 15_000, 'ssd bound'), 'node-2');
    await k(['delete', 'pod', 'ssd', '--wait=false']);
  });

  test('taints: pods without a toleration avoid tainted nodes; a tolerating pod may land there', async () => {
    await k(['taint', 'nodes', '--all', 'gpu=true:NoSchedule']);
    try {
      await k(['run', 'plain', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
      assert.equal(await waitFor(() => describedFailure('plain'), 15_000, 'FailedScheduling'), `0/3 nodes are available: 3 node(s) had untolerated taint {gpu: true}. ${PREEMPTION_NOT_HELPFUL(3)}`);
      await k(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'tolerant' },
        spec: { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }], containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
      }));
      assert.match(await waitFor(() => nodeOf('tolerant'), 15_000, 'tolerant bound'), /^node-[123]$/);
    } finally {
      await k(['taint', 'nodes', '--all', 'gpu-']);
    }
    // Without the taint the plain pod is retried and bound.
    assert.match(await waitFor(() => nodeOf('plain'), 15_000, 'plain bound after untaint'), /^node-[123]$/);
    await k(['delete', 'pod', 'plain', 'tolerant', '--wait=false']);
  });

  test('cordon, drain (with DaemonSet pods) and uncordon', async () => {
    await k(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent' },
      spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] } } },
    }));
    await k(['create', 'deployment', 'web', '--image=busybox', '--replicas=6', '--', 'sleep', '3600']);
    await waitFor(async () => {
      const ds = await podsOnNodes('app=agent');
      const web = await podsOnNodes('app=web');
      return ds.size === 3 && !ds.has('<none>') && [...web.values()].reduce((a, b) => a + b, 0) === 6 && !web.has('<none>');
    }, 30_000, 'DaemonSet on every node and six web pods bound');

    assert.equal(await k(['cordon', 'node-3']), 'node/node-3 cordoned\n');
    assert.match(await k(['get', 'node', 'node-3', '--no-headers']), /^node-3\s+Ready,SchedulingDisabled\s/);
    await waitFor(async () => (await jsonpath(['node', 'node-3'], '{.spec.taints[*].key}')).includes('node.kubernetes.io/unschedulable'), 10_000, 'unschedulable taint');

    const refused = await c.kubectl(['drain', 'node-3', '--timeout=60s']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot delete DaemonSet-managed Pods \(use --ignore-daemonsets to ignore\): default\/agent-/);

    const drained = await k(['drain', 'node-3', '--ignore-daemonsets', '--timeout=60s']);
    assert.match(drained, /node\/node-3 drained/);
    const web = await waitFor(async () => {
      const m = await podsOnNodes('app=web');
      return [...m.values()].reduce((a, b) => a + b, 0) === 6 && !m.has('<none>') && !m.has('node-3') ? m : undefined;
    }, 30_000, 'web pods replaced off node-3');
    assert.deepEqual([...web.keys()].sort(), ['node-1', 'node-2']);
    assert.equal((await podsOnNodes('app=agent')).get('node-3'), 1, 'the DaemonSet pod stays');

    assert.equal(await k(['uncordon', 'node-3']), 'node/node-3 uncordoned\n');
    await waitFor(async () => (await jsonpath(['node', 'node-3'], '{.spec.taints}')) === '', 10_000, 'unschedulable taint removed');
    await k(['delete', 'deployment', 'web']);
    await k(['delete', 'daemonset', 'agent']);
  });

  test('binding an already-bound pod is a 409 Conflict and leaves nodeName alone', async () => {
    await k(['run', 'bound', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
    const node = await waitFor(() => nodeOf('bound'), 15_000, 'bound');
    const other = node === 'node-1' ? 'node-2' : 'node-1';
    const binding = JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { apiVersion: 'v1', kind: 'Node', name: other } });
    const r = await c.kubectl(['create', '--raw', '/api/v1/namespaces/default/pods/bound/binding', '-f', '-'], { input: binding });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Conflict|already assigned/);
    assert.equal(await nodeOf('bound'), node);
    await k(['delete', 'pod', 'bound', '--wait=false']);
  });
});
