/**
 * Moving a cluster between SQLite and etcd with `skiff datastore migrate`, both ways, as the
 * command's help describes it: a single SQLite server's state goes to etcd, the same data dir
 * then serves from etcd with the credentials it had (existing kubeconfigs keep working), and the
 * state comes back into a fresh SQLite data dir, credentials included. Objects keep their names,
 * UIDs and content; resourceVersions are renumbered by the target. A non-empty target is refused
 * without --force.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIFF_BIN, startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { etcdSkipReason, startEtcd, type TestEtcd } from '../../src/storage/etcd/testing/etcd-server.js';

const skip = kubectlUnavailable() || etcdSkipReason();

function skiff(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SKIFF_BIN, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

interface Obj {
  kind: string;
  name: string;
  uid: string;
  rv: string;
}

describe('skiff datastore migrate: SQLite → etcd → SQLite', { skip, timeout: 300_000 }, () => {
  let etcd: TestEtcd;
  let dataDir: string;
  let backDir: string;
  let c: TestCluster | undefined;
  const token = 'migration-token';

  const objects = async (cl: TestCluster): Promise<Obj[]> => {
    const out = await cl.k(['get', 'configmaps,deployments,services', '-n', 'shop', '-o', 'jsonpath={range .items[*]}{.kind} {.metadata.name} {.metadata.uid} {.metadata.resourceVersion}{"\\n"}{end}']);
    return out
      .trim()
      .split('\n')
      .map((l) => {
        const [kind, name, uid, rv] = l.split(' ');
        return { kind: kind!, name: name!, uid: uid!, rv: rv! };
      });
  };

  before(async () => {
    etcd = await startEtcd();
    dataDir = await mkdtemp(join(tmpdir(), 'skiff-migrate-'));
    backDir = await mkdtemp(join(tmpdir(), 'skiff-migrate-back-'));
  });
  after(async () => {
    await c?.stop();
    await etcd?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(backDir, { recursive: true, force: true });
  });

  test('round trip', async () => {
    // A single server on SQLite with some state.
    c = await startCluster({ dataDir, keepDataDir: true, args: ['--nodes', '0'] });
    await c.k(['create', 'namespace', 'shop']);
    await c.k(['-n', 'shop', 'create', 'configmap', 'settings', '--from-literal=currency=EUR']);
    await c.k(['-n', 'shop', 'create', 'deployment', 'web', '--image=nginx', '--replicas=2']);
    await c.k(['-n', 'shop', 'create', 'service', 'clusterip', 'web', '--tcp=80:80']);
    const before = await objects(c);
    assert.deepEqual(
      before.map((o) => `${o.kind}/${o.name}`),
      ['ConfigMap/kube-root-ca.crt', 'ConfigMap/settings', 'Deployment/web', 'Service/web'],
    );
    const adminToken = await readFile(join(dataDir, 'admin-token'), 'utf8');
    const ca = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    await c.stop();
    c = undefined;

    const there = await skiff(['datastore', 'migrate', '--from', `sqlite:${dataDir}`, '--to', etcd.url]);
    assert.equal(there.code, 0, there.stderr);
    assert.match(there.stdout, /^Copied \d+ keys from sqlite:.* to http:\/\/127\.0\.0\.1:\d+/m);
    const refused = await skiff(['datastore', 'migrate', '--from', `sqlite:${dataDir}`, '--to', etcd.url]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /the target datastore is not empty \(\d+ keys, e\.g\. \/registry\/.*\): pass --force to replace its content/);

    // The same data dir now serves from etcd, with the credentials it had.
    c = await startCluster({ dataDir, keepDataDir: true, args: ['--nodes', '0', '--datastore-endpoint', etcd.url, '--token', token] });
    assert.equal(await readFile(join(dataDir, 'admin-token'), 'utf8'), adminToken);
    assert.equal(await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8'), ca);
    const onEtcd = await objects(c);
    assert.deepEqual(
      onEtcd.map((o) => [o.kind, o.name, o.uid]),
      before.map((o) => [o.kind, o.name, o.uid]),
    );
    assert.notDeepEqual(
      onEtcd.map((o) => o.rv),
      before.map((o) => o.rv),
      'resourceVersions are etcd revisions now',
    );
    assert.match(await c.k(['-n', 'shop', 'get', 'configmap', 'settings', '-o', 'jsonpath={.data.currency}']), /^EUR$/);
    // Still a working cluster: writes go to etcd.
    await c.k(['-n', 'shop', 'label', 'configmap', 'settings', 'moved=etcd']);
    await c.stop();
    c = undefined;

    // And back into a fresh SQLite data dir, with the cluster's credentials.
    const back = await skiff(['datastore', 'migrate', '--from', etcd.url, '--to', `sqlite:${backDir}`, '--token', token]);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /Installed the cluster credentials in /);
    c = await startCluster({ dataDir: backDir, keepDataDir: true, args: ['--nodes', '0'] });
    assert.equal(await readFile(join(backDir, 'admin-token'), 'utf8'), adminToken);
    assert.equal(await readFile(join(backDir, 'tls', 'ca.crt'), 'utf8'), ca);
    const home = await objects(c);
    assert.deepEqual(
      home.map((o) => [o.kind, o.name, o.uid]),
      before.map((o) => [o.kind, o.name, o.uid]),
    );
    assert.equal(await c.k(['-n', 'shop', 'get', 'configmap', 'settings', '-o', 'jsonpath={.metadata.labels.moved}']), 'etcd');
  });
});
