/**
 * Issue 7's "done when", tried as a new user would: two `skiff server`s on one etcd (Debian's
 * etcd-server, started by the test on loopback) and a third process, `skiff agent`, as the only
 * node, given both servers. The seed's demos work through either server and a kubeconfig from one
 * works against the other. Then the server leading the controller manager and the scheduler is
 * killed with SIGKILL in the middle of the CronJob demo: the other server takes both leases within
 * the lease duration, nothing written before is lost, no ReplicaSet pod is duplicated, a Job
 * created afterwards completes on the agent (which moved to the surviving server), and the
 * CronJob keeps its per-minute schedule with exactly one Job, and one pod, per minute.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SKIFF_BIN, startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlPath, kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';
import { etcdSkipReason, startEtcd, type TestEtcd } from '../../src/storage/etcd/testing/etcd-server.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
/** The controller manager's and scheduler's lease duration (Kubernetes' default, and Skiff's). */
const LEASE_DURATION_MS = 15_000;
/** The longest pause between a candidate's tries: the 2 s retry period jittered by up to ×2.2. */
const MAX_RETRY_MS = 4_400;

const skip = kubectlUnavailable() || etcdSkipReason();

/** kubectl with a given kubeconfig (and so a given server). */
function kubectl(kubeconfig: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile(kubectlPath()!, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) p.stdin!.end(input);
  });
}

describe('two servers on one etcd, an agent on both', { skip, timeout: 900_000 }, () => {
  let etcd: TestEtcd;
  let a: TestCluster;
  let b: TestCluster;
  let agent: ChildProcess;
  let agentDir: string;
  let scratch: string;
  let agentLog = '';
  const token = `e2e-${Math.random().toString(36).slice(2)}`;
  /** kubectl through a server, failing loudly. */
  const k = async (c: TestCluster, args: string[], input?: string) => {
    const r = await kubectl(c.kubeconfig, args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} via ${c.url} failed (${r.code}):\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const identity = async (c: TestCluster, component: string) => `${hostname()}_${(await readFile(join(c.dataDir, 'identity'), 'utf8')).trim()}_${component}`;
  const holder = async (c: TestCluster, lease: string) => (await k(c, ['-n', 'kube-system', 'get', 'lease', lease, '-o', 'jsonpath={.spec.holderIdentity}'])).trim();
  const example = async (file: string) => (await readFile(join(EXAMPLES, file), 'utf8')).replaceAll('/tmp/skiff-demo/mysql', join(scratch, 'mysql'));

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'skiff-etcd-e2e-'));
    etcd = await startEtcd();
    const args = ['--nodes', '0', '--datastore-endpoint', etcd.url, '--token', token];
    a = await startCluster({ args });
    // The first server leads both components before the second one starts.
    const aCM = await identity(a, 'controller-manager');
    const aSched = await identity(a, 'scheduler');
    await waitFor(async () => (await holder(a, 'skiff-controller-manager')) === aCM && (await holder(a, 'skiff-scheduler')) === aSched, 20_000, 'server A to lead');
    b = await startCluster({ args });
    agentDir = await mkdtemp(join(tmpdir(), 'skiff-etcd-agent-'));
    const joinToken = (await readFile(join(b.dataDir, 'node-token'), 'utf8')).trim();
    agent = spawn(
      process.execPath,
      [SKIFF_BIN, 'agent', '--server', `${a.url},${b.url}`, '--token', joinToken, '--name', 'agent-1', '--data-dir', agentDir, '--port', '0', '--node-ip', '127.0.0.1', '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout!.on('data', (d: Buffer) => (agentLog += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentLog += d.toString()));
    await waitFor(async () => / Ready /.test(await k(b, ['get', 'node', 'agent-1', '--no-headers'])), 30_000, 'agent-1 Ready');
  });

  after(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await b?.stop();
    await a?.stop();
    await etcd?.stop();
    if (agentDir) await rm(agentDir, { recursive: true, force: true });
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('one cluster: both servers have the same CA and admin token, and a kubeconfig from one works against the other', async () => {
    for (const f of ['tls/ca.crt', 'admin-token', 'node-token']) {
      assert.equal(await readFile(join(a.dataDir, f), 'utf8'), await readFile(join(b.dataDir, f), 'utf8'), `${f} is the cluster's`);
    }
    assert.notEqual(await readFile(join(a.dataDir, 'tls/serving.crt'), 'utf8'), await readFile(join(b.dataDir, 'tls/serving.crt'), 'utf8'));
    const crossed = join(scratch, 'a-config-to-b.yaml');
    await writeFile(crossed, (await readFile(a.kubeconfig, 'utf8')).replace(a.url, b.url));
    const r = await kubectl(crossed, ['get', 'nodes', '--no-headers']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^agent-1\s+Ready\s/);
  });

  test('the seed demos through either server', async () => {
    // ReplicaSet: created through A, seen, scaled and inspected through B.
    assert.equal((await k(a, ['create', '-f', '-'], await example('nginx-rs.yaml'))).trim(), 'replicaset.apps/nginx created');
    const running = async (c: TestCluster, n: number) => {
      const rows = (await k(c, ['get', 'pods', '-l', 'app=nginx', '-o', 'wide', '--no-headers'])).trim().split('\n').filter(Boolean);
      return rows.length === n && rows.every((r) => /\s1\/1\s+Running\s/.test(r) && /\sagent-1\s/.test(r)) ? rows : undefined;
    };
    await waitFor(() => running(b, 3), 60_000, '3 nginx pods Running on agent-1 (via B)');
    assert.equal((await k(b, ['scale', '--replicas=5', 'rs/nginx'])).trim(), 'replicaset.apps/nginx scaled');
    await waitFor(() => running(a, 5), 60_000, '5 nginx pods (via A)');
    assert.match(await k(a, ['logs', '-l', 'app=nginx', '--tail=1']), /nginx stand-in running as /);
    assert.equal((await k(a, ['scale', '--replicas=3', 'rs/nginx'])).trim(), 'replicaset.apps/nginx scaled');
    await waitFor(() => running(b, 3), 60_000, 'back to 3 (via B)');

    // DaemonSet through B: one pod on the one node; `kubectl scale` refused, as in the seed.
    assert.equal((await k(b, ['create', '-f', '-'], (await example('nginx-ds.yaml')).replace(/name: nginx$/m, 'name: nginx-ds').replaceAll('app: nginx', 'app: nginx-ds'))).trim(), 'daemonset.apps/nginx-ds created');
    await waitFor(async () => /^nginx-ds-\S+\s+1\/1\s+Running\s/m.test(await k(a, ['get', 'pods', '-l', 'app=nginx-ds', '--no-headers'])), 60_000, 'the DaemonSet pod');
    const scaled = await kubectl(a.kubeconfig, ['scale', '--replicas=10', 'ds/nginx-ds']);
    assert.equal(scaled.code, 1);
    assert.equal(scaled.stderr.trim(), 'Error from server (NotFound): the server could not find the requested resource');

    // The run-to-completion Job through A, its logs through B (B reaches the agent itself).
    assert.equal((await k(a, ['create', '-f', '-'], await example('db-init-job.yaml'))).trim(), 'job.batch/db-init created');
    assert.equal((await k(b, ['wait', '--for=condition=complete', 'job/db-init', '--timeout=90s'])).trim(), 'job.batch/db-init condition met');
    assert.match(await k(b, ['logs', 'job/db-init']), /^database cloudshop ready on mysql:3306 as root$/m);
    assert.match(await k(a, ['get', 'jobs', 'db-init', '--no-headers']), /^db-init\s+Complete\s+1\/1\s/);
  });

  test('kill -9 of the leading server mid-CronJob: the other takes over, nothing is lost or doubled', { timeout: 600_000 }, async () => {
    // The CronJob demo, started through B, runs its first Job.
    assert.equal((await k(b, ['create', '-f', '-'], await example('cron.yaml'))).trim(), 'cronjob.batch/hello created');
    const helloJobs = async (c: TestCluster) =>
      (await k(c, ['get', 'jobs', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}']))
        .split('\n')
        .filter((n) => /^hello-\d+$/.test(n))
        .map((n) => Number(n.slice('hello-'.length)));
    const first = await waitFor(async () => (await helloJobs(b))[0], 75_000, 'the first hello Job');
    await k(b, ['wait', '--for=condition=complete', `job/hello-${first}`, '--timeout=60s']);

    // What exists before the crash.
    const snapshot = async (c: TestCluster) => {
      const out = await k(c, ['get', 'rs,ds,jobs,cronjobs,pods', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.uid}{"\\n"}{end}']);
      return new Set(out.split('\n').filter((l) => l && !l.startsWith('Pod/hello-') && !l.startsWith('Job/hello-')));
    };
    const before = await snapshot(b);
    const nginxPods = (await k(b, ['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').sort();
    assert.equal(nginxPods.length, 3);

    // SIGKILL the server that leads both the controller manager and the scheduler.
    const leader = (await holder(b, 'skiff-controller-manager')) === (await identity(a, 'controller-manager')) ? a : b;
    const survivor = leader === a ? b : a;
    assert.equal(await holder(survivor, 'skiff-scheduler'), await identity(leader, 'scheduler'), 'one server leads both');
    leader.process.kill('SIGKILL');
    await new Promise((r) => leader.process.once('exit', r));
    const leaseTime = async (lease: string, field: 'renewTime' | 'acquireTime') =>
      Date.parse((await k(survivor, ['-n', 'kube-system', 'get', 'lease', lease, '-o', `jsonpath={.spec.${field}}`])).trim());
    const lastRenewed = {
      'skiff-controller-manager': await leaseTime('skiff-controller-manager', 'renewTime'),
      'skiff-scheduler': await leaseTime('skiff-scheduler', 'renewTime'),
    };

    // The survivor takes both leases once they expire.
    const cm = await identity(survivor, 'controller-manager');
    const sched = await identity(survivor, 'scheduler');
    await waitFor(async () => (await holder(survivor, 'skiff-controller-manager')) === cm && (await holder(survivor, 'skiff-scheduler')) === sched, LEASE_DURATION_MS + 15_000, 'the survivor to lead');
    // Measured on the Leases: not before the dead leader's last renewal has expired (no two
    // leaders), and soon after — a candidate notices a renewal, and then the expiry, on its next
    // try, every retry period jittered ×1.2 as in client-go, so up to two such periods late.
    for (const [lease, renewed] of Object.entries(lastRenewed)) {
      const takeover = (await leaseTime(lease, 'acquireTime')) - renewed;
      assert.ok(takeover >= LEASE_DURATION_MS - 1000, `${lease} taken over ${takeover} ms after its last renewal: before it expired`);
      assert.ok(takeover <= LEASE_DURATION_MS + 2 * MAX_RETRY_MS, `${lease} taken over ${takeover} ms after its last renewal`);
    }

    // Nothing written before the crash is lost.
    const after = await snapshot(survivor);
    for (const item of before) assert.ok(after.has(item), `${item} survived`);

    // A Job created afterwards completes, on the agent, which now talks to the survivor.
    await k(survivor, ['create', 'job', 'after-failover', '--image=busybox', '--', 'sh', '-c', 'echo ran after the failover']);
    assert.equal((await k(survivor, ['wait', '--for=condition=complete', 'job/after-failover', '--timeout=90s'])).trim(), 'job.batch/after-failover condition met');
    assert.equal((await k(survivor, ['logs', 'job/after-failover'])).trim(), 'ran after the failover');
    assert.match(await k(survivor, ['get', 'node', 'agent-1', '--no-headers']), /^agent-1\s+Ready\s/);

    // The CronJob keeps its schedule: the minute after the one that ran before the crash (its
    // time falls after the takeover) gets exactly one Job, run once.
    const last = first + 1;
    await waitFor(async () => (await helloJobs(survivor)).includes(last), 120_000, `hello-${last}`);
    await k(survivor, ['wait', '--for=condition=complete', `job/hello-${last}`, '--timeout=60s']);
    const created = (await k(survivor, ['get', 'events', '--field-selector', 'involvedObject.name=hello', '-o', 'jsonpath={range .items[*]}{.reason}:{.message}={.count}{"\\n"}{end}']))
      .split('\n')
      .filter((e) => e.startsWith('SuccessfulCreate:'))
      .map((e) => e.slice('SuccessfulCreate:'.length));
    for (let m = first; m <= last; m++) assert.ok(created.includes(`Created job hello-${m}=1`), `hello-${m} created exactly once: ${created.join(', ')}`);
    assert.ok(!created.some((e) => /hello-\d+=([2-9]|\d\d)/.test(e)), `no Job created twice: ${created.join(', ')}`);
    for (const m of await helloJobs(survivor)) {
      if (m <= first) continue;
      const pods = (await k(survivor, ['get', 'pods', '-l', `job-name=hello-${m}`, '--no-headers'])).trim().split('\n').filter(Boolean);
      assert.equal(pods.length, 1, `hello-${m} ran one pod: ${pods.join('; ')}`);
    }

    // The new leader's ReplicaSet controller found the three pods it already had: no duplicates.
    const nginxAfter = (await k(survivor, ['get', 'pods', '-l', 'app=nginx', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ').sort();
    assert.deepEqual(nginxAfter, nginxPods);
    // The agent was given A first: if A died, it said it moved to B.
    if (leader === a) assert.match(agentLog, /API server \S+ unreachable \(\w+\); using /);
  });
});
