/**
 * The API server as a new user meets it: a real `skiff server` process driven by the real kubectl,
 * oldest and newest supported versions. Pods stay Pending here (no node agents in this test).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp, rm, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable, kubectlVersionsToTest } from '../helpers/kubectl.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

for (const version of kubectlVersionsToTest()) {
  const label = version ?? 'default (PATH)';
  const skip = kubectlUnavailable(version);
  describe(`kubectl ${label} against skiff server`, { skip }, () => {
    let c: TestCluster;
    let tmp: string;
    const k = (args: string[], input?: string) => c.k(args, { ...(version ? { version } : {}), ...(input !== undefined ? { input } : {}) });
    const run = (args: string[]) => c.kubectl(args, version ? { version } : {});

    before(async () => {
      // The API server alone (no node agents): pods stay Pending, as the API server issue expects.
      c = await startCluster({ args: ['--nodes', '0'] });
      tmp = await mkdtemp(join(tmpdir(), 'skiff-e2e-'));
    });
    after(async () => {
      await c?.stop();
      if (tmp) await rm(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    });

    test('version, api-resources, cluster-info', async () => {
      const v = await k(['version']);
      // 1.27 prints a struct dump (GitVersion:"v1.33.0-skiff…"), later versions a short line.
      assert.match(v, /Server Version: (v1\.33\.0-skiff|version\.Info\{.*GitVersion:"v1\.33\.0-skiff)/);
      const ar = await k(['api-resources']);
      for (const line of [/^pods\s+po\s+v1\s+true\s+Pod$/m, /^replicasets\s+rs\s+apps\/v1\s+true\s+ReplicaSet$/m, /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m, /^nodes\s+no\s+v1\s+false\s+Node$/m]) {
        assert.match(ar, line);
      }
      // kubectl 1.27 colours these lines with ANSI escapes.
      const ci = (await k(['cluster-info'])).replace(new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m', 'g'), '');
      assert.match(ci, /control plane is running at https:\/\/127\.0\.0\.1:\d+/);
    });

    test('explain reads the published schemas', async () => {
      const out = await k(['explain', 'pod.spec.containers']);
      assert.match(out, /KIND:\s+Pod/);
      assert.match(out, /image/);
      assert.match(out, /livenessProbe/);
    });

    test('create -f every kind, then get in every output format', async () => {
      const created = await k(['create', '-f', join(FIXTURES, 'workloads.yaml')]);
      for (const line of ['replicaset.apps/nginx created', 'deployment.apps/web created', 'statefulset.apps/db created', 'daemonset.apps/agent created', 'job.batch/db-init created', 'cronjob.batch/hello created', 'service/mysql created', 'configmap/settings created', 'secret/creds created']) {
        assert.ok(created.includes(line), `expected "${line}" in:\n${created}`);
      }
      const again = await run(['create', '-f', join(FIXTURES, 'workloads.yaml')]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /Error from server \(AlreadyExists\): error when creating ".*workloads.yaml": replicasets.apps "nginx" already exists/);

      const rs = await k(['get', 'rs']);
      assert.match(rs, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m);
      // CURRENT depends on whether the ReplicaSet controller has created the pods yet.
      assert.match(rs, /^nginx\s+3\s+\d\s+\d\s+\d+s$/m);
      const wide = await k(['get', 'rs', '-o', 'wide']);
      assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/);
      assert.match(wide, /nginx\s+nginx:1\.27\s+app=nginx/);
      const ds = await k(['get', 'ds']);
      assert.match(ds, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/m);
      const cj = await k(['get', 'cronjob', 'hello']);
      assert.match(cj, /^hello\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+\d+s$/m);
      const jobs = await k(['get', 'jobs']);
      assert.match(jobs, /^db-init\s+Running\s+0\/1\s+\d+s\s+\d+s$|^db-init\s+Running\s+0\/1\s+\s*\d+s$/m);

      const json = JSON.parse(await k(['get', 'deploy', 'web', '-o', 'json'])) as { spec: { strategy: { type: string; rollingUpdate: { maxSurge: string } }; revisionHistoryLimit: number } };
      assert.equal(json.spec.strategy.type, 'RollingUpdate');
      assert.equal(json.spec.strategy.rollingUpdate.maxSurge, '25%');
      assert.equal(json.spec.revisionHistoryLimit, 10);
      const yaml = await k(['get', 'job', 'db-init', '-o', 'yaml']);
      assert.match(yaml, /batch\.kubernetes\.io\/controller-uid: /);
      assert.match(yaml, /backoffLimit: 6/);
      assert.equal((await k(['get', 'rs', 'nginx', '-o', 'jsonpath={.spec.replicas}'])).trim(), '3');
      assert.match(await k(['get', 'deploy', '-o', 'custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas']), /^web\s+2$/m);
      assert.deepEqual((await k(['get', 'cm,secret', '-o', 'name'])).trim().split('\n').filter((l) => !l.includes('kube-root-ca')).sort(), ['configmap/settings', 'secret/creds']);
      const all = await k(['get', 'all']);
      assert.match(all, /replicaset\.apps\/nginx/);
      assert.match(all, /cronjob\.batch\/hello/);
      assert.match(await k(['get', 'ns']), /^kube-node-lease\s+Active\s+\d+s$/m);
      assert.match(await k(['get', 'rs', '-A']), /^default\s+nginx\s+3/m);
      assert.match(await k(['get', 'rs,deploy', '-l', 'app=nginx']), /replicaset\.apps\/nginx/);
      assert.match(await k(['get', 'rs', '--field-selector', 'metadata.name=nginx']), /^nginx\s/m);
      const bad = await run(['get', 'pods', '--field-selector', 'spec.bogus=1']);
      assert.match(bad.stderr, /field label not supported: spec\.bogus/);
    });

    test('unknown fields are refused by validation; --validate=false drops them', async () => {
      const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\nbogus: 1\ndata:\n  a: b\n';
      const f = join(tmp, 'strict.yaml');
      await writeFile(f, manifest);
      const r = await run(['create', '-f', f]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /unknown field "bogus"/);
      await k(['create', '-f', f, '--validate=false']);
      const got = JSON.parse(await k(['get', 'cm', 'strict', '-o', 'json'])) as Record<string, unknown>;
      assert.equal(got.bogus, undefined);
      await k(['delete', 'cm', 'strict']);
    });

    test('scale rs, deploy and sts; scale ds is refused as Kubernetes refuses it', async () => {
      assert.match(await k(['scale', '--replicas=10', 'rs/nginx']), /replicaset\.apps\/nginx scaled/);
      assert.equal((await k(['get', 'rs', 'nginx', '-o', 'jsonpath={.spec.replicas}'])).trim(), '10');
      assert.match(await k(['scale', 'deploy/web', '--replicas=3']), /deployment\.apps\/web scaled/);
      assert.match(await k(['scale', 'sts/db', '--replicas=2']), /statefulset\.apps\/db scaled/);
      const ds = await run(['scale', 'ds/agent', '--replicas=10']);
      assert.notEqual(ds.code, 0);
      assert.match(ds.stderr, /Error from server \(NotFound\): the server could not find the requested resource/);
    });

    test('label, annotate, patch (strategic, merge, json), apply client- and server-side', async () => {
      assert.match(await k(['label', 'rs', 'nginx', 'tier=web']), /replicaset\.apps\/nginx labeled/);
      assert.match(await k(['annotate', 'rs', 'nginx', 'owner=team-a']), /replicaset\.apps\/nginx annotated?/);
      assert.match(await k(['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}}}']), /deployment\.apps\/web patched/);
      const img = await k(['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].value} {.metadata.generation}']);
      // generation: 1 at create, 2 after the scale above, 3 after this template change.
      assert.equal(img.trim(), 'nginx:1.28 bar 3');
      await k(['patch', 'cm', 'settings', '--type=merge', '-p', '{"data":{"mode":"slow","extra":"1"}}']);
      await k(['patch', 'cm', 'settings', '--type=json', '-p', '[{"op":"remove","path":"/data/extra"}]']);
      assert.equal((await k(['get', 'cm', 'settings', '-o', 'jsonpath={.data}'])).trim(), '{"mode":"slow"}');

      const applyFile = join(tmp, 'apply.yaml');
      const manifest = (image: string, env: string) =>
        `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: applied\n  labels:\n    team: a\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: applied\n  template:\n    metadata:\n      labels:\n        app: applied\n    spec:\n      containers:\n      - name: a\n        image: ${image}\n        command: ["sleep", "1"]\n${env}`;
      await writeFile(applyFile, manifest('nginx:1.27', '        env:\n        - name: FOO\n          value: "1"\n        - name: BAR\n          value: "2"\n'));
      assert.match(await k(['apply', '-f', applyFile]), /deployment\.apps\/applied created/);
      assert.match(await k(['apply', '-f', applyFile]), /deployment\.apps\/applied unchanged/);
      await writeFile(applyFile, manifest('nginx:1.28', '        env:\n        - name: BAR\n          value: "2"\n'));
      assert.match(await k(['apply', '-f', applyFile]), /deployment\.apps\/applied configured/);
      const env = await k(['get', 'deploy', 'applied', '-o', 'jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name}']);
      assert.equal(env.trim(), 'nginx:1.28 BAR');

      const ssaFile = join(tmp, 'ssa.yaml');
      await writeFile(ssaFile, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: "1"\n');
      assert.match(await k(['apply', '--server-side', '-f', ssaFile]), /configmap\/ssa serverside-applied/);
      await writeFile(ssaFile, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  b: "2"\n');
      await k(['apply', '--server-side', '-f', ssaFile]);
      assert.equal((await k(['get', 'cm', 'ssa', '-o', 'jsonpath={.data}'])).trim(), '{"b":"2"}', 'fields no longer applied are removed');
      await k(['patch', 'cm', 'ssa', '--type=merge', '-p', '{"data":{"b":"3"}}']);
      const conflict = await run(['apply', '--server-side', '-f', ssaFile]);
      assert.notEqual(conflict.code, 0);
      assert.match(conflict.stderr, /conflict with "kubectl-patch"/);
      await k(['apply', '--server-side', '--force-conflicts', '-f', ssaFile]);
      assert.equal((await k(['get', 'cm', 'ssa', '-o', 'jsonpath={.data.b}'])).trim(), '2');
    });

    test('events.k8s.io and core Events are one store, each read in its own shape', async () => {
      const ev = [
        'apiVersion: events.k8s.io/v1',
        'kind: Event',
        'metadata:',
        '  name: ev1',
        'eventTime: "2026-11-27T21:00:00.000000Z"',
        'reportingController: example.com/tester',
        'reportingInstance: tester-1',
        'action: Testing',
        'reason: Tested',
        'note: written through events.k8s.io',
        'type: Normal',
        'regarding:',
        '  kind: Pod',
        '  name: foo',
        '  namespace: default',
      ].join('\n');
      await k(['create', '-f', '-'], ev);
      const core = JSON.parse(await k(['get', 'events.v1.', 'ev1', '-o', 'json'])) as { message: string; involvedObject: { name: string } };
      assert.equal(core.message, 'written through events.k8s.io');
      assert.equal(core.involvedObject.name, 'foo');
      assert.match(await k(['get', 'events.v1.events.k8s.io', '--field-selector', 'regarding.name=foo']), /Tested\s+pod\/foo\s+written through events\.k8s\.io/);
      await k(['delete', 'events.v1.events.k8s.io', 'ev1']);
    });

    test('edit with KUBE_EDITOR', async () => {
      const editor = join(tmp, 'editor.sh');
      await writeFile(editor, `#!/bin/sh\nsed -i 's/mode: slow/mode: edited/' "$1"\n`);
      await chmod(editor, 0o755);
      const r = await c.kubectl(['edit', 'cm', 'settings'], { ...(version ? { version } : {}), env: { KUBE_EDITOR: editor } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /configmap\/settings edited/);
      assert.equal((await k(['get', 'cm', 'settings', '-o', 'jsonpath={.data.mode}'])).trim(), 'edited');
    });

    test('describe reads like a real cluster', async () => {
      const d = await k(['describe', 'job', 'db-init']);
      assert.match(d, /^Name:\s+db-init$/m);
      assert.match(d, /^Selector:\s+batch\.kubernetes\.io\/controller-uid=/m);
      assert.match(d, /^Parallelism:\s+1$/m);
      assert.match(d, /^Completions:\s+1$/m);
      assert.match(d, /USERNAME:\s+root/);
      const rs = await k(['describe', 'rs', 'nginx']);
      assert.match(rs, /^Replicas:\s+\d+ current \/ 10 desired$/m);
    });

    test('watch streams changes', async () => {
      const { spawn } = await import('node:child_process');
      const { kubectlPath } = await import('../helpers/kubectl.js');
      const p = spawn(kubectlPath(version)!, ['--kubeconfig', c.kubeconfig, 'get', 'cm', '--watch', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const seen = (re: RegExp) =>
        new Promise<void>((resolve, reject) => {
          const check = () => {
            if (re.test(out)) resolve();
          };
          const timer = setTimeout(() => reject(new Error(`watch did not show ${re}; got:\n${out}`)), 20_000);
          p.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            check();
            if (re.test(out)) clearTimeout(timer);
          });
          check();
        });
      try {
        await seen(/settings/);
        await k(['create', 'configmap', 'watched', '--from-literal=a=b']);
        await seen(/ADDED\s+watched/);
        await k(['delete', 'cm', 'watched']);
        await seen(/DELETED\s+watched/);
      } finally {
        p.kill();
      }
    });

    test('delete with cascade variants, -f, -l and --all', async () => {
      assert.match(await k(['delete', 'rs/nginx']), /replicaset\.apps "nginx" deleted/);
      assert.match(await k(['delete', 'deploy', 'web', '--cascade=orphan']), /deployment\.apps "web" deleted/);
      assert.match(await k(['delete', 'sts', 'db', '--cascade=foreground', '--wait=false']), /statefulset\.apps "db" deleted/);
      assert.match(await k(['delete', '-l', 'app=myapp', 'jobs']), /job\.batch "db-init" deleted/);
      assert.match(await k(['delete', 'cm', '--all']), /configmap "settings" deleted/);
      const rest = await k(['delete', '-f', join(FIXTURES, 'workloads.yaml'), '--ignore-not-found']);
      assert.match(rest, /cronjob\.batch "hello" deleted/);
      const missing = await run(['delete', 'rs', 'nginx']);
      assert.match(missing.stderr, /Error from server \(NotFound\): replicasets\.apps "nginx" not found/);
    });
  });
}

test('an unauthenticated request gets 401 and a node token cannot list secrets', async (t) => {
  const c = await startCluster();
  t.after(() => c.stop());
  const { request } = await import('node:https');
  const ca = (await readFile(join(c.dataDir, 'tls', 'ca.crt'), 'utf8'));
  const nodeToken = (await readFile(join(c.dataDir, 'node-token'), 'utf8')).trim();
  const secret = nodeToken.split('.')[2]!;
  const get = (path: string, token?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${c.url}${path}`, { ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const anon = await get('/api/v1/namespaces/default/secrets');
  assert.equal(anon.status, 401);
  assert.equal((JSON.parse(anon.body) as { reason: string }).reason, 'Unauthorized');
  assert.equal((await get('/healthz')).status, 200);
  assert.equal((await get('/version')).status, 200);
  const node = await get('/api/v1/namespaces/default/secrets', `node:${secret}:node-1`);
  assert.equal(node.status, 403);
  assert.equal((await get('/api/v1/nodes', `node:${secret}:node-1`)).status, 200);
  assert.equal((await get('/api/v1/nodes', `node:wrong${secret}:node-1`)).status, 401);
});
