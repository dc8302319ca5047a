/**
 * The node's half of local-path cleanup against a real in-process API server, as the node user:
 * a deleted volume pinned to the node loses its directory, then its finalizer (and is gone); one
 * pinned to another node is left alone; a volume deleted while the agent was away is cleaned
 * when it starts; a path that would leave the data dir is never deleted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PersistentVolume } from 'kubernetes-types/core/v1.js';
import { startInProcessApi, waitFor } from '../../test/helpers/in-process.js';
import { isNotFound } from '../api/errors.js';
import { LocalVolumeCleaner, PersistentVolumeSource } from './local-volumes.js';

const volume = (name: string, host: string, path = `volumes/${name}`): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, annotations: { 'skiff.dev/local-path': path }, finalizers: ['skiff.dev/local-path-cleanup'] },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    persistentVolumeReclaimPolicy: 'Delete',
    local: { path },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [host] }] }] } },
  },
});

const exists = (p: string): Promise<boolean> => stat(p).then(
  () => true,
  () => false,
);

test('deleted local-path volumes pinned to the node: directory removed, then the finalizer', async (t) => {
  const api = await startInProcessApi();
  const dir = await mkdtemp(join(tmpdir(), 'skiff-localvol-'));
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const admin = api.client('admin');
  const n1 = api.nodeClient('n1');
  const pvs = admin.persistentVolumes();
  const gone = async (name: string): Promise<boolean> => {
    try {
      await pvs.get(name);
      return false;
    } catch (err) {
      return isNotFound(err);
    }
  };
  // Deleted while no agent ran: cleaned at start-up.
  await pvs.create(volume('pv-early', 'n1'));
  await mkdir(join(dir, 'volumes', 'pv-early'), { recursive: true });
  await pvs.delete('pv-early');
  // A sibling file outside every volume must survive whatever happens.
  await writeFile(join(dir, 'keep'), 'x');

  const source = new PersistentVolumeSource(n1);
  source.start(stop.signal);
  const cleaner = new LocalVolumeCleaner({ nodeName: 'n1', hostname: 'n1', client: n1, source, dataDir: dir });
  const run = cleaner.run(stop.signal);
  t.after(() => run);
  await waitFor(() => gone('pv-early'), 10_000, 'pv-early cleaned at start-up');
  assert.equal(await exists(join(dir, 'volumes', 'pv-early')), false);

  await pvs.create(volume('pv-a', 'n1'));
  await pvs.create(volume('pv-other', 'n2'));
  await pvs.create(volume('pv-evil', 'n1', '../keep'));
  await mkdir(join(dir, 'volumes', 'pv-a', 'sub'), { recursive: true });
  await writeFile(join(dir, 'volumes', 'pv-a', 'sub', 'data'), 'payload');
  await mkdir(join(dir, 'volumes', 'pv-other'), { recursive: true });
  await pvs.delete('pv-a');
  await pvs.delete('pv-other');
  await pvs.delete('pv-evil');
  await waitFor(() => gone('pv-a'), 10_000, 'pv-a deleted once its directory is gone');
  assert.equal(await exists(join(dir, 'volumes', 'pv-a')), false);
  await waitFor(() => gone('pv-evil'), 10_000, 'pv-evil released without touching anything');
  assert.equal(await exists(join(dir, 'keep')), true, 'a path outside the data dir is never deleted');
  // Another node's volume keeps its finalizer and its directory here.
  const other = await pvs.get('pv-other');
  assert.ok(other.metadata?.deletionTimestamp);
  assert.deepEqual(other.metadata?.finalizers, ['skiff.dev/local-path-cleanup']);
  assert.equal(await exists(join(dir, 'volumes', 'pv-other')), true);
  assert.deepEqual([...cleaner.cleaned].sort(), ['pv-a', 'pv-early', 'pv-evil']);
});
