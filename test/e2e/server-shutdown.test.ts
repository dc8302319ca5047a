/**
 * Nothing outlives `skiff server`: a server with two process nodes runs pods (containers that
 * leave background children behind, a tty one, a crash-looping one whose orphan is killed with
 * each instance), is stopped with SIGTERM, and afterwards no process whose command line mentions
 * its data dir is left — no container, no shim, no warm shim of the pool, no reaper. Orphans stay
 * in Skiff's tree (under the shims' subreaper) and are reaped by it, never left to a PID 1 that
 * may not reap them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  /** The executable's name (kept by a zombie, unlike its command line). */
  comm: string;
  cmdline: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.push({ pid: Number(d), state: f[0]!, ppid: Number(f[1]), comm, cmdline: readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      /* gone */
    }
  }
  return out;
}

test('skiff server --nodes 2: after SIGTERM no process it started remains, not even a zombie', { skip: process.platform !== 'linux' || kubectlUnavailable() }, async () => {
  // Orphans get a name of their own (a link to sleep), so they can be recognised as zombies,
  // which keep their name but lose their command line.
  const bin = await mkdtemp(join(tmpdir(), 'skiff-orphans-'));
  const orphan = `skorph${process.pid}`.slice(0, 15);
  await symlink(execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim(), join(bin, orphan));
  const orphanPath = join(bin, orphan);
  const c = await startCluster({ args: ['--nodes', '2'], keepDataDir: false });
  const marker = c.dataDir;
  let stopped = false;
  const orphanZombies = () => processes().filter((p) => p.comm === orphan && p.state === 'Z');
  // Orphans must stay in Skiff's process tree (under its reaper), never handed to PID 1, which on
  // some machines never reaps them: watch for that the whole time.
  const escaped = new Map<number, Proc>();
  const watch = setInterval(() => {
    for (const p of processes()) if (p.comm === orphan && p.ppid === 1) escaped.set(p.pid, p);
  }, 50);
  try {
    await waitFor(async () => ((await c.k(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 2, 20_000, 'two Ready nodes');
    await c.k(['apply', '-f', '-'], {
      input: `
apiVersion: apps/v1
kind: Deployment
metadata: { name: sleepers }
spec:
  replicas: 4
  selector: { matchLabels: { app: sleepers } }
  template:
    metadata: { labels: { app: sleepers } }
    spec:
      containers:
      - name: c
        image: busybox
        # A background child that outlives the main process's own shell (orphaned inside the container).
        command: [sh, -c, '${orphanPath} 3600 & exec sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: { name: console }
spec:
  containers:
  - { name: c, image: busybox, command: [sh], stdin: true, tty: true }
---
apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec:
  containers:
  - { name: c, image: busybox, command: [sh, -c, '(${orphanPath} 3600 &) ; sleep 0.2; exit 1'] }
`,
    });
    await waitFor(async () => (await c.k(['get', 'pods', '-l', 'app=sleepers', '--no-headers'])).split('\n').filter((l) => / Running /.test(l)).length === 4, 60_000, 'four sleepers Running');
    await c.k(['wait', '--for=condition=Ready', 'pod/console', '--timeout=60s']);
    await waitFor(async () => Number(await c.k(['get', 'pod', 'crasher', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])) >= 1, 60_000, 'crasher restarted');
    const nodes = new Set((await c.k(['get', 'pods', '-o', 'jsonpath={.items[*].spec.nodeName}'])).split(' '));
    assert.equal(nodes.size, 2, 'pods run on both nodes');
    // The crasher's earlier instances left an orphan each, killed with their container: reaped,
    // even while the server runs.
    await waitFor(() => orphanZombies().length === 0, 10_000, `no orphan left as a zombie: ${JSON.stringify(orphanZombies())}`);

    await c.stop();
    stopped = true;
    const left = () => processes().filter((p) => p.cmdline.includes(marker));
    await waitFor(() => left().length === 0, 15_000, `no process mentioning ${marker}: ${JSON.stringify(left())}`);
    // The containers' orphans were killed with their pods, and reaped.
    await waitFor(() => orphanZombies().length === 0 && processes().every((p) => p.comm !== orphan), 10_000, `no orphan left: ${JSON.stringify(processes().filter((p) => p.comm === orphan))}`);
    assert.deepEqual([...escaped.values()], [], 'no orphan was ever left to PID 1');
  } finally {
    clearInterval(watch);
    if (!stopped) await c.stop();
    await rm(bin, { recursive: true, force: true });
  }
});
