import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { deepFreeze, type KubeObject } from '../../api/object.js';
import { findResource } from '../../api/resources.js';
import { printTable } from './print-table.js';
import { podReadyString, podRestartsString, podStatusReason, summarizePod } from './pod.js';
import { NOW, ago, cells, columnNames } from './testdata/helpers.js';

function pod(over: { spec?: Partial<Pod['spec']>; status?: Pod['status']; deleted?: boolean; name?: string }): Pod {
  return deepFreeze({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: over.name ?? 'web-0',
      namespace: 'default',
      uid: 'u-1',
      creationTimestamp: ago(300),
      ...(over.deleted ? { deletionTimestamp: ago(5), deletionGracePeriodSeconds: 30 } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...over.spec },
    status: over.status,
  } as Pod);
}

const running = (name: string, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name,
  image: 'nginx:1.27',
  imageID: '',
  ready: true,
  restartCount: 0,
  started: true,
  state: { running: { startedAt: ago(200) } },
  ...extra,
});
const waiting = (name: string, reason: string, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name,
  image: 'nginx:1.27',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { waiting: { reason } },
  ...extra,
});
const terminated = (name: string, exitCode: number, reason?: string, extra: Partial<ContainerStatus> = {}): ContainerStatus => ({
  name,
  image: 'busybox',
  imageID: '',
  ready: false,
  restartCount: 0,
  state: { terminated: { exitCode, ...(reason ? { reason } : {}), startedAt: ago(100), finishedAt: ago(90) } },
  ...extra,
});
const crashedBefore = (secondsAgo: number) => ({ terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(secondsAgo) } });

const GATED_CONDITIONS = [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }];

// [case, pod, NAME READY STATUS RESTARTS AGE IP NODE NOMINATED-NODE READINESS-GATES]
const cases: Array<[string, Pod, unknown[]]> = [
  [
    'pending, not scheduled, no status yet',
    pod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } }),
    ['web-0', '0/1', 'Pending', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'scheduling gated',
    pod({ spec: { schedulingGates: [{ name: 'example.com/gate' }] }, status: { phase: 'Pending', conditions: GATED_CONDITIONS } }),
    ['web-0', '0/1', 'SchedulingGated', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'container creating',
    pod({
      spec: { nodeName: 'node-1' },
      status: { phase: 'Pending', hostIP: '10.0.0.11', containerStatuses: [waiting('app', 'ContainerCreating')] },
    }),
    ['web-0', '0/1', 'ContainerCreating', '0', '5m', '<none>', 'node-1', '<none>', '<none>'],
  ],
  [
    'running and ready',
    pod({
      spec: { nodeName: 'node-1' },
      status: { phase: 'Running', podIP: '10.244.1.7', podIPs: [{ ip: '10.244.1.7' }], containerStatuses: [running('app')] },
    }),
    ['web-0', '1/1', 'Running', '0', '5m', '10.244.1.7', 'node-1', '<none>', '<none>'],
  ],
  [
    'podIP without podIPs still prints the IP (the internal pod backfills podIPs)',
    pod({ spec: { nodeName: 'node-1' }, status: { phase: 'Running', podIP: '10.244.1.8', containerStatuses: [running('app')] } }),
    ['web-0', '1/1', 'Running', '0', '5m', '10.244.1.8', 'node-1', '<none>', '<none>'],
  ],
  [
    'two containers, one not ready; nominated node',
    pod({
      spec: { containers: [{ name: 'app' }, { name: 'log' }] },
      status: {
        phase: 'Running',
        nominatedNodeName: 'node-2',
        containerStatuses: [running('app'), running('log', { ready: false })],
      },
    }),
    ['web-0', '1/2', 'Running', '0', '5m', '<none>', '<none>', 'node-2', '<none>'],
  ],
  [
    'completed',
    pod({ status: { phase: 'Succeeded', containerStatuses: [terminated('app', 0, 'Completed')] } }),
    ['web-0', '0/1', 'Completed', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'error',
    pod({ status: { phase: 'Failed', containerStatuses: [terminated('app', 1, 'Error')] } }),
    ['web-0', '0/1', 'Error', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'OOMKilled',
    pod({ status: { phase: 'Running', containerStatuses: [terminated('app', 137, 'OOMKilled', { restartCount: 1, lastState: crashedBefore(600) })] } }),
    ['web-0', '0/1', 'OOMKilled', '1 (10m ago)', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'terminated without reason: exit code, then signal',
    pod({
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Failed',
        containerStatuses: [terminated('a', 2), { ...terminated('b', 137), state: { terminated: { exitCode: 137, signal: 9 } } }],
      },
    }),
    // Containers are walked last to first, so the first container's state wins.
    ['web-0', '0/2', 'ExitCode:2', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'crash loop with restarts and last restart time',
    pod({
      status: {
        phase: 'Running',
        containerStatuses: [waiting('app', 'CrashLoopBackOff', { restartCount: 5, lastState: crashedBefore(45) })],
      },
    }),
    ['web-0', '0/1', 'CrashLoopBackOff', '5 (45s ago)', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'restarts sum over containers and use the latest finish time',
    pod({
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          running('a', { restartCount: 2, lastState: crashedBefore(3600) }),
          running('b', { restartCount: 1, lastState: crashedBefore(130) }),
        ],
      },
    }),
    ['web-0', '2/2', 'Running', '3 (2m10s ago)', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'image pull back-off',
    pod({ status: { phase: 'Pending', containerStatuses: [waiting('app', 'ImagePullBackOff')] } }),
    ['web-0', '0/1', 'ImagePullBackOff', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Init:0/1 while the init container runs',
    pod({
      spec: { initContainers: [{ name: 'init' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [running('init', { ready: false })],
        containerStatuses: [waiting('app', 'PodInitializing')],
      },
    }),
    ['web-0', '0/1', 'Init:0/1', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Init:1/2 after the first init container succeeded',
    pod({
      spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [terminated('i1', 0, 'Completed'), waiting('i2', 'PodInitializing')],
        containerStatuses: [waiting('app', 'PodInitializing')],
      },
    }),
    ['web-0', '0/1', 'Init:1/2', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Init:Error',
    pod({
      spec: { initContainers: [{ name: 'init' }] },
      status: { phase: 'Failed', initContainerStatuses: [terminated('init', 1, 'Error')], containerStatuses: [waiting('app', 'PodInitializing')] },
    }),
    ['web-0', '0/1', 'Init:Error', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Init:ExitCode and Init:Signal without a reason',
    pod({
      spec: { initContainers: [{ name: 'init' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ ...terminated('init', 3), state: { terminated: { exitCode: 3 } } }] },
    }),
    ['web-0', '0/1', 'Init:ExitCode:3', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Init:Signal',
    pod({
      spec: { initContainers: [{ name: 'init' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ ...terminated('init', 137), state: { terminated: { exitCode: 137, signal: 9 } } }] },
    }),
    ['web-0', '0/1', 'Init:Signal:9', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Init:CrashLoopBackOff counts init restarts while initializing',
    pod({
      spec: { initContainers: [{ name: 'init' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [waiting('init', 'CrashLoopBackOff', { restartCount: 3, lastState: crashedBefore(120) })],
        containerStatuses: [waiting('app', 'PodInitializing')],
      },
    }),
    ['web-0', '0/1', 'Init:CrashLoopBackOff', '3 (2m ago)', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'init restarts no longer count once initialized',
    pod({
      spec: { initContainers: [{ name: 'init' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [terminated('init', 0, 'Completed', { restartCount: 2, lastState: crashedBefore(250) })],
        containerStatuses: [running('app')],
      },
    }),
    ['web-0', '1/1', 'Running', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'sidecar: restartable init container counts in READY and RESTARTS',
    pod({
      spec: { initContainers: [{ name: 'setup' }, { name: 'proxy', restartPolicy: 'Always' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }],
        initContainerStatuses: [
          terminated('setup', 0, 'Completed'),
          running('proxy', { restartCount: 1, lastState: crashedBefore(1000) }),
        ],
        containerStatuses: [running('app')],
      },
    }),
    ['web-0', '2/2', 'Running', '1 (16m ago)', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'sidecar not started yet keeps the pod initializing',
    pod({
      spec: { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [running('proxy', { started: false, ready: false })],
        containerStatuses: [waiting('app', 'PodInitializing')],
      },
    }),
    ['web-0', '0/2', 'Init:0/1', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Completed with a container still running: Running when the pod is Ready',
    pod({
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [terminated('a', 0, 'Completed'), running('b')],
      },
    }),
    ['web-0', '1/2', 'Running', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'Completed with a container still running: NotReady otherwise',
    pod({
      spec: { containers: [{ name: 'a' }, { name: 'b' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [terminated('a', 0, 'Completed'), running('b')] },
    }),
    ['web-0', '1/2', 'NotReady', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'terminating',
    pod({ deleted: true, spec: { nodeName: 'node-1' }, status: { phase: 'Running', podIP: '10.244.1.7', containerStatuses: [running('app')] } }),
    ['web-0', '1/1', 'Terminating', '0', '5m', '10.244.1.7', 'node-1', '<none>', '<none>'],
  ],
  [
    'a finished pod being deleted keeps its status',
    pod({ deleted: true, status: { phase: 'Succeeded', containerStatuses: [terminated('app', 0, 'Completed')] } }),
    ['web-0', '0/1', 'Completed', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'node lost: Unknown',
    pod({ deleted: true, status: { phase: 'Running', reason: 'NodeLost', containerStatuses: [running('app')] } }),
    ['web-0', '1/1', 'Unknown', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'evicted',
    pod({ status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' } }),
    ['web-0', '0/1', 'Evicted', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
  ],
  [
    'readiness gates: one of two true',
    pod({
      spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
      status: {
        phase: 'Running',
        conditions: [
          { type: 'example.com/lb', status: 'True' },
          { type: 'example.com/dns', status: 'False' },
        ],
        containerStatuses: [running('app')],
      },
    }),
    ['web-0', '1/1', 'Running', '0', '5m', '<none>', '<none>', '<none>', '1/2'],
  ],
];

test('pod columns match Kubernetes', () => {
  assert.deepEqual(columnNames('/v1/pods'), [
    'Name',
    'Ready',
    'Status',
    'Restarts',
    'Age',
    'IP*',
    'Node*',
    'Nominated Node*',
    'Readiness Gates*',
  ]);
});

for (const [name, p, want] of cases) {
  test(`pod row: ${name}`, () => {
    assert.deepEqual(cells('/v1/pods', p), want);
  });
}

test('pod helpers agree with the printed row', () => {
  const p = cases.find(([n]) => n.startsWith('crash loop'))?.[1] as Pod;
  assert.equal(podStatusReason(p), 'CrashLoopBackOff');
  assert.equal(podReadyString(p), '0/1');
  assert.equal(podRestartsString(p, NOW), '5 (45s ago)');
  assert.deepEqual(summarizePod(p), { ready: 0, total: 1, reason: 'CrashLoopBackOff', restarts: 5, lastRestartMs: NOW.getTime() - 45_000 });
});

test('finished pods carry the Completed row condition; others none', () => {
  const info = findResource('', 'v1', 'pods');
  assert.ok(info);
  const byName = new Map(cases.map(([n, p]) => [n, p]));
  const pods = [byName.get('completed'), byName.get('error'), byName.get('running and ready')] as unknown as KubeObject[];
  const rows = printTable(info, pods, { now: NOW }).rows;
  assert.deepEqual(rows[0]?.conditions, [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
  assert.deepEqual(rows[1]?.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);
  assert.equal(rows[2]?.conditions, undefined);
});
