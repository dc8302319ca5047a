import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { deepFreeze } from '../../api/object.js';
import { ago, cells, columnNames } from './testdata/helpers.js';

function node(opts: { ready?: NodeCondition['status']; unschedulable?: boolean; labels?: Record<string, string>; info?: boolean; addresses?: boolean }): Node {
  return deepFreeze({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', creationTimestamp: ago(3 * 86400 + 4 * 3600), labels: opts.labels ?? { 'kubernetes.io/hostname': 'node-1' } },
    spec: opts.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        ...(opts.ready ? [{ type: 'Ready', status: opts.ready }] : []),
      ],
      addresses:
        opts.addresses === false
          ? []
          : [
              { type: 'Hostname', address: 'node-1' },
              { type: 'InternalIP', address: '10.0.0.11' },
            ],
      nodeInfo:
        opts.info === false
          ? undefined
          : {
              kubeletVersion: 'v1.32.0-skiff',
              osImage: 'Debian GNU/Linux 12 (bookworm)',
              kernelVersion: '6.1.0-18-amd64',
              containerRuntimeVersion: 'skiff://0.1.0',
              architecture: 'amd64',
              operatingSystem: 'linux',
              bootID: '',
              machineID: '',
              systemUUID: '',
              kubeProxyVersion: '',
            },
    },
  } as Node);
}

test('node columns match Kubernetes', () => {
  assert.deepEqual(columnNames('/v1/nodes'), [
    'Name',
    'Status',
    'Roles',
    'Age',
    'Version',
    'Internal-IP*',
    'External-IP*',
    'OS-Image*',
    'Kernel-Version*',
    'Container-Runtime*',
  ]);
});

test('node row: ready worker, wide system info, no external IP', () => {
  assert.deepEqual(cells('/v1/nodes', node({ ready: 'True' })), [
    'node-1',
    'Ready',
    '<none>',
    '3d4h',
    'v1.32.0-skiff',
    '10.0.0.11',
    '<none>',
    'Debian GNU/Linux 12 (bookworm)',
    '6.1.0-18-amd64',
    'skiff://0.1.0',
  ]);
});

test('node STATUS: NotReady on False or Unknown, Unknown without Ready, SchedulingDisabled when cordoned', () => {
  assert.equal(cells('/v1/nodes', node({ ready: 'False' }))[1], 'NotReady');
  assert.equal(cells('/v1/nodes', node({ ready: 'Unknown' }))[1], 'NotReady');
  assert.equal(cells('/v1/nodes', node({}))[1], 'Unknown');
  assert.equal(cells('/v1/nodes', node({ ready: 'True', unschedulable: true }))[1], 'Ready,SchedulingDisabled');
  assert.equal(cells('/v1/nodes', node({ ready: 'Unknown', unschedulable: true }))[1], 'NotReady,SchedulingDisabled');
});

test('node ROLES from node-role.kubernetes.io/* and kubernetes.io/role labels, sorted and unique', () => {
  const labels = {
    'node-role.kubernetes.io/control-plane': '',
    'node-role.kubernetes.io/etcd': 'true',
    'node-role.kubernetes.io/': '',
    'kubernetes.io/role': 'etcd',
    'node.kubernetes.io/instance-type': 'big',
  };
  assert.equal(cells('/v1/nodes', node({ ready: 'True', labels }))[2], 'control-plane,etcd');
  assert.equal(cells('/v1/nodes', node({ ready: 'True', labels: { 'kubernetes.io/role': '' } }))[2], '<none>');
});

test('node without reported info or addresses', () => {
  assert.deepEqual(cells('/v1/nodes', node({ ready: 'True', info: false, addresses: false })).slice(4), [
    '',
    '<none>',
    '<none>',
    '<unknown>',
    '<unknown>',
    '<unknown>',
  ]);
});
