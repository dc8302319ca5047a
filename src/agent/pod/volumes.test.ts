/**
 * Volumes as files: ConfigMap/Secret items and modes through the atomic writer (with `..data`
 * and an atomic update), downward API files, emptyDir, hostPath type checks, PVCs bound to a
 * hostPath PV; and container configs: mounts, SKIFF_VOLUME_* variables, paths remapped when
 * there is no mount namespace, the image map, and CreateContainerError's message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { setUpVolumes, VolumeError, type VolumeObjectSource } from './volumes.js';
import { buildContainerConfig, CreateContainerError } from './container-config.js';
import { DEFAULT_IMAGES } from '../node-config.js';

async function tmp(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'skiff-vol-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

function objects(cm: Record<string, string>): VolumeObjectSource {
  return {
    configMap: async (_ns, name) => (name === 'cfg' ? { data: { ...cm } } : undefined),
    secret: async (_ns, name) => (name === 'sec' ? { data: { token: Buffer.from('s3cret').toString('base64') } } : undefined),
    persistentVolumeClaim: async (_ns, name) => (name === 'claim' ? { spec: { volumeName: 'pv1' }, status: { phase: 'Bound' } } : name === 'pending' ? { spec: {}, status: { phase: 'Pending' } } : undefined),
    persistentVolume: async () => ({ metadata: { name: 'pv1' }, spec: { hostPath: { path: '/tmp' } } }),
  };
}

const NODE = { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' }, dataDir: '/nonexistent' };

const basePod = (volumes: NonNullable<Pod['spec']>['volumes']): Pod => ({
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'web', tier: 'front' } },
  spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }], volumes },
});

test('configMap, secret, downwardAPI, emptyDir, hostPath and PVC volumes', async (t) => {
  const dir = await tmp(t);
  const hostDir = join(dir, 'host', 'data');
  const pod = basePod([
    { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'conf/a.txt', mode: 0o600 }] } },
    { name: 'all', configMap: { name: 'cfg' } },
    { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o400 } },
    { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } }] } },
    { name: 'scratch', emptyDir: {} },
    { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
    { name: 'pvc', persistentVolumeClaim: { claimName: 'claim' } },
  ]);
  const written = new Map<string, string>();
  const paths = await setUpVolumes({ pod, dir: join(dir, 'vols'), objects: objects({ a: 'A', b: 'B' }), allocatable: {}, written, node: NODE });
  assert.equal(await readFile(join(paths.get('cfg')!, 'conf/a.txt'), 'utf8'), 'A');
  assert.equal((await stat(join(paths.get('cfg')!, '..data', 'conf/a.txt'))).mode & 0o777, 0o600);
  assert.equal(await readlink(join(paths.get('all')!, 'b')), join('..data', 'b'));
  assert.equal(await readFile(join(paths.get('sec')!, 'token'), 'utf8'), 's3cret');
  assert.equal((await stat(join(paths.get('sec')!, '..data', 'token'))).mode & 0o777, 0o400);
  assert.equal(await readFile(join(paths.get('info')!, 'labels'), 'utf8'), 'app="web"\ntier="front"');
  assert.equal(await readFile(join(paths.get('info')!, 'mem'), 'utf8'), '64');
  assert.ok((await stat(paths.get('scratch')!)).isDirectory());
  assert.equal(paths.get('host'), hostDir);
  assert.ok((await stat(hostDir)).isDirectory(), 'DirectoryOrCreate created it');
  assert.equal(paths.get('pvc'), '/tmp');
  // An update swaps ..data atomically and drops keys that went away.
  const before = await readlink(join(paths.get('all')!, '..data'));
  await setUpVolumes({ pod, dir: join(dir, 'vols'), objects: objects({ a: 'A2' }), allocatable: {}, written, node: NODE });
  assert.notEqual(await readlink(join(paths.get('all')!, '..data')), before);
  assert.equal(await readFile(join(paths.get('all')!, 'a'), 'utf8'), 'A2');
  await assert.rejects(stat(join(paths.get('all')!, 'b')));
});

test('volume errors are worded as kubelet FailedMount events', async (t) => {
  const dir = await tmp(t);
  const run = (v: NonNullable<Pod['spec']>['volumes']) => setUpVolumes({ pod: basePod(v), dir, objects: objects({}), allocatable: {}, written: new Map(), node: NODE });
  await assert.rejects(run([{ name: 'x', configMap: { name: 'missing' } }]), (e: Error) => e instanceof VolumeError && e.message === 'MountVolume.SetUp failed for volume "x" : configmap "missing" not found');
  await run([{ name: 'x', configMap: { name: 'missing', optional: true } }]);
  await assert.rejects(run([{ name: 'h', hostPath: { path: join(dir, 'nope'), type: 'Directory' } }]), /hostPath type check failed: .*nope is not a directory/);
  await assert.rejects(run([{ name: 'p', persistentVolumeClaim: { claimName: 'pending' } }]), /persistentvolumeclaim "pending" is not bound/);
});

test('local-path volumes: a directory under the node data dir, kept across mounts, pinned to its node', async (t) => {
  const dir = await tmp(t);
  const node = { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' }, dataDir: join(dir, 'node') };
  const pv = (over: { path?: string; host?: string; deleting?: boolean } = {}) => ({
    metadata: { name: 'pvc-1', annotations: { 'skiff.dev/local-path': over.path ?? 'volumes/pvc-1' }, ...(over.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    // spec.local.path holds the same relative path: it must not be taken as an absolute one.
    spec: { local: { path: over.path ?? 'volumes/pvc-1' }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [over.host ?? 'n1'] }] }] } } },
  });
  let current = pv();
  const objs: VolumeObjectSource = { ...objects({}), persistentVolume: async () => current };
  const mount = () => setUpVolumes({ pod: basePod([{ name: 'www', persistentVolumeClaim: { claimName: 'claim' } }]), dir: join(dir, 'vols'), objects: objs, allocatable: {}, written: new Map(), node });
  const first = (await mount()).get('www')!;
  assert.equal(first, join(dir, 'node', 'volumes', 'pvc-1'));
  const st = await stat(first);
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o777, 'writable by any pod user, whatever the umask');
  await writeFile(join(first, 'index.html'), 'web-0');
  // The pod comes back: same directory, same data.
  assert.equal(await readFile(join((await mount()).get('www')!, 'index.html'), 'utf8'), 'web-0');
  current = pv({ host: 'n2' });
  await assert.rejects(mount(), /MountVolume.SetUp failed for volume "www" : volume node affinity conflict/);
  current = pv({ deleting: true });
  await assert.rejects(mount(), /is being deleted/);
  for (const bad of ['/etc', '../outside', 'volumes/../../x', '']) {
    current = pv({ path: bad });
    await assert.rejects(mount(), /invalid skiff.dev\/local-path annotation/, bad);
  }
});

test('container config: mounts, SKIFF_VOLUME_*, $(VAR) in args, remapped paths without a mount namespace, the image map', async (t) => {
  const dir = await tmp(t);
  await writeFile(join(dir, 'run.sh'), '#!/bin/sh\n');
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox:1.36',
          args: ['sh', '-c', 'ls $(SKIFF_VOLUME_MY_DATA)'],
          workingDir: '/data/sub',
          volumeMounts: [{ name: 'my-data', mountPath: '/data' }],
        },
      ],
    },
  };
  const base = {
    pod,
    container: pod.spec!.containers[0]!,
    init: false,
    attempt: 2,
    volumePaths: new Map([['my-data', dir]]),
    nodeConfig: { path: '/etc/skiff/config.yaml', images: new Map(Object.entries(DEFAULT_IMAGES)), capacity: {} },
    objects: { configMap: async () => undefined, secret: async () => undefined },
    allocatable: {},
    sandboxDir: join(dir, 'sandbox'),
    logPath: join(dir, 'c', '2.log'),
    baseEnv: [['PATH', '/usr/bin:/bin']] as Array<[string, string]>,
  };
  const plain = (await buildContainerConfig({ ...base, mountsVolumes: false })).req;
  assert.deepEqual(plain.command, ['sh', '-c', `ls ${dir}`], 'busybox args run as given; volume env expanded');
  assert.equal(plain.workingDir, join(dir, 'sub'), 'workingDir under a mountPath is remapped');
  assert.equal(new Map(plain.env).get('HOSTNAME'), 'p');
  assert.equal(plain.attempt, 2);
  const ns = (await buildContainerConfig({ ...base, mountsVolumes: true })).req;
  assert.deepEqual(ns.command, ['sh', '-c', 'ls /data']);
  assert.equal(ns.workingDir, '/data/sub');
  assert.deepEqual(ns.mounts, [{ source: dir, target: '/data', readOnly: false, file: false }]);
  const nginx = { ...pod.spec!.containers[0]!, image: 'nginx:1.27', args: [] };
  await assert.rejects(
    buildContainerConfig({ ...base, container: nginx, mountsVolumes: false }),
    (e: Error) => e instanceof CreateContainerError && /has no command, and image "nginx:1.27" is not mapped to one on this node/.test(e.message) && e.message.includes('/etc/skiff/config.yaml'),
  );
});
