/**
 * Deployments with the real kubectl (oldest and newest supported) against `skiff server --nodes 3
 * --runtime simulated`: controllers.md §15 scenarios 6–12 as a user drives them — rollout status,
 * set image, rollout history/undo/pause/resume/restart, scale, describe — with the rolling-update
 * bounds checked by polling during the rollout.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable, NEWEST_KUBECTL, OLDEST_KUBECTL } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

interface RS {
  metadata: { name: string; uid: string; annotations?: Record<string, string>; ownerReferences?: Array<{ uid: string }> };
  spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
  status: { replicas?: number; availableReplicas?: number };
}

function manifest(name: string, opts: { replicas?: number; image?: string; spec?: string; podAnnotations?: string } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${opts.replicas ?? 3}
  selector:
    matchLabels: {app: ${name}}
${opts.spec ?? ''}  template:
    metadata:
      labels: {app: ${name}}
${opts.podAnnotations ? `      annotations: ${opts.podAnnotations}\n` : ''}    spec:
      containers:
      - name: web
        image: ${opts.image ?? 'nginx:1.14.2'}
`;
}

describe('Deployments with kubectl on three simulated nodes', { skip: kubectlUnavailable() || kubectlUnavailable(OLDEST_KUBECTL) }, () => {
  let c: TestCluster;
  const k = (args: string[], version?: string) => c.k(args, version ? { version } : {});
  const sets = async (deployment: string): Promise<RS[]> => {
    const uid = (await k(['get', 'deploy', deployment, '-o', 'jsonpath={.metadata.uid}'])).trim();
    const list = JSON.parse(await k(['get', 'rs', '-o', 'json'])) as { items: RS[] };
    return list.items.filter((rs) => rs.metadata.ownerReferences?.some((r) => r.uid === uid));
  };
  const rev = (rs: RS) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'];
  const byRevision = async (deployment: string) => Object.fromEntries((await sets(deployment)).map((rs) => [rev(rs)!, rs]));
  const rolloutStatus = (name: string, version?: string) => k(['rollout', 'status', `deployment/${name}`, '--timeout=60s'], version);

  before(async () => {
    c = await startCluster({ args: ['--nodes', '3', '--runtime', 'simulated'] });
    await waitFor(async () => ((await k(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 3, 30_000, 'three Ready nodes');
  });
  after(async () => {
    await c?.stop();
  });

  test('scenario 6: create, rollout status, get and describe', async () => {
    assert.equal((await c.k(['apply', '-f', '-'], { input: manifest('api') })).trim(), 'deployment.apps/api created');
    const out = await rolloutStatus('api');
    assert.match(out, /deployment "api" successfully rolled out\n$/);
    assert.match((await k(['get', 'deploy', 'api', '--no-headers'])).trim(), /^api\s+3\/3\s+3\s+3\s+\S+$/);
    const [rs, ...rest] = await sets('api');
    assert.equal(rest.length, 0);
    const hash = /^api-([bcdfghjklmnpqrstvwxz2456789]{1,10})$/.exec(rs!.metadata.name)?.[1];
    assert.ok(hash, rs!.metadata.name);
    assert.deepEqual(
      [rev(rs!), rs!.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], rs!.metadata.annotations?.['deployment.kubernetes.io/max-replicas']],
      ['1', '3', '4'],
    );
    const pods = (await k(['get', 'pods', '-l', `pod-template-hash=${hash}`, '--no-headers'])).trim().split('\n');
    assert.equal(pods.length, 3);
    for (const p of pods) assert.match(p, new RegExp(`^api-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}\\s+1/1\\s+Running`));

    const d = await k(['describe', 'deployment', 'api']);
    assert.match(d, /^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable$/m);
    assert.match(d, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
    assert.match(d, /^\s+Available\s+True\s+MinimumReplicasAvailable$/m);
    assert.match(d, /^\s+Progressing\s+True\s+NewReplicaSetAvailable$/m);
    assert.match(d, new RegExp(`^NewReplicaSet:\\s+api-${hash} \\(3/3 replicas created\\)$`, 'm'));
    assert.match(d, /^OldReplicaSets:\s+<none>$/m);
    assert.match(d, new RegExp(`Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set api-${hash} from 0 to 3`));

    const r = await k(['describe', 'rs', rs!.metadata.name]);
    assert.match(r, /^Controlled By:\s+Deployment\/api$/m);
    assert.match(r, /^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
  });

  test('rollout status waits for updated replicas to become available (minReadySeconds)', async () => {
    await c.k(['apply', '-f', '-'], { input: manifest('web', { spec: '  minReadySeconds: 2\n' }) });
    const out = await rolloutStatus('web', OLDEST_KUBECTL);
    assert.match(out, /Waiting for deployment "web" rollout to finish: \d of 3 updated replicas are available\.\.\.\n/);
    assert.match(out, /deployment "web" successfully rolled out\n$/);
  });

  test('scenario 7: set image rolls out within replicas+surge and replicas−unavailable', async () => {
    // minReadySeconds slows each step down enough to watch the intermediate states.
    await k(['patch', 'deploy', 'api', '--type=merge', '-p', '{"spec":{"minReadySeconds":1}}']);
    await rolloutStatus('api');
    await k(['set', 'image', 'deployment/api', 'web=nginx:1.16.1']);
    await k(['annotate', 'deployment/api', 'kubernetes.io/change-cause=image updated to 1.16.1']);
    let polls = 0;
    let done = false;
    const status = rolloutStatus('api').finally(() => {
      done = true;
    });
    while (!done) {
      const all = await sets('api');
      const specSum = all.reduce((n, rs) => n + rs.spec.replicas, 0);
      const available = all.reduce((n, rs) => n + (rs.status.availableReplicas ?? 0), 0);
      const snapshot = all.map((rs) => `${rs.metadata.name} spec=${rs.spec.replicas} available=${rs.status.availableReplicas ?? 0}`).join('; ');
      assert.ok(specSum <= 4, `Σ spec.replicas ${specSum} > 4: ${snapshot}`);
      assert.ok(available >= 3, `available ${available} < 3: ${snapshot}`);
      polls++;
    }
    const out = await status;
    assert.match(out, /successfully rolled out/);
    assert.ok(polls >= 1);
    const revs = await byRevision('api');
    assert.deepEqual(Object.keys(revs).sort(), ['1', '2']);
    assert.equal(revs['1']!.spec.replicas, 0, 'the old set stays, at 0');
    assert.equal(revs['2']!.spec.replicas, 3);
    assert.equal((await k(['get', 'deploy', 'api', '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}'])).trim(), '2');
    const history = await k(['rollout', 'history', 'deployment/api'], OLDEST_KUBECTL);
    assert.match(history, /^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+image updated to 1\.16\.1\n/m);
    const d = await waitFor(async () => {
      const out = await k(['describe', 'deployment', 'api']);
      return out.includes(`Scaled down replica set ${revs['1']!.metadata.name} from 1 to 0`) ? out : undefined;
    }, 10_000, 'the last scale-down event in describe');
    assert.match(d, new RegExp(`^OldReplicaSets:\\s+${revs['1']!.metadata.name} \\(0/0 replicas created\\)$`, 'm'));
  });

  test('scenario 12: rollout undo --to-revision=1 reuses the revision-1 set as revision 3', async () => {
    const before1 = (await byRevision('api'))['1']!;
    assert.equal((await k(['rollout', 'undo', 'deployment/api', '--to-revision=1'], NEWEST_KUBECTL)).trim(), 'deployment.apps/api rolled back');
    await rolloutStatus('api');
    const revs = await byRevision('api');
    assert.deepEqual(Object.keys(revs).sort(), ['2', '3'], 'no third set');
    assert.equal(revs['3']!.metadata.uid, before1.metadata.uid);
    assert.equal(revs['3']!.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(revs['3']!.spec.replicas, 3);
    assert.equal(revs['3']!.spec.template.spec.containers[0]!.image, 'nginx:1.14.2');
    const history = await k(['rollout', 'history', 'deployment/api']);
    assert.match(history, /^2\s+image updated to 1\.16\.1\n3\s+<none>\n/m);
  });

  test('scenario 10: pause holds a template change back; resume rolls it out; scale applies while paused', async () => {
    await k(['rollout', 'pause', 'deployment/api']);
    await k(['set', 'image', 'deployment/api', 'web=nginx:1.17']);
    const cond = await waitFor(async () => {
      const out = await k(['get', 'deploy', 'api', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}/{.status.conditions[?(@.type=="Progressing")].status}']);
      return out.trim() === 'DeploymentPaused/Unknown' ? out : undefined;
    }, 10_000, 'Progressing Unknown DeploymentPaused');
    assert.ok(cond);
    await k(['scale', 'deployment/api', '--replicas=4']);
    await waitFor(async () => (await byRevision('api'))['3']?.spec.replicas === 4, 10_000, 'scaled while paused');
    assert.equal((await sets('api')).length, 2, 'no new set while paused');

    await k(['rollout', 'resume', 'deployment/api'], OLDEST_KUBECTL);
    await rolloutStatus('api');
    const revs = await byRevision('api');
    assert.equal(revs['4']?.spec.template.spec.containers[0]!.image, 'nginx:1.17');
    assert.equal(revs['4']?.spec.replicas, 4);
  });

  test('rollout restart makes a new revision with the restartedAt template annotation', async () => {
    await k(['rollout', 'restart', 'deployment/api']);
    await rolloutStatus('api');
    const revs = await byRevision('api');
    const five = JSON.parse(await k(['get', 'rs', revs['5']!.metadata.name, '-o', 'json'])) as { spec: { template: { metadata: { annotations: Record<string, string> } } } };
    assert.match(five.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'] ?? '', /^\d{4}-\d\d-\d\dT/);
  });

  test('scenario 8: Recreate never runs old and new pods together', async () => {
    await c.k(['apply', '-f', '-'], { input: manifest('rec', { spec: '  strategy: {type: Recreate}\n' }) });
    await rolloutStatus('rec');
    const oldHash = (await sets('rec'))[0]!.metadata.name.slice('rec-'.length);
    await k(['set', 'image', 'deployment/rec', 'web=nginx:1.16.1']);
    let done = false;
    const status = rolloutStatus('rec').finally(() => {
      done = true;
    });
    while (!done) {
      const pods = (await k(['get', 'pods', '-l', 'app=rec', '-o', 'jsonpath={range .items[*]}{.metadata.labels.pod-template-hash}{"\\n"}{end}'])).trim().split('\n').filter(Boolean);
      const hashes = new Set(pods);
      assert.ok(!(hashes.has(oldHash) && hashes.size > 1), `old and new pods together: ${pods.join(',')}`);
    }
    await status;
    const revs = await byRevision('rec');
    assert.equal(revs['1']!.spec.replicas, 0);
    assert.equal(revs['2']!.spec.replicas, 3);
  });

  test('scenario 9: revisionHistoryLimit 1 keeps two sets after three changes', async () => {
    await c.k(['apply', '-f', '-'], { input: manifest('hist', { replicas: 1, spec: '  revisionHistoryLimit: 1\n' }) });
    await rolloutStatus('hist');
    for (const tag of ['1.15', '1.16', '1.17']) {
      await k(['set', 'image', 'deployment/hist', `web=nginx:${tag}`]);
      await rolloutStatus('hist');
    }
    const left = await waitFor(async () => {
      const s = await sets('hist');
      return s.length === 2 ? s : undefined;
    }, 10_000, 'two sets');
    assert.deepEqual(left.map(rev).sort(), ['3', '4']);
  });

  test('scenario 11: progressDeadlineSeconds exceeded by pods that never become ready', async () => {
    await c.k(['apply', '-f', '-'], { input: manifest('dl', { replicas: 2, spec: '  progressDeadlineSeconds: 3\n' }) });
    await rolloutStatus('dl');
    // The new template's readiness probe knocks on a closed port: Running, never Ready.
    await k(['patch', 'deploy', 'dl', '--type=strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","readinessProbe":{"tcpSocket":{"port":1},"periodSeconds":1}}]}}}}']);
    const r = await c.kubectl(['rollout', 'status', 'deployment/dl', '--timeout=30s']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /error: deployment "dl" exceeded its progress deadline/);
    const cond = JSON.parse(await k(['get', 'deploy', 'dl', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")]}'])) as { status: string; reason: string; message: string };
    const newName = (await byRevision('dl'))['2']!.metadata.name;
    assert.deepEqual([cond.status, cond.reason, cond.message], ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${newName}" has timed out progressing.`]);
    // The deadline only reports: the old pods keep serving, the new one keeps being probed.
    assert.match((await k(['get', 'deploy', 'dl', '--no-headers'])).trim(), /^dl\s+2\/2\s+1\s+2\s+/);
  });
});
