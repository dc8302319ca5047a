/**
 * The node authorizer's rules for PersistentVolumes, through a real in-process API server: a node
 * reads volumes (list and watch included, to find deleted local-path volumes), updates only the
 * volumes pinned to it (to drop the local-path cleanup finalizer), and creates or deletes none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { startInProcessApi } from '../../../test/helpers/in-process.js';
import { isStatus } from '../../api/errors.js';

const pinned = (name: string, host: string): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, annotations: { 'skiff.dev/local-path': `volumes/${name}` }, finalizers: ['skiff.dev/local-path-cleanup'] },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    local: { path: `volumes/${name}` },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } },
  },
});

test('node authorizer: a node reads persistent volumes and updates only those pinned to it', async (t) => {
  const api = await startInProcessApi();
  t.after(() => api.stop());
  const admin = api.client('admin');
  const n1 = api.nodeClient('n1');
  await admin.persistentVolumes().create(pinned('pv-n1', 'n1'));
  await admin.persistentVolumes().create(pinned('pv-n2', 'n2'));
  await admin.persistentVolumes().create({ ...pinned('pv-any', 'n1'), spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp' } } });

  const forbidden = async (p: Promise<unknown>, why: RegExp): Promise<void> => {
    await assert.rejects(p, (err: unknown) => isStatus(err, 403) && why.test((err as Error).message));
  };
  // Reads: get, list and watch.
  assert.equal((await n1.persistentVolumes().get('pv-n2')).metadata?.name, 'pv-n2');
  assert.deepEqual((await n1.persistentVolumes().list()).items.map((pv) => pv.metadata?.name).sort(), ['pv-any', 'pv-n1', 'pv-n2']);
  const ac = new AbortController();
  const watch = n1.persistentVolumes().watch({ resourceVersion: '0', signal: ac.signal });
  const first = await watch[Symbol.asyncIterator]().next();
  ac.abort();
  assert.equal(first.done, false, 'a node may watch volumes');

  // Updates: its own pinned volume (dropping the finalizer), not another node's, not an unpinned one.
  const own = await n1.persistentVolumes().get('pv-n1');
  const updated = await n1.persistentVolumes().update({ ...own, metadata: { ...own.metadata, finalizers: [] } });
  assert.deepEqual(updated.metadata?.finalizers ?? [], []);
  const other = await n1.persistentVolumes().get('pv-n2');
  await forbidden(n1.persistentVolumes().update({ ...other, metadata: { ...other.metadata, finalizers: [] } }), /persistentvolume is not pinned to this node/);
  await forbidden(n1.persistentVolumes().patch('pv-n2', 'merge', { metadata: { finalizers: null } }), /not pinned to this node/);
  await forbidden(n1.persistentVolumes().patch('pv-any', 'merge', { metadata: { labels: { x: 'y' } } }), /not pinned to this node/);
  // Never create or delete.
  await forbidden(n1.persistentVolumes().create(pinned('pv-new', 'n1')), /may only read persistentvolumes/);
  await forbidden(n1.persistentVolumes().delete('pv-n1'), /may only read persistentvolumes/);
  // Claims stay get-only and only for claims its pods use.
  await forbidden(n1.persistentVolumeClaims('default').list(), /may only get individual persistentvolumeclaims/);
});
