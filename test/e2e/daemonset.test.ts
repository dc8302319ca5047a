/**
 * The seed's DaemonSet demo (shared/seed/daemonsets-and-jobs.md) on three nodes, with the real
 * kubectl against `skiff server --nodes 3`: one pod per node, `kubectl scale ds` refused, describe
 * and rollout status, a rolling update with history, undo and a skipped rollback, a joining
 * `skiff agent` getting its own pod, and a removed node's pod not rescheduled anywhere else.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readlink, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, SKIFF_BIN, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable, NEWEST_KUBECTL, OLDEST_KUBECTL } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/nginx-ds.yaml', import.meta.url));

interface PodRow {
  name: string;
  ready: string;
  status: string;
  node: string;
}

/** Kills every process whose working directory lies under `dir` (containers of a killed agent). */
async function killProcessesUnder(dir: string): Promise<void> {
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if ((await readlink(`/proc/${d}/cwd`)).startsWith(dir)) process.kill(Number(d), 'SIGKILL');
    } catch {
      /* gone, or not ours to read */
    }
  }
}

describe('the seed DaemonSet demo on three nodes', { skip: kubectlUnavailable() }, () => {
  let c: TestCluster;
  const k = (args: string[], version?: string) => c.k(args, version ? { version } : {});
  const pods = async (): Promise<PodRow[]> => {
    const out = await k(['get', 'pods', '-o', 'wide', '--no-headers', '-l', 'app=nginx']);
    return out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, ready, status, , , , node] = l.split(/\s+/);
        return { name: name!, ready: ready!, status: status!, node: node! };
      });
  };
  const runningOn = async (nodes: string[]): Promise<PodRow[] | undefined> => {
    const rows = await pods();
    const ok = rows.length === nodes.length && rows.every((r) => r.status === 'Running' && r.ready === '1/1') && rows.map((r) => r.node).sort().join() === [...nodes].sort().join();
    return ok ? rows : undefined;
  };

  before(async () => {
    c = await startCluster({ args: ['--nodes', '3'] });
    await waitFor(async () => ((await k(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 3, 20_000, 'three Ready nodes');
  });
  after(async () => {
    await c?.stop();
  });

  test('kubectl create -f examples/nginx-ds.yaml: one nginx pod on every node', async () => {
    assert.equal((await k(['create', '-f', EXAMPLE])).trim(), 'daemonset.apps/nginx created');
    const rows = await waitFor(() => runningOn(['node-1', 'node-2', 'node-3']), 30_000, 'one Running pod per node');
    for (const r of rows) assert.match(r.name, /^nginx-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const ds = await waitFor(async () => {
      const line = (await k(['get', 'ds', 'nginx', '--no-headers'])).trim();
      return /^nginx\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\S+$/.test(line) ? line : undefined;
    }, 20_000, 'get ds nginx: 3 3 3 3 3');
    assert.ok(ds);
    const header = (await k(['get', 'ds'])).split('\n')[0]!;
    assert.match(header, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    // Each pod is pinned to its node by required node affinity and bound by the scheduler.
    const pod = JSON.parse(await k(['get', 'pod', rows[0]!.name, '-o', 'json'])) as { spec: { nodeName: string; affinity: unknown } };
    assert.deepEqual(pod.spec.affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [pod.spec.nodeName] }] }] } } });
  });

  test('kubectl scale --replicas=10 ds/nginx is refused (oldest and newest kubectl)', async () => {
    for (const version of [undefined, OLDEST_KUBECTL, NEWEST_KUBECTL]) {
      if (version && kubectlUnavailable(version)) continue;
      const r = await c.kubectl(['scale', '--replicas=10', 'ds/nginx'], version ? { version } : {});
      assert.equal(r.code, 1, `kubectl ${version ?? ''} scale must fail`);
      assert.equal(r.stderr.trim(), 'Error from server (NotFound): the server could not find the requested resource');
    }
    assert.equal((await pods()).length, 3);
  });

  test('kubectl describe ds and rollout status read like a real cluster', async () => {
    const d = await k(['describe', 'ds', 'nginx']);
    assert.match(d, /^Name:\s+nginx$/m);
    assert.match(d, /^Desired Number of Nodes Scheduled: 3$/m);
    assert.match(d, /^Current Number of Nodes Scheduled: 3$/m);
    assert.match(d, /^Number of Nodes Scheduled with Up-to-date Pods: 3$/m);
    assert.match(d, /^Number of Nodes Scheduled with Available Pods: 3$/m);
    assert.match(d, /^Number of Nodes Misscheduled: 0$/m);
    assert.match(d, /^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
    assert.equal((d.match(/Normal\s+SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: nginx-\S+/g) ?? []).length, 3);
    assert.equal((await k(['rollout', 'status', 'ds/nginx'])).trim(), 'daemon set "nginx" successfully rolled out');
  });

  test('rolling update, history, undo and a skipped rollback', async () => {
    await k(['set', 'image', 'ds/nginx', 'nginx=nginx:1.27']);
    const status = await k(['rollout', 'status', 'ds/nginx', '--timeout=90s']);
    assert.match(status, /daemon set "nginx" successfully rolled out\n$/);
    for (const r of await pods()) {
      const image = await k(['get', 'pod', r.name, '-o', 'jsonpath={.spec.containers[0].image}']);
      if (image !== 'nginx:1.27') assert.fail(`pod ${r.name} still runs ${image}`);
    }
    const history = await k(['rollout', 'history', 'ds/nginx']);
    assert.match(history, /^daemonset\.apps\/nginx \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    const rev1 = await k(['rollout', 'history', 'ds/nginx', '--revision=1']);
    assert.match(rev1, /daemonset\.apps\/nginx with revision #1/);
    assert.match(rev1, /Image:\s+nginx\n/);
    assert.equal((await k(['rollout', 'undo', 'ds/nginx'])).trim(), 'daemonset.apps/nginx rolled back');
    await k(['rollout', 'status', 'ds/nginx', '--timeout=90s']);
    assert.match(await k(['rollout', 'history', 'ds/nginx']), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n/);
    // kubectl compares the revision's patch byte for byte with the live template.
    assert.equal((await k(['rollout', 'undo', 'ds/nginx', '--to-revision=3'])).trim(), 'daemonset.apps/nginx skipped rollback (current template already matches revision 3)');
    await waitFor(() => runningOn(['node-1', 'node-2', 'node-3']), 30_000, 'back to one Running pod per node');
  });

  test('a joining agent gets a pod; a removed node loses it and nothing is rescheduled', async () => {
    const token = (await readFile(join(c.dataDir, 'node-token'), 'utf8')).trim();
    const dir = await mkdtemp(join(tmpdir(), 'skiff-ds-agent-'));
    let agent: ChildProcess | undefined;
    try {
      agent = spawn(process.execPath, [SKIFF_BIN, 'agent', '--server', c.url, '--token', token, '--name', 'joiner', '--data-dir', dir, '--port', '0', '--node-ip', '127.0.0.1', '--log-level', 'warn'], { stdio: 'ignore' });
      await waitFor(async () => / Ready /.test((await c.kubectl(['get', 'node', 'joiner'])).stdout), 30_000, 'node joiner Ready');
      const rows = await waitFor(() => runningOn(['node-1', 'node-2', 'node-3', 'joiner']), 30_000, 'a pod on the joining node');
      const onJoiner = rows.find((r) => r.node === 'joiner')!;
      await waitFor(async () => /^nginx\s+4\s+4\s+4\s+4\s+4\s/.test((await k(['get', 'ds', 'nginx', '--no-headers'])).trim()), 20_000, 'desired 4');
      // The node dies and is removed.
      agent.kill('SIGKILL');
      await k(['delete', 'node', 'joiner']);
      await waitFor(async () => /^nginx\s+3\s+3\s+3\s+3\s+3\s/.test((await k(['get', 'ds', 'nginx', '--no-headers'])).trim()), 20_000, 'desired back to 3');
      // Pod GC removes the pod of the deleted node (after its quarantine); no replacement appears.
      const left = await waitFor(async () => {
        const now = await pods();
        return now.some((r) => r.name === onJoiner.name) ? undefined : now;
      }, 90_000, 'pod of the deleted node removed');
      assert.deepEqual(left.map((r) => r.node).sort(), ['node-1', 'node-2', 'node-3']);
      assert.equal(left.length, 3);
    } finally {
      agent?.kill('SIGKILL');
      await killProcessesUnder(dir);
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    }
  });

  test('kubectl delete ds nginx removes its pods', async () => {
    assert.equal((await k(['delete', 'ds', 'nginx'])).trim(), 'daemonset.apps "nginx" deleted');
    await waitFor(async () => (await pods()).length === 0, 60_000, 'pods gone');
    assert.equal((await k(['get', 'controllerrevisions', '-l', 'app=nginx', '-o', 'name'])).trim(), '');
  });
});
