/**
 * Cascading deletion as a user meets it (controllers.md §15, scenarios 43–45): the real kubectl
 * against `skiff server`, oldest and newest supported versions. The Deployment's ReplicaSet is
 * created by the test with a controller reference to it, so these scenarios exercise the garbage
 * collector whether or not a Deployment controller runs; the ReplicaSet controller makes the pods.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable, NEWEST_KUBECTL, OLDEST_KUBECTL } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

function replicaSetYaml(name: string, app: string, owner: { name: string; uid: string } | undefined, replicas: number): string {
  const ownerRefs = owner
    ? `  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: ${owner.name}
    uid: ${owner.uid}
    controller: true
    blockOwnerDeletion: true
`
    : '';
  return `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  labels: {app: ${app}}
${ownerRefs}spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${app}, rs: ${name}}}
  template:
    metadata:
      labels: {app: ${app}, rs: ${name}}
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

    /** A Deployment plus a ReplicaSet it controls, with the ReplicaSet's pods running. */
    async function deploymentWithReplicaSet(app: string): Promise<void> {
      await k(['create', 'deployment', app, '--image=busybox', '--replicas=0']);
      const uid = await k(['get', 'deploy', app, '-o', 'jsonpath={.metadata.uid}']);
      await k(['apply', '-f', '-'], replicaSetYaml(`${app}-rs`, app, { name: app, uid }, 2));
      await waitFor(async () => (await names(['pods', '-l', `rs=${app}-rs`])).length === 2, 20_000, `pods of ${app}-rs`);
    }

    before(async () => {
      c = await startCluster();
    });
    after(async () => {
      await c?.stop();
    });

    test('--cascade=orphan: the Deployment goes, its ReplicaSet stays without an ownerReference (scenario 45)', async () => {
      await deploymentWithReplicaSet('orph');
      assert.match(await k(['delete', 'deploy', 'orph', '--cascade=orphan']), /deployment\.apps "orph" deleted/);
      const missing = await run(['get', 'deploy', 'orph']);
      assert.match(missing.stderr, /NotFound/);
      assert.equal(await k(['get', 'rs', 'orph-rs', '-o', 'jsonpath={.metadata.ownerReferences}']), '');
      assert.equal((await names(['pods', '-l', 'rs=orph-rs'])).length, 2, 'the pods stay with their ReplicaSet');
      // A new owner can adopt what was orphaned: here the ReplicaSet just keeps running.
      assert.match(await k(['get', 'rs', 'orph-rs', '-o', 'jsonpath={.status.replicas}']), /^2$/);
    });

    test('--cascade=foreground waits until the ReplicaSet and pods are gone (scenario 44)', async () => {
      await deploymentWithReplicaSet('fg');
      assert.match(await k(['delete', 'deploy', 'fg', '--cascade=foreground']), /deployment\.apps "fg" deleted/);
      // kubectl waited for the Deployment, which waited for everything below it.
      assert.deepEqual(await names(['deploy,rs,pods', '-l', 'app=fg']), []);
      assert.deepEqual(await names(['pods', '-l', 'rs=fg-rs']), []);
    });

    test('background (the default): the owner is gone at once, dependents afterwards (scenario 43)', async () => {
      await deploymentWithReplicaSet('bg');
      assert.match(await k(['delete', 'deploy', 'bg']), /deployment\.apps "bg" deleted/);
      assert.match((await run(['get', 'deploy', 'bg'])).stderr, /NotFound/);
      await waitFor(async () => (await names(['rs,pods', '-l', 'app=bg'])).length === 0 && (await names(['pods', '-l', 'rs=bg-rs'])).length === 0, 20_000, 'ReplicaSet and pods collected');
    });

    test('ReplicaSet deleted with --cascade=orphan: pods keep running without an owner, a new ReplicaSet adopts them', async () => {
      await k(['apply', '-f', '-'], replicaSetYaml('adopt', 'adopt', undefined, 2));
      await waitFor(async () => (await names(['pods', '-l', 'rs=adopt'])).length === 2, 20_000, 'pods of adopt');
      const before = (await names(['pods', '-l', 'rs=adopt'])).sort();
      await k(['delete', 'rs', 'adopt', '--cascade=orphan']);
      const refs = await k(['get', 'pods', '-l', 'rs=adopt', '-o', 'jsonpath={range .items[*]}{.metadata.ownerReferences}{"\\n"}{end}']);
      assert.deepEqual(refs.split('\n').filter(Boolean), [], 'no pod keeps an ownerReference');
      await k(['apply', '-f', '-'], replicaSetYaml('adopt', 'adopt', undefined, 2));
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
