/**
 * StatefulSets with the real kubectl against `skiff server --nodes 3`: ordinal pods with stable
 * hostnames, rollout status, describe, scale down and up in order, a rolling update with history,
 * undo and a skipped rollback, a deleted pod coming back under its name — and the "StatefulSet
 * Basics" example from Kubernetes' documentation with claims provisioned on the pods' nodes.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/web-statefulset.yaml', import.meta.url));

const DB = `apiVersion: v1
kind: Service
metadata: { name: db, labels: { app: db } }
spec:
  clusterIP: None
  selector: { app: db }
  ports: [{ port: 5432, name: db }]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db }
spec:
  serviceName: db
  replicas: 3
  selector: { matchLabels: { app: db } }
  template:
    metadata: { labels: { app: db } }
    spec:
      containers:
        - name: db
          image: postgres:16
          command: ["sh", "-c", "echo \\"$(hostname) up\\"; exec sleep 2147483647"]
`;

describe('StatefulSets with kubectl', { skip: kubectlUnavailable() }, () => {
  let c: TestCluster;
  const k = (args: string[]) => c.k(args);
  const podRows = async (label: string): Promise<Array<{ name: string; ready: string; status: string }>> =>
    (await k(['get', 'pods', '-l', label, '--no-headers']))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, ready, status] = l.split(/\s+/);
        return { name: name!, ready: ready!, status: status! };
      });
  const running = async (label: string, names: string[]): Promise<boolean> => {
    const rows = await podRows(label);
    return rows.map((r) => r.name).join() === names.join() && rows.every((r) => r.status === 'Running' && r.ready === '1/1');
  };

  before(async () => {
    c = await startCluster({ args: ['--nodes', '3'] });
    await waitFor(async () => ((await k(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 3, 20_000, 'three Ready nodes');
  });
  after(async () => {
    await c?.stop();
  });

  test('ordinal pods with stable hostnames; rollout status and describe', async () => {
    await c.k(['apply', '-f', '-'], { input: DB });
    await waitFor(() => running('app=db', ['db-0', 'db-1', 'db-2']), 60_000, 'db-0..2 Running');
    assert.equal((await k(['rollout', 'status', 'sts/db'])).trim(), 'partitioned roll out complete: 3 new pods have been updated...');
    const created = JSON.parse(await k(['get', 'pods', '-l', 'app=db', '-o', 'json'])) as { items: Array<{ metadata: { name: string; creationTimestamp: string; labels: Record<string, string> }; spec: { hostname: string; subdomain: string } }> };
    for (const p of created.items) {
      assert.equal(p.spec.hostname, p.metadata.name);
      assert.equal(p.spec.subdomain, 'db');
      assert.equal(p.metadata.labels['statefulset.kubernetes.io/pod-name'], p.metadata.name);
      assert.equal(p.metadata.labels['apps.kubernetes.io/pod-index'], p.metadata.name.slice(3));
    }
    assert.match((await k(['get', 'sts', 'db', '--no-headers'])).trim(), /^db\s+3\/3\s+\S+$/);
    const d = await k(['describe', 'sts', 'db']);
    assert.match(d, /^Replicas:\s+3 desired \| 3 total$/m);
    assert.match(d, /^Update Strategy:\s+RollingUpdate$/m);
    assert.match(d, /^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    for (const i of [0, 1, 2]) assert.match(d, new RegExp(`Normal\\s+SuccessfulCreate\\s+\\S+\\s+statefulset-controller\\s+create Pod db-${i} in StatefulSet db successful`));
  });

  test('scale down removes the highest ordinals; scale up brings them back in order', async () => {
    assert.equal((await k(['scale', 'sts', 'db', '--replicas=1'])).trim(), 'statefulset.apps/db scaled');
    await waitFor(() => running('app=db', ['db-0']), 60_000, 'only db-0 left');
    const events = await k(['get', 'events', '--field-selector', 'involvedObject.name=db,reason=SuccessfulDelete', '--sort-by=.lastTimestamp', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.deepEqual(events.trim().split('\n'), ['delete Pod db-2 in StatefulSet db successful', 'delete Pod db-1 in StatefulSet db successful']);
    await k(['scale', 'sts', 'db', '--replicas=3']);
    await waitFor(() => running('app=db', ['db-0', 'db-1', 'db-2']), 60_000, 'db-0..2 Running again');
  });

  test('rolling update, history, undo and a skipped rollback', async () => {
    await k(['set', 'image', 'sts/db', 'db=postgres:17']);
    await k(['rollout', 'status', 'sts/db', '--timeout=120s']);
    await waitFor(() => running('app=db', ['db-0', 'db-1', 'db-2']), 60_000, 'updated pods Running');
    for (const i of [0, 1, 2]) assert.equal(await k(['get', 'pod', `db-${i}`, '-o', 'jsonpath={.spec.containers[0].image}']), 'postgres:17');
    const status = JSON.parse(await k(['get', 'sts', 'db', '-o', 'jsonpath={.status}'])) as { currentRevision: string; updateRevision: string; updatedReplicas: number };
    assert.equal(status.currentRevision, status.updateRevision);
    assert.equal(status.updatedReplicas, 3);
    assert.match(await k(['rollout', 'history', 'sts/db']), /^statefulset\.apps\/db \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    assert.equal((await k(['rollout', 'undo', 'sts/db'])).trim(), 'statefulset.apps/db rolled back');
    await k(['rollout', 'status', 'sts/db', '--timeout=120s']);
    await waitFor(async () => (await k(['get', 'pod', 'db-0', '-o', 'jsonpath={.spec.containers[0].image}'])) === 'postgres:16', 60_000, 'db-0 back on postgres:16');
    assert.match(await k(['rollout', 'history', 'sts/db']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/);
    assert.equal((await k(['rollout', 'undo', 'sts/db', '--to-revision=3'])).trim(), 'statefulset.apps/db skipped rollback (current template already matches revision 3)');
  });

  test('a deleted pod comes back with the same name', async () => {
    const uid = await k(['get', 'pod', 'db-1', '-o', 'jsonpath={.metadata.uid}']);
    await k(['delete', 'pod', 'db-1']);
    await waitFor(async () => {
      const r = await c.kubectl(['get', 'pod', 'db-1', '-o', 'jsonpath={.metadata.uid} {.status.phase}']);
      return r.code === 0 && !r.stdout.startsWith(uid) && r.stdout.endsWith('Running');
    }, 60_000, 'db-1 recreated');
    await k(['delete', 'sts', 'db']);
    await waitFor(async () => (await podRows('app=db')).length === 0, 60_000, 'db pods gone');
  });

  test('StatefulSet Basics: claims provisioned on the pods\u2019 nodes and kept with their identities', async () => {
    await k(['apply', '-f', EXAMPLE]);
    const bound = await waitFor(async () => {
      const out = (await k(['get', 'pvc', '-l', 'app=nginx', '--no-headers'])).trim();
      return /^www-web-0\s+Bound\s+pvc-\S+\s+1Gi\s+RWO\s/.test(out) ? out : undefined;
    }, 60_000, 'www-web-0 Bound');
    const volume = bound.split(/\s+/)[2]!;
    const pv = JSON.parse(await k(['get', 'pv', volume, '-o', 'json'])) as { metadata: { annotations: Record<string, string> }; spec: { claimRef: { name: string }; nodeAffinity: { required: { nodeSelectorTerms: Array<{ matchExpressions: Array<{ values: string[] }> }> } } } };
    assert.equal(pv.spec.claimRef.name, 'www-web-0');
    assert.equal(pv.metadata.annotations['skiff.dev/local-path'], `volumes/${volume}`);
    const node = await k(['get', 'pod', 'web-0', '-o', 'jsonpath={.spec.nodeName}']);
    assert.deepEqual(pv.spec.nodeAffinity.required.nodeSelectorTerms[0]!.matchExpressions[0]!.values, [node]);
    assert.match(await k(['get', 'pv', volume, '--no-headers']), new RegExp(`^${volume}\\s+1Gi\\s+RWO\\s+Delete\\s+Bound\\s+default/www-web-0\\s+local-path\\s`));
    await waitFor(() => running('app=nginx', ['web-0', 'web-1']), 60_000, 'web-0 and web-1 Running');
    const claims = (await k(['get', 'pvc', '-l', 'app=nginx', '-o', 'name'])).trim().split('\n');
    assert.deepEqual(claims, ['persistentvolumeclaim/www-web-0', 'persistentvolumeclaim/www-web-1']);
    // The volume is a directory under its node's data dir. Where the node gives containers a
    // mount namespace (root on Linux) it is mounted at the mountPath, and the container wrote its
    // hostname into it; elsewhere the container finds it through $SKIFF_VOLUME_WWW.
    const dir = join(c.dataDir, 'nodes', node, 'volumes', volume);
    const mounted = process.platform === 'linux' && process.getuid?.() === 0;
    const mountPath = mounted ? '/usr/share/nginx/html' : '$SKIFF_VOLUME_WWW';
    if (mounted) {
      const index = join(dir, 'index.html');
      assert.equal((await waitFor(() => readFile(index, 'utf8').catch(() => undefined), 20_000, 'index.html in the volume')).trim(), 'web-0');
      assert.equal((await k(['exec', 'web-0', '--', 'cat', '/usr/share/nginx/html/index.html'])).trim(), 'web-0');
    }
    await k(['exec', 'web-0', '--', 'sh', '-c', `echo kept > ${mountPath}/marker`]);
    assert.equal((await readFile(join(dir, 'marker'), 'utf8')).trim(), 'kept');
    const uid = await k(['get', 'pod', 'web-0', '-o', 'jsonpath={.metadata.uid}']);
    await k(['delete', 'pod', 'web-0']);
    await waitFor(async () => (await k(['get', 'pod', 'web-0', '-o', 'jsonpath={.metadata.uid}']).catch(() => uid)) !== uid && (await running('app=nginx', ['web-0', 'web-1'])), 60_000, 'web-0 back');
    assert.equal(await k(['get', 'pod', 'web-0', '-o', 'jsonpath={.spec.nodeName}']), node, 'web-0 returns to its volume\u2019s node');
    assert.equal((await k(['get', 'pvc', 'www-web-0', '-o', 'jsonpath={.spec.volumeName}'])).trim(), volume);
    assert.equal((await k(['exec', 'web-0', '--', 'sh', '-c', `cat ${mountPath}/marker`])).trim(), 'kept', 'the data survived the pod');

    // Deleting the set keeps the claims (retention policy Retain); deleting a claim releases its
    // volume (reclaim policy Delete), and the node removes the directory before the volume goes.
    await k(['delete', 'sts', 'web']);
    await waitFor(async () => (await podRows('app=nginx')).length === 0, 60_000, 'web pods gone');
    await k(['delete', 'pvc', 'www-web-0']);
    await waitFor(async () => (await c.kubectl(['get', 'pv', volume])).code !== 0, 60_000, `${volume} deleted`);
    await assert.rejects(stat(dir), 'the volume directory was removed by its node');
  });
});
