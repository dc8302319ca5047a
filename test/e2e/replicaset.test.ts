/**
 * ReplicaSets with the real kubectl against `skiff server --nodes 3`: the seed's demo exactly as
 * the talk runs it, with real processes (create, get pods -o wide, scale to 10, delete: all pods
 * gone), and controllers.md §15 scenarios 1–5 on simulated nodes.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable, NEWEST_KUBECTL, OLDEST_KUBECTL } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/nginx-rs.yaml', import.meta.url));
const POD_NAME = /^nginx-[bcdfghjklmnpqrstvwxz2456789]{5}$/;

interface PodRow {
  name: string;
  ready: string;
  status: string;
  node: string;
}

function rows(out: string): PodRow[] {
  return out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, ready, status, , , , node] = l.split(/\s+/);
      return { name: name!, ready: ready!, status: status!, node: node! };
    });
}

async function threeReadyNodes(c: TestCluster): Promise<void> {
  await waitFor(async () => ((await c.k(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 3, 30_000, 'three Ready nodes');
}

describe('the seed ReplicaSet demo on three process nodes', { skip: kubectlUnavailable() }, () => {
  let c: TestCluster;
  const running = async (n: number) => {
    const r = rows(await c.k(['get', 'pods', '-o', 'wide', '--no-headers']));
    return r.length === n && r.every((p) => p.status === 'Running' && p.ready === '1/1') ? r : undefined;
  };

  before(async () => {
    c = await startCluster({ args: ['--nodes', '3', '--runtime', 'process'] });
    await threeReadyNodes(c);
  });
  after(async () => {
    await c?.stop();
  });

  test('kubectl create -f nginx-rs.yaml: three nginx-xxxxx pods spread across the nodes', async () => {
    assert.equal((await c.k(['create', '-f', EXAMPLE])).trim(), 'replicaset.apps/nginx created');
    const pods = await waitFor(() => running(3), 30_000, 'three Running pods');
    for (const p of pods) assert.match(p.name, POD_NAME);
    assert.equal(new Set(pods.map((p) => p.node)).size, 3, `spread over the nodes: ${pods.map((p) => p.node).join(', ')}`);
    const header = (await c.k(['get', 'pods', '-o', 'wide'])).split('\n')[0]!;
    assert.match(header, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    const log = await c.k(['logs', pods[0]!.name]);
    assert.equal(log.trim(), `nginx stand-in running as ${pods[0]!.name}`);
    const rs = await waitFor(async () => {
      const line = (await c.k(['get', 'rs', 'nginx', '--no-headers'])).trim();
      return /^nginx\s+3\s+3\s+3\s+\S+$/.test(line) ? line : undefined;
    }, 20_000, 'get rs: 3 3 3');
    assert.ok(rs);
  });

  test('kubectl scale --replicas=10 rs/nginx: ten Running pods, the first three kept', async () => {
    const before3 = new Set(rows(await c.k(['get', 'pods', '-o', 'wide', '--no-headers'])).map((p) => p.name));
    assert.equal((await c.k(['scale', '--replicas=10', 'rs/nginx'])).trim(), 'replicaset.apps/nginx scaled');
    const pods = await waitFor(() => running(10), 30_000, 'ten Running pods');
    for (const name of before3) assert.ok(pods.some((p) => p.name === name), `${name} kept`);
    for (const p of pods) assert.match(p.name, POD_NAME);
    assert.equal(new Set(pods.map((p) => p.node)).size, 3);
    const describe = await waitFor(async () => {
      const out = await c.k(['describe', 'rs', 'nginx']);
      return out.includes('Pods Status:  10 Running / 0 Waiting / 0 Succeeded / 0 Failed') ? out : undefined;
    }, 20_000, 'describe rs: 10 Running');
    assert.match(describe, /^Replicas:\s+10 current \/ 10 desired$/m);
    assert.match(describe, /Normal\s+SuccessfulCreate\s+\S+\s+replicaset-controller\s+Created pod: nginx-\w{5}/);
  });

  test('kubectl delete rs/nginx: every pod goes away', async () => {
    assert.equal((await c.k(['delete', 'rs/nginx'])).trim(), 'replicaset.apps "nginx" deleted');
    await waitFor(async () => {
      const r = await c.kubectl(['get', 'po', '-o', 'wide']);
      return r.code === 0 && r.stdout.trim() === '' && r.stderr.trim() === 'No resources found in default namespace.';
    }, 30_000, 'No resources found');
  });
});

describe('ReplicaSet scenarios on three simulated nodes', { skip: kubectlUnavailable() }, () => {
  let c: TestCluster;
  const manifest = (name: string, replicas: number, extraSpec = '') => `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: nginx${extraSpec}
`;
  const podsOf = async (app: string) => rows(await c.k(['get', 'pods', '-o', 'wide', '--no-headers', '-l', `app=${app}`]));
  const owner = async (pod: string) => (await c.k(['get', 'pod', pod, '-o', 'jsonpath={.metadata.ownerReferences}'])).trim();

  before(async () => {
    c = await startCluster({ args: ['--nodes', '3', '--runtime', 'simulated'] });
    await threeReadyNodes(c);
  });
  after(async () => {
    await c?.stop();
  });

  test('scenario 1: pods web-xxxxx with a controller ownerReference; get rs shows 3 3 3', async () => {
    await c.k(['apply', '-f', '-'], { input: manifest('web', 3), version: OLDEST_KUBECTL });
    const line = await waitFor(async () => {
      const l = (await c.k(['get', 'rs', 'web', '--no-headers'])).trim();
      return /^web\s+3\s+3\s+3\s+\S+$/.test(l) ? l : undefined;
    }, 20_000, 'get rs web: 3 3 3');
    assert.ok(line);
    const pods = await podsOf('web');
    assert.equal(pods.length, 3);
    const uid = (await c.k(['get', 'rs', 'web', '-o', 'jsonpath={.metadata.uid}'])).trim();
    for (const p of pods) {
      assert.match(p.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.deepEqual(JSON.parse(await owner(p.name)), [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid, controller: true, blockOwnerDeletion: true }]);
    }
    const status = JSON.parse(await c.k(['get', 'rs', 'web', '-o', 'jsonpath={.status}'], { version: NEWEST_KUBECTL })) as Record<string, number>;
    assert.deepEqual(status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const events = await waitFor(async () => {
      const out = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=SuccessfulCreate', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
      const lines = out.trim().split('\n').filter(Boolean);
      return lines.length === 3 ? lines : undefined;
    }, 10_000, 'three SuccessfulCreate events');
    assert.deepEqual(events.sort(), pods.map((p) => `Created pod: ${p.name}`).sort());
  });

  test('scenario 2: a deleted pod is replaced at once; replicas stays 3', async () => {
    const [victim] = await podsOf('web');
    await c.k(['delete', 'pod', victim!.name, '--wait=false']);
    const pods = await waitFor(async () => {
      const p = await podsOf('web');
      const live = p.filter((x) => x.name !== victim!.name && x.status === 'Running');
      return live.length === 3 ? live : undefined;
    }, 20_000, 'three Running pods again');
    assert.ok(!pods.some((p) => p.name === victim!.name));
    assert.equal((await c.k(['get', 'rs', 'web', '-o', 'jsonpath={.status.replicas}'])).trim(), '3');
  });

  test('scenario 3: scaling down deletes the unschedulable Pending pod first', async () => {
    await c.k(['apply', '-f', '-'], { input: manifest('pend', 2) });
    const first = await waitFor(async () => {
      const p = await podsOf('pend');
      return p.length === 2 && p.every((x) => x.status === 'Running') ? p : undefined;
    }, 20_000, 'two Running pods');
    // New pods from now on need a node label nobody has: they stay Pending.
    await c.k(['patch', 'rs', 'pend', '--type=merge', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"none"}}}}}']);
    await c.k(['scale', 'rs', 'pend', '--replicas=3']);
    const pending = await waitFor(async () => (await podsOf('pend')).find((p) => p.status === 'Pending'), 20_000, 'a Pending pod');
    await c.k(['scale', 'rs', 'pend', '--replicas=1']);
    const left = await waitFor(async () => {
      const p = await podsOf('pend');
      return p.length === 1 ? p : undefined;
    }, 20_000, 'one pod left');
    assert.ok(first.some((p) => p.name === left[0]!.name), 'a Running pod is kept');
    const deletes = await waitFor(async () => {
      const out = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=pend,reason=SuccessfulDelete', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
      const lines = out.trim().split('\n').filter(Boolean);
      return lines.length === 2 ? lines : undefined;
    }, 10_000, 'two SuccessfulDelete events');
    assert.ok(deletes.includes(`Deleted pod: ${pending.name}`), deletes.join('; '));
  });

  test('scenario 4: a matching bare pod is adopted; only one pod is created', async () => {
    await c.k(['run', 'stray', '--image=nginx', '--labels=app=adopt']);
    await c.k(['apply', '-f', '-'], { input: manifest('adopt', 2) });
    const pods = await waitFor(async () => {
      const p = await podsOf('adopt');
      return p.length === 2 && p.every((x) => x.status === 'Running') ? p : undefined;
    }, 20_000, 'two Running pods');
    assert.ok(pods.some((p) => p.name === 'stray'));
    const ref = JSON.parse(await owner('stray')) as Array<{ kind: string; name: string; controller: boolean }>;
    assert.deepEqual(ref.map((r) => [r.kind, r.name, r.controller]), [['ReplicaSet', 'adopt', true]]);
    const creates = await waitFor(async () => (await c.k(['get', 'events', '--field-selector', 'involvedObject.name=adopt,reason=SuccessfulCreate', '--no-headers'])).trim(), 10_000, 'the create event');
    assert.equal(creates.split('\n').length, 1);
  });

  test('scenario 5: a relabelled pod is released and replaced', async () => {
    const [pod] = await podsOf('web');
    await c.k(['label', 'pod', pod!.name, 'app=other', '--overwrite']);
    await waitFor(async () => (await owner(pod!.name)) === '', 20_000, 'ownerReferences removed');
    const pods = await waitFor(async () => {
      const p = await podsOf('web');
      return p.length === 3 && p.every((x) => x.status === 'Running') ? p : undefined;
    }, 20_000, 'a replacement');
    assert.ok(!pods.some((p) => p.name === pod!.name));
    assert.equal((await podsOf('other')).length, 1, 'the released pod keeps running');
  });
});
