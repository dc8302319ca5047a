import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../../api/object.js';
import { ago, cells, columnNames } from './testdata/helpers.js';

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: ago(3600 * 5 + 60 * 7), ...extra });

test('persistentvolumeclaim columns match Kubernetes', () => {
  assert.deepEqual(columnNames('/v1/persistentvolumeclaims'), [
    'Name',
    'Status',
    'Volume',
    'Capacity',
    'Access Modes',
    'StorageClass',
    'VolumeAttributesClass',
    'Age',
    'VolumeMode*',
  ]);
});

test('persistentvolumeclaim rows: pending, bound, terminating, beta class annotation', () => {
  const spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard', volumeMode: 'Filesystem' };
  assert.deepEqual(cells('/v1/persistentvolumeclaims', deepFreeze({ metadata: meta('data'), spec, status: { phase: 'Pending' } })), [
    'data',
    'Pending',
    '',
    '',
    '',
    'standard',
    '<unset>',
    '5h7m',
    'Filesystem',
  ]);
  const bound = deepFreeze({
    metadata: meta('data'),
    spec: { ...spec, volumeName: 'pvc-1234', volumeAttributesClassName: 'gold' },
    status: { phase: 'Bound', capacity: { storage: '1.5Gi' }, accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteOncePod', 'ReadWriteOnce'] },
  });
  assert.deepEqual(cells('/v1/persistentvolumeclaims', bound), ['data', 'Bound', 'pvc-1234', '1536Mi', 'RWO,ROX,RWX,RWOP', 'standard', 'gold', '5h7m', 'Filesystem']);
  const deleting = deepFreeze({
    metadata: meta('data', { deletionTimestamp: ago(1), annotations: { 'volume.beta.kubernetes.io/storage-class': 'legacy' } }),
    spec: { resources: { requests: { storage: '1Gi' } } },
    status: { phase: 'Bound' },
  });
  assert.deepEqual(cells('/v1/persistentvolumeclaims', deleting), ['data', 'Terminating', '', '', '', 'legacy', '<unset>', '5h7m', '<unset>']);
});

test('persistentvolume rows', () => {
  assert.deepEqual(columnNames('/v1/persistentvolumes'), [
    'Name',
    'Capacity',
    'Access Modes',
    'Reclaim Policy',
    'Status',
    'Claim',
    'StorageClass',
    'VolumeAttributesClass',
    'Reason',
    'Age',
    'VolumeMode*',
  ]);
  const pv = deepFreeze({
    metadata: { name: 'pvc-1234', creationTimestamp: ago(60) },
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      claimRef: { namespace: 'default', name: 'data' },
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
      hostPath: { path: '/var/lib/skiff/pv/pvc-1234' },
    },
    status: { phase: 'Bound' },
  });
  assert.deepEqual(cells('/v1/persistentvolumes', pv), ['pvc-1234', '10Gi', 'RWO', 'Delete', 'Bound', 'default/data', 'standard', '<unset>', '', '60s', 'Filesystem']);
  const released = deepFreeze({ metadata: { name: 'old', creationTimestamp: ago(60) }, spec: { persistentVolumeReclaimPolicy: 'Retain' }, status: { phase: 'Failed', reason: 'Recycle failed' } });
  assert.deepEqual(cells('/v1/persistentvolumes', released), ['old', '0', '', 'Retain', 'Failed', '', '', '<unset>', 'Recycle failed', '60s', '<unset>']);
});
