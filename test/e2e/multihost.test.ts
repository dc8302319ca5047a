/**
 * Multi-host: three "machines" made of network namespaces on a private bridge (test/helpers/
 * netns.ts) — etcd and server A on the first, server B on the second, `skiff agent` on the third —
 * so every call between them crosses veth pairs and a bridge, with the machines' own addresses:
 * servers to etcd, the agent to the servers, the servers to the agent's kubelet endpoint (logs,
 * exec), kubectl to the servers from another machine, and clients to the pod. Pods are scheduled
 * on the remote node, run, log and are reachable at their IP as on one host; when server A is
 * killed the agent carries on through server B.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIFF_BIN } from '../helpers/cluster.js';
import { kubectlPath, kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';
import { createLan, netnsUnavailable, type Lan } from '../helpers/netns.js';
import { execOn, startOn, stopProcess, type LanProcess } from '../helpers/lan-process.js';
import { etcdSkipReason, startEtcd, type TestEtcd } from '../../src/storage/etcd/testing/etcd-server.js';

const skip = kubectlUnavailable() || etcdSkipReason() || netnsUnavailable();
const API_PORT = 6443;

describe('control plane and agent on separate machines (network namespaces)', { skip, timeout: 600_000 }, () => {
  let lan: Lan;
  let etcd: TestEtcd;
  let serverA: LanProcess;
  let serverB: LanProcess;
  let agent: LanProcess;
  const dirs: Record<string, string> = {};
  /** kubectl run on machine `from` against the server of data dir `dataDir`. */
  const k = (from: number, dataDir: string, args: string[]) => execOn(lan, from, [kubectlPath()!, '--kubeconfig', join(dataDir, 'kubeconfig.yaml'), ...args]);

  const startServer = async (host: number, dataDir: string): Promise<LanProcess> => {
    const p = startOn(lan, host, [
      process.execPath, SKIFF_BIN, 'server', '--data-dir', dataDir, '--bind-address', lan.addresses[host]!, '--port', String(API_PORT),
      '--nodes', '0', '--datastore-endpoint', etcd.url, '--token', 'multihost', '--log-level', 'warn',
    ]);
    await waitFor(() => p.child.exitCode !== null || /Skiff is running at/.test(p.out()), 60_000, `the server on ${lan.hosts[host]}`);
    if (p.child.exitCode !== null) throw new Error(`server exited:\n${p.out()}`);
    return p;
  };

  before(async () => {
    lan = createLan(3);
    for (const d of ['a', 'b', 'agent']) dirs[d] = await mkdtemp(join(tmpdir(), `skiff-multihost-${d}-`));
    etcd = await startEtcd({ host: lan.addresses[0]!, wrap: lan.wrap(0) });
    serverA = await startServer(0, dirs.a!);
    serverB = await startServer(1, dirs.b!);
    const joinToken = (await readFile(join(dirs.a!, 'node-token'), 'utf8')).trim();
    agent = startOn(lan, 2, [
      process.execPath, SKIFF_BIN, 'agent', '--server', `https://${lan.addresses[0]}:${API_PORT},https://${lan.addresses[1]}:${API_PORT}`,
      '--token', joinToken, '--name', 'remote-1', '--node-ip', lan.addresses[2]!, '--data-dir', dirs.agent!, '--log-level', 'warn',
    ]);
  });

  after(async () => {
    await stopProcess(agent);
    await stopProcess(serverB);
    await stopProcess(serverA);
    await etcd?.stop();
    await lan?.destroy();
    for (const d of Object.values(dirs)) await rm(d, { recursive: true, force: true });
  });

  test('the remote node registers with its own address', async () => {
    const node = await waitFor(
      async () => {
        const out = await k(1, dirs.a!, ['get', 'node', 'remote-1', '-o', 'wide', '--no-headers']);
        return /\sReady\s/.test(out) ? out : undefined;
      },
      60_000,
      `remote-1 Ready (agent output: ${agent.out()})`,
    );
    assert.match(node, new RegExp(`^remote-1\\s+Ready\\s+<none>\\s+\\S+\\s+\\S+\\s+${lan.addresses[2]!.replaceAll('.', '\\.')}\\s`));
  });

  test('a pod is scheduled there, runs, logs through either server and is reachable at its IP from another machine', async () => {
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: { containers: [{ name: 'web', image: 'python:3.12-alpine', command: ['python3', '-u', '-m', 'http.server', '18080'], ports: [{ containerPort: 18080 }] }] },
    });
    await execOn(lan, 1, ['sh', '-c', `echo '${manifest}' | ${kubectlPath()} --kubeconfig ${join(dirs.a!, 'kubeconfig.yaml')} create -f -`]);
    await k(1, dirs.a!, ['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
    const [podIP, node] = (await k(0, dirs.b!, ['get', 'pod', 'web', '-o', 'jsonpath={.status.podIP} {.spec.nodeName}'])).trim().split(' ');
    assert.equal(node, 'remote-1');
    assert.ok(podIP, 'the pod has an IP');
    // A pod on the node's network answers at the node's address from another machine, across the
    // bridge; a pod on a node-local pod network answers at its own IP on its node, as on one host.
    const from = podIP === lan.addresses[2] ? 0 : 2;
    const body = await waitFor(
      () => execOn(lan, from, [process.execPath, '-e', `fetch('http://${podIP}:18080/').then(async (r) => { console.log(r.status); })`]).catch(() => undefined),
      30_000,
      `the pod to answer at ${podIP} from ${lan.hosts[from]}`,
    );
    assert.equal(body.trim(), '200');
    // Logs travel agent → server → kubectl over the LAN, through both servers.
    await waitFor(async () => /"GET \/ HTTP\/1\.1" 200/.test(await k(1, dirs.a!, ['logs', 'web'])), 20_000, 'the access log via A');
    assert.match(await k(0, dirs.b!, ['logs', 'web']), /Serving HTTP on 0\.0\.0\.0 port 18080/);
    assert.equal((await k(0, dirs.b!, ['exec', 'web', '--', 'sh', '-c', 'echo exec on $(hostname)'])).trim(), 'exec on web');
  });

  test('a Job runs to completion on the remote node', async () => {
    await k(1, dirs.a!, ['create', 'job', 'count', '--image=busybox', '--', 'sh', '-c', 'for i in 1 2 3; do echo $i; done']);
    await k(1, dirs.a!, ['wait', '--for=condition=complete', 'job/count', '--timeout=60s']);
    assert.equal(await k(0, dirs.b!, ['logs', 'job/count']), '1\n2\n3\n');
    assert.match(await k(0, dirs.b!, ['get', 'pods', '-l', 'job-name=count', '-o', 'wide', '--no-headers']), /\sCompleted\s.*\sremote-1\s/);
  });

  test('server A is killed: the agent carries on through server B', async () => {
    serverA.child.kill('SIGKILL');
    await new Promise((r) => serverA.child.once('exit', r));
    // B takes over the controllers and scheduler (lease 15 s) and the agent reaches B.
    await k(0, dirs.b!, ['create', 'job', 'after-a', '--image=busybox', '--', 'sh', '-c', 'echo still here']);
    await k(0, dirs.b!, ['wait', '--for=condition=complete', 'job/after-a', '--timeout=90s']);
    assert.equal((await k(0, dirs.b!, ['logs', 'job/after-a'])).trim(), 'still here');
    assert.match(await k(0, dirs.b!, ['get', 'node', 'remote-1', '--no-headers']), /^remote-1\s+Ready\s/);
    assert.match(agent.out(), /API server https:\/\/\S+ unreachable/);
  });
});
