/** Table-driven tests of the default profile's filter and score plugins. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from '../cache/node-info.js';
import { SchedulerCache } from '../cache/scheduler-cache.js';
import { newPodInfo } from '../framework/pod-info.js';
import type { Status } from '../framework/status.js';
import { makeNode, makePod } from '../testing.js';
import { scoreBalancedAllocation } from './balanced-allocation.js';
import { filterNodeAffinity, scoreNodeAffinity } from './node-affinity.js';
import { filterNodeName } from './node-name.js';
import { filterNodePorts } from './node-ports.js';
import { filterNodeResourcesFit, insufficientResources, scoreLeastAllocated } from './node-resources-fit.js';
import { filterNodeUnschedulable } from './node-unschedulable.js';
import { normalizedTopologySpread, preScoreTopologySpread, scoreTopologySpread } from './pod-topology-spread.js';
import { countIntolerablePreferTaints, filterTaintToleration, preferNoScheduleTolerations } from './taint-toleration.js';

function nodeInfo(node: Node, ...pods: Pod[]): NodeInfo {
  const ni = new NodeInfo(node.metadata!.name!);
  ni.setNode(node);
  pods.forEach((p, i) => ni.addPod(newPodInfo({ ...p, metadata: { ...p.metadata, uid: `uid-${i}` } })));
  return ni;
}

const brief = (s: Status | undefined) => (s ? `${s.code}: ${s.reasons.join(' | ')}` : 'ok');

describe('NodeUnschedulable', () => {
  const cases: Array<[string, Node, Pod, string]> = [
    ['schedulable node', makeNode('n'), makePod('p'), 'ok'],
    ['cordoned node', makeNode('n', { unschedulable: true }), makePod('p'), 'UnschedulableAndUnresolvable: node(s) were unschedulable'],
    [
      'cordoned node, pod tolerates the unschedulable taint',
      makeNode('n', { unschedulable: true }),
      makePod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] } }),
      'ok',
    ],
  ];
  for (const [name, node, pod, want] of cases) test(name, () => assert.equal(brief(filterNodeUnschedulable(newPodInfo(pod), nodeInfo(node))), want));
});

describe('NodeName', () => {
  test('matches only the named node', () => {
    const pi = newPodInfo(makePod('p', { spec: { nodeName: 'n1' } }));
    assert.equal(brief(filterNodeName(pi, nodeInfo(makeNode('n1')))), 'ok');
    assert.equal(brief(filterNodeName(pi, nodeInfo(makeNode('n2')))), "UnschedulableAndUnresolvable: node(s) didn't match the requested node name");
    assert.equal(brief(filterNodeName(newPodInfo(makePod('q')), nodeInfo(makeNode('n2')))), 'ok');
  });
});

describe('TaintToleration', () => {
  const cases: Array<[string, Node, Pod, string]> = [
    ['no taints', makeNode('n'), makePod('p'), 'ok'],
    ['untolerated NoSchedule', makeNode('n', { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }), makePod('p'), 'UnschedulableAndUnresolvable: node(s) had untolerated taint {gpu: true}'],
    ['untolerated NoExecute without value', makeNode('n', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }), makePod('p'), 'UnschedulableAndUnresolvable: node(s) had untolerated taint {node.kubernetes.io/unreachable: }'],
    ['PreferNoSchedule does not filter', makeNode('n', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }), makePod('p'), 'ok'],
    [
      'tolerated with Exists',
      makeNode('n', { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] }),
      makePod('p', { spec: { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }] } }),
      'ok',
    ],
    [
      'first untolerated taint is named',
      makeNode('n', { taints: [{ key: 'a', value: '1', effect: 'NoSchedule' }, { key: 'b', value: '2', effect: 'NoSchedule' }] }),
      makePod('p', { spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } }),
      'UnschedulableAndUnresolvable: node(s) had untolerated taint {b: 2}',
    ],
  ];
  for (const [name, node, pod, want] of cases) test(name, () => assert.equal(brief(filterTaintToleration(newPodInfo(pod), nodeInfo(node))), want));

  test('score counts untolerated PreferNoSchedule taints', () => {
    const ni = nodeInfo(makeNode('n', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }, { key: 'c', effect: 'NoSchedule' }] }));
    assert.equal(countIntolerablePreferTaints([], ni), 2);
    const tols = preferNoScheduleTolerations([{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.equal(tols.length, 1, 'only tolerations that can match PreferNoSchedule count');
    assert.equal(countIntolerablePreferTaints(tols, ni), 1);
  });
});

describe('NodeAffinity', () => {
  const ssd = makeNode('n', { labels: { disktype: 'ssd' } });
  const cases: Array<[string, Pod, string]> = [
    ['no selector', makePod('p'), 'ok'],
    ['nodeSelector matches', makePod('p', { spec: { nodeSelector: { disktype: 'ssd' } } }), 'ok'],
    ['nodeSelector mismatch', makePod('p', { spec: { nodeSelector: { disktype: 'hdd' } } }), "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector"],
    [
      'required affinity NotIn',
      makePod('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', operator: 'NotIn', values: ['ssd'] }] }] } } } } }),
      "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector",
    ],
    [
      'required affinity matchFields',
      makePod('p', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }] } } } } }),
      'ok',
    ],
  ];
  for (const [name, pod, want] of cases) test(name, () => assert.equal(brief(filterNodeAffinity(newPodInfo(pod), nodeInfo(ssd))), want));

  test('preferred terms score their weights', () => {
    const pi = newPodInfo(makePod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 30, preference: { matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }] } }] } } } }));
    assert.equal(scoreNodeAffinity(pi, nodeInfo(ssd)), 30);
    assert.equal(scoreNodeAffinity(pi, nodeInfo(makeNode('m'))), 0);
  });
});

describe('NodePorts', () => {
  const port = (hostPort: number, hostIP?: string, protocol?: string) =>
    makePod('p', { spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort, ...(hostIP ? { hostIP } : {}), ...(protocol ? { protocol } : {}) }] }] } });
  const cases: Array<[string, Pod[], Pod, string]> = [
    ['free port', [port(8080)], port(8081), 'ok'],
    ['same port', [port(8080)], port(8080), "Unschedulable: node(s) didn't have free ports for the requested pod ports"],
    ['same port, other protocol', [port(8080)], port(8080, undefined, 'UDP'), 'ok'],
    ['different specific IPs', [port(8080, '10.0.0.1')], port(8080, '10.0.0.2'), 'ok'],
    ['wildcard against a specific IP', [port(8080, '10.0.0.1')], port(8080), "Unschedulable: node(s) didn't have free ports for the requested pod ports"],
    ['specific IP against the wildcard', [port(8080)], port(8080, '10.0.0.1'), "Unschedulable: node(s) didn't have free ports for the requested pod ports"],
  ];
  for (const [name, existing, pod, want] of cases) test(name, () => assert.equal(brief(filterNodePorts(newPodInfo(pod), nodeInfo(makeNode('n'), ...existing))), want));

  test('ports are released when the pod is removed', () => {
    const ni = nodeInfo(makeNode('n'), port(8080));
    ni.removePod('uid-0');
    assert.equal(filterNodePorts(newPodInfo(port(8080)), ni), undefined);
  });
});

describe('NodeResourcesFit', () => {
  const node = makeNode('n', { cpu: '2', memory: '4Gi', pods: '3' });
  const cases: Array<[string, Pod[], Pod, string]> = [
    ['fits', [], makePod('p', { cpu: '1', memory: '1Gi' }), 'ok'],
    ['exactly fits', [makePod('a', { cpu: '1500m' })], makePod('p', { cpu: '500m' }), 'ok'],
    ['cpu short, preemption might help', [makePod('a', { cpu: '1500m' })], makePod('p', { cpu: '1' }), 'Unschedulable: Insufficient cpu'],
    ['cpu and memory short', [makePod('a', { cpu: '1500m', memory: '3Gi' })], makePod('p', { cpu: '1', memory: '2Gi' }), 'Unschedulable: Insufficient cpu | Insufficient memory'],
    ['larger than the whole node is unresolvable', [], makePod('p', { cpu: '64' }), 'UnschedulableAndUnresolvable: Insufficient cpu'],
    ['too many pods', [makePod('a'), makePod('b'), makePod('c')], makePod('p'), 'Unschedulable: Too many pods'],
    ['too many pods and cpu', [makePod('a', { cpu: '1' }), makePod('b', { cpu: '1' }), makePod('c')], makePod('p', { cpu: '1' }), 'Unschedulable: Too many pods | Insufficient cpu'],
    ['no requests always fit resources', [makePod('a', { cpu: '2' })], makePod('p'), 'ok'],
    [
      'extended resource missing on the node',
      [],
      makePod('p', { spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '1' } } }] } }),
      'UnschedulableAndUnresolvable: Insufficient example.com/gpu',
    ],
  ];
  for (const [name, existing, pod, want] of cases) test(name, () => assert.equal(brief(filterNodeResourcesFit(newPodInfo(pod), nodeInfo(node, ...existing))), want));

  test('init containers and overhead: max(sum of app containers, largest init) + overhead', () => {
    const pod = makePod('p', {
      spec: {
        initContainers: [{ name: 'i1', image: 'x', resources: { requests: { cpu: '2', memory: '1Gi' } } }, { name: 'i2', image: 'x', resources: { requests: { cpu: '2', memory: '3Gi' } } }],
        containers: [{ name: 'c1', image: 'x', resources: { requests: { cpu: '2', memory: '1Gi' } } }, { name: 'c2', image: 'x', resources: { requests: { cpu: '1', memory: '1Gi' } } }],
        overhead: { cpu: '250m' },
      },
    });
    const pi = newPodInfo(pod);
    assert.equal(pi.request.milliCPU, 3250);
    assert.equal(pi.request.memory, 3 * 1024 ** 3);
  });

  test('restartable init containers (sidecars) add to the sum and to later init containers', () => {
    const pi = newPodInfo(
      makePod('p', {
        spec: {
          initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } }, { name: 'setup', image: 'x', resources: { requests: { cpu: '2' } } }],
          containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }],
        },
      }),
    );
    // app + sidecar = 1.5; init phase = setup 2 + sidecar 0.5 = 2.5.
    assert.equal(pi.request.milliCPU, 2500);
  });

  test('insufficientResources reports requested, used and capacity', () => {
    const [r] = insufficientResources(newPodInfo(makePod('p', { cpu: '1' })), nodeInfo(node, makePod('a', { cpu: '1500m' })));
    assert.deepEqual(r, { resource: 'cpu', reason: 'Insufficient cpu', requested: 1000, used: 1500, capacity: 2000, unresolvable: false });
  });

  test('LeastAllocated counts 100m/200Mi for containers without requests', () => {
    const ni = nodeInfo(makeNode('n', { cpu: '1', memory: '1000Mi' }), makePod('a'));
    // requested cpu = 100m (a) + 100m (p) = 200m of 1000m → 80; memory 400Mi of 1000Mi → 60.
    assert.equal(scoreLeastAllocated(newPodInfo(makePod('p')), ni), 70);
    assert.equal(scoreLeastAllocated(newPodInfo(makePod('p', { cpu: '2' })), nodeInfo(makeNode('m', { cpu: '1', memory: '1000Mi' }))), 40, 'an over-requested resource scores 0');
  });
});

describe('BalancedAllocation', () => {
  test('1 − |f_cpu − f_mem| / 2, on actual requests', () => {
    const ni = nodeInfo(makeNode('n', { cpu: '4', memory: '4Gi' }));
    assert.equal(scoreBalancedAllocation(newPodInfo(makePod('p', { cpu: '2', memory: '2Gi' })), ni), 100);
    assert.equal(scoreBalancedAllocation(newPodInfo(makePod('p', { cpu: '4' })), ni), 50);
    assert.equal(scoreBalancedAllocation(newPodInfo(makePod('p', { cpu: '1', memory: '3Gi' })), ni), 75);
  });
});

describe('PodTopologySpread (system defaults)', () => {
  test('fewer pods of the same owner scores higher; unowned pods skip the plugin', () => {
    const cache = new SchedulerCache();
    for (const n of ['a', 'b', 'c']) cache.addOrUpdateNode(makeNode(n));
    const owner = { kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid' };
    const on = (name: string, node: string) => {
      const p = makePod(name, { owner, spec: { nodeName: node } });
      cache.addPod({ ...p, metadata: { ...p.metadata, uid: name } });
    };
    on('p1', 'a');
    on('p2', 'a');
    on('p3', 'b');
    const pi = newPodInfo(makePod('new', { owner }));
    const nodes = cache.nodes();
    const st = preScoreTopologySpread(pi, nodes.length, cache, [])!;
    const raw = nodes.map((ni) => scoreTopologySpread(st, ni));
    const min = Math.min(...raw);
    const max = Math.max(...raw);
    const byNode = Object.fromEntries(nodes.map((ni, i) => [ni.name, normalizedTopologySpread(raw[i]!, min, max)]));
    assert.ok(byNode.c! > byNode.b! && byNode.b! > byNode.a!, JSON.stringify(byNode));
    assert.equal(byNode.c, 100);
    assert.equal(preScoreTopologySpread(newPodInfo(makePod('free')), 3, cache, []), undefined);
  });
});
