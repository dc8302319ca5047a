import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../../api/object.js';
import { ago, cells, columnNames } from './testdata/helpers.js';

const template = {
  metadata: { labels: { app: 'nginx' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
};
const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: ago(90) });

test('replicaset: integer counters and wide containers/images/selector', () => {
  assert.deepEqual(columnNames('apps/v1/replicasets'), ['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const rs = deepFreeze({
    metadata: meta('nginx-7c5ddbdf54'),
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx', 'pod-template-hash': '7c5ddbdf54' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'edge'] }] },
      template,
    },
    status: { replicas: 3, readyReplicas: 2 },
  });
  assert.deepEqual(cells('apps/v1/replicasets', rs), [
    'nginx-7c5ddbdf54',
    3,
    3,
    2,
    '90s',
    'nginx',
    'nginx:1.27',
    'app=nginx,pod-template-hash=7c5ddbdf54,tier in (edge,web)',
  ]);
  // Status not written yet; replicas defaulted to 1; empty selector prints <none>.
  assert.deepEqual(cells('apps/v1/replicasets', { metadata: meta('x'), spec: { selector: {}, template } }), ['x', 1, 0, 0, '90s', 'nginx', 'nginx:1.27', '<none>']);
  // A selector that does not convert prints <error>.
  const bad = { metadata: meta('x'), spec: { selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, template } };
  assert.equal(cells('apps/v1/replicasets', bad)[7], '<error>');
});

test('deployment: READY is ready/replicas; selector printed bare', () => {
  assert.deepEqual(columnNames('apps/v1/deployments'), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const d = deepFreeze({
    metadata: meta('nginx'),
    spec: { replicas: 3, selector: { matchLabels: { app: 'nginx' } }, template: { ...template, spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:2' }] } } },
    status: { replicas: 3, readyReplicas: 1, updatedReplicas: 2, availableReplicas: 1 },
  });
  assert.deepEqual(cells('apps/v1/deployments', d), ['nginx', '1/3', 2, 1, '90s', 'a,b', 'x:1,y:2', 'app=nginx']);
  assert.deepEqual(cells('apps/v1/deployments', { metadata: meta('new'), spec: { selector: {}, template } }), ['new', '0/1', 0, 0, '90s', 'nginx', 'nginx:1.27', '']);
  const bad = { metadata: meta('bad'), spec: { selector: { matchExpressions: [{ key: 'a', operator: 'Bogus' }] }, template } };
  assert.equal(cells('apps/v1/deployments', bad)[7], '<invalid>');
});

test('statefulset: READY is ready/replicas, wide containers and images only', () => {
  assert.deepEqual(columnNames('apps/v1/statefulsets'), ['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
  const sts = { metadata: meta('web'), spec: { replicas: 2, serviceName: 'web', selector: { matchLabels: { app: 'nginx' } }, template }, status: { replicas: 2, readyReplicas: 2 } };
  assert.deepEqual(cells('apps/v1/statefulsets', sts), ['web', '2/2', '90s', 'nginx', 'nginx:1.27']);
});

test('daemonset: NODE SELECTOR from the pod template, <none> when empty', () => {
  assert.deepEqual(columnNames('apps/v1/daemonsets'), [
    'Name',
    'Desired',
    'Current',
    'Ready',
    'Up-to-date',
    'Available',
    'Node Selector',
    'Age',
    'Containers*',
    'Images*',
    'Selector*',
  ]);
  const status = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2, numberMisscheduled: 0 };
  const ds = { metadata: meta('fluentd'), spec: { selector: { matchLabels: { name: 'fluentd' } }, template }, status };
  assert.deepEqual(cells('apps/v1/daemonsets', ds), ['fluentd', 3, 3, 2, 3, 2, '<none>', '90s', 'nginx', 'nginx:1.27', 'name=fluentd']);
  const pinned = { ...ds, spec: { ...ds.spec, template: { ...template, spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd' } } } } };
  assert.equal(cells('apps/v1/daemonsets', pinned)[6], 'disk=ssd,kubernetes.io/os=linux');
});

test('controllerrevision: CONTROLLER is kind.group/name of the controller owner', () => {
  assert.deepEqual(columnNames('apps/v1/controllerrevisions'), ['Name', 'Controller', 'Revision', 'Age']);
  const owned = (apiVersion: string, kind: string) => ({
    metadata: { ...meta('fluentd-6d8f9b7c4'), ownerReferences: [{ apiVersion, kind, name: 'fluentd', uid: 'u', controller: true }] },
    revision: 2,
  });
  assert.deepEqual(cells('apps/v1/controllerrevisions', owned('apps/v1', 'DaemonSet')), ['fluentd-6d8f9b7c4', 'daemonset.apps/fluentd', 2, '90s']);
  assert.equal(cells('apps/v1/controllerrevisions', owned('v1', 'Pod'))[1], 'pod/fluentd');
  assert.deepEqual(cells('apps/v1/controllerrevisions', { metadata: meta('orphan'), revision: 1 }), ['orphan', '<none>', 1, '90s']);
});
