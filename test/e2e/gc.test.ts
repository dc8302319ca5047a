/**
 * Cascading deletion as a user meets it (controllers.md §15, scenarios 43–45): the real kubectl
 * against `skiff server` (Deployment and ReplicaSet controllers, scheduler and a local node
 * running the pods), oldest and newest supported kubectl versions.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable, NEWEST_KUBECTL, OLDEST_KUBECTL } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

function replicaSetYaml(name: string, replicas: number): string {
  return `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {rs: ${name}}}
  template:
    metadata:
      labels: {rs: ${name}}
    spec:
      containers:
      - name: c
        image: busybox
        command: [sleep, "3600"]
`;
}

for (const version of [OLDEST_KUBECTL, NEWEST_KUBECTL]) {
  describe(`garbage collection with kubectl ${version}`, { skip: kubectlUnavailable(version) }, () => {
    let c: TestCluster;
    const k = (args: string[], input?: string) => c.k(args, { version, ...(input !== undefined ? { input } : {}) });
    const run = (args: string[]) => c.kubectl(args, { version });
    const names = async (args: string[]) => (await k(['get', ...args, '-o', 'name'])).split('\n').filter(Boolean);

    /** A Deployment with two pods, and the name of the ReplicaSet its controller made. */
    async function deployment(app: string): Promise<string> {
      await k(['create', 'deployment', app, '--image=busybox', '--replicas=2', '--', 'sleep', '3600']);
      await waitFor(async () => (await names(['pods', '-l', `app=${app}`])).length === 2, 30_000, `pods of ${app}`);
      const rs = await names(['rs', '-l', `app=${app}`]);
      assert.equal(rs.length, 1);
      return rs[0]!.replace(/^replicaset\.apps\//, '');
    }

    before(async () => {
      c = await startCluster();
    });
    after(async () => {
      await c?.stop();
    });

    test('--cascade=orphan: the Deployment goes, its ReplicaSet stays without an ownerReference', async () => {
      const rs = await deployment('orph');
      assert.match(await k(['delete', 'deploy', 'orph', '--cascade=orphan']), /deployment\.apps "orph" deleted/);
      assert.match((await run(['get', 'deploy', 'orph'])).stderr, /NotFound/);
      assert.equal(await k(['get', 'rs', rs, '-o', 'jsonpath={.metadata.ownerReferences}']), '');
      assert.equal(await k(['get', 'rs', rs, '-o', 'jsonpath={.spec.replicas}']), '2');
      const pods = await k(['get', 'pods', '-l', 'app=orph', '-o', 'jsonpath={range .items[*]}{.metadata.ownerReferences[0].name}{"\\n"}{end}']);
      assert.deepEqual(pods.split('\n').filter(Boolean), [rs, rs], 'the pods stay with their ReplicaSet');
    });

    test('--cascade=foreground waits until the ReplicaSet and pods are gone (scenario 44)', async () => {
      await deployment('fg');
      assert.match(await k(['delete', 'deploy', 'fg', '--cascade=foreground']), /deployment\.apps "fg" deleted/);
      // kubectl waited for the Deployment, which waited for everything below it.
      assert.deepEqual(await names(['deploy,rs,pods', '-l', 'app=fg']), []);
    });

    test('background (the default): the owner is gone at once, dependents afterwards (scenario 43)', async () => {
      await deployment('bg');
      assert.match(await k(['delete', 'deploy', 'bg']), /deployment\.apps "bg" deleted/);
      assert.match((await run(['get', 'deploy', 'bg'])).stderr, /NotFound/);
      await waitFor(async () => (await names(['rs,pods', '-l', 'app=bg'])).length === 0, 60_000, 'ReplicaSet and pods collected');
    });

    test('ReplicaSet deleted with --cascade=orphan: pods keep running without an owner, a new ReplicaSet adopts them (scenario 45)', async () => {
      await k(['apply', '-f', '-'], replicaSetYaml('adopt', 2));
      await waitFor(async () => (await names(['pods', '-l', 'rs=adopt'])).length === 2, 20_000, 'pods of adopt');
      const before = (await names(['pods', '-l', 'rs=adopt'])).sort();
      await k(['delete', 'rs', 'adopt', '--cascade=orphan']);
      const refs = await k(['get', 'pods', '-l', 'rs=adopt', '-o', 'jsonpath={range .items[*]}{.metadata.ownerReferences}{"\\n"}{end}']);
      assert.deepEqual(refs.split('\n').filter(Boolean), [], 'no pod keeps an ownerReference');
      await k(['apply', '-f', '-'], replicaSetYaml('adopt', 2));
      const uid = await k(['get', 'rs', 'adopt', '-o', 'jsonpath={.metadata.uid}']);
      await waitFor(async () => {
        const owners = await k(['get', 'pods', '-l', 'rs=adopt', '-o', 'jsonpath={range .items[*]}{.metadata.ownerReferences[0].uid}{"\\n"}{end}']);
        const list = owners.split('\n').filter(Boolean);
        return list.length === 2 && list.every((u) => u === uid);
      }, 20_000, 'pods adopted by the new ReplicaSet');
      assert.deepEqual((await names(['pods', '-l', 'rs=adopt'])).sort(), before, 'the same pods, not new ones');
    });
  });
}
