/**
 * The process runtime with real processes: exit codes and reasons, CRI logs, SIGTERM then
 * SIGKILL after the grace period, nothing left behind (process group and cgroup), environment,
 * working dir and volume mounts, start errors, OOM kills, and re-adoption by a new runtime on the
 * same directory (the agent "crashed"), including an exit that happened while no agent ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from './process-runtime.js';
import type { ContainerRecord, ContainerStartRequest } from '../runtime.js';
import { processesWith } from '../../../../test/helpers/processes.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

/** Polls `cond` every 20 ms for up to 5 s. */
async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (cond()) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-rt-'));
  const runtimes: ProcessRuntime[] = [];
  const make = async (): Promise<ProcessRuntime> => {
    const rt = await ProcessRuntime.create({ dir: join(dir, 'runtime'), nodeName: `test-${process.pid}`, version: 'test' });
    await rt.recover();
    runtimes.push(rt);
    return rt;
  };
  t.after(async () => {
    const rt = runtimes.at(-1);
    if (rt) for (const uid of rt.podUids()) for (const r of rt.containers(uid)) await rt.remove(r.id);
    for (const r of runtimes) await r.close();
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  const req = (command: string[], extra: Partial<ContainerStartRequest> = {}): ContainerStartRequest => ({
    podUid: 'pod-uid',
    podNamespace: 'default',
    podName: 'p',
    hostname: 'p',
    containerName: `c${n}`,
    attempt: 0,
    init: false,
    specHash: 'h',
    image: 'busybox',
    command,
    env: [['PATH', process.env.PATH ?? '/usr/bin:/bin']],
    workingDir: join(dir, 'work'),
    mounts: [],
    logPath: join(dir, 'logs', `c${n++}`, '0.log'),
    limits: {},
    ...extra,
  });
  return { dir, make, req };
}

function waitExit(rt: ProcessRuntime, id: string): Promise<ContainerRecord> {
  const now = rt.get(id);
  if (now?.state === 'exited') return Promise.resolve(now);
  // Shims are unref'd (they must not keep an agent alive): hold the test's event loop open.
  const keepAlive = setInterval(() => undefined, 1000);
  return new Promise((resolve) => {
    const off = rt.onExit((r) => {
      if (r.id === id) {
        off();
        clearInterval(keepAlive);
        resolve(r);
      }
    });
  });
}

/** Living (non-zombie) processes of a process group, from /proc/<pid>/stat. */
function liveGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}


test('exit code, reason and CRI-format logs of stdout and stderr', async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  const r = await rt.start(req(['sh', '-c', 'echo out; echo err >&2; exit 3']));
  assert.equal(r.state, 'running');
  const done = await waitExit(rt, r.id);
  assert.equal(done.exitCode, 3);
  assert.equal(done.reason, 'Error');
  const log = await readFile(r.logPath, 'utf8');
  assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F out$/m);
  assert.match(log, /^\S+ stderr F err$/m);
  const ok = await rt.start(req(['true']));
  assert.equal((await waitExit(rt, ok.id)).reason, 'Completed');
});

test('a command that does not exist is a StartError with exit code 128', async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  const r = await rt.start(req(['no-such-command-skiff']));
  assert.equal(r.state, 'exited');
  assert.equal(r.exitCode, 128);
  assert.equal(r.reason, 'StartError');
  assert.equal(r.message, 'exec: "no-such-command-skiff": executable file not found in $PATH');
});

test('stop: SIGTERM first; a process ignoring it is SIGKILLed after the grace period and nothing is left', async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  const marker = `skiff-grace-${process.pid}`;
  const r = await rt.start(req(['sh', '-c', `trap '' TERM; sleep 1000 & echo ready; while :; do sleep 0.05; done`, marker]));
  // Wait until the trap is installed (it prints after).
  for (let i = 0; i < 100 && !(await readFile(r.logPath, 'utf8').catch(() => '')).includes('ready'); i++) await new Promise((res) => setTimeout(res, 20));
  const started = Date.now();
  await rt.stop(r.id, 700);
  const took = Date.now() - started;
  const rec = rt.get(r.id)!;
  assert.equal(rec.exitCode, 137);
  assert.ok(took >= 650, `waited the grace period (${took} ms)`);
  // Killed members may stay zombies until init reaps them (some inits never do): count the living.
  const groupAlive = (): boolean => liveGroupMembers(r.pid!).length > 0;
  for (let i = 0; i < 100 && groupAlive(); i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(groupAlive(), false, 'process group is empty');
  const polite = await rt.start(req(['sleep', '1000']));
  const t0 = Date.now();
  await rt.stop(polite.id, 10_000);
  assert.equal(rt.get(polite.id)!.exitCode, 143);
  assert.ok(Date.now() - t0 < 5000, 'SIGTERM ended it without waiting the grace period');
});

test('processes a container leaves behind end with it, even ones that left its process group', { skip: !isRoot && 'needs root for cgroups' }, async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  const marker = `skiff-orphan-${process.pid}`;
  const r = await rt.start(req(['sh', '-c', `setsid sleep 1000 ${marker} & sleep 1000 ${marker} & sleep 0.3; exit 0`]));
  await waitExit(rt, r.id);
  for (let i = 0; i < 50 && processesWith(marker).length > 0; i++) await new Promise((res) => setTimeout(res, 20));
  assert.deepEqual(processesWith(marker), []);
});

test('env, working dir, hostname and volumes at their mountPaths', async (t) => {
  const { dir, make, req } = await setup(t);
  const rt = await make();
  const vol = join(dir, 'vol');
  await mkdir(vol, { recursive: true });
  await writeFile(join(vol, 'file'), 'from-volume');
  const target = rt.mountsVolumes ? `/skiff-test-mnt-${process.pid}` : vol;
  const r = await rt.start(
    req(['sh', '-c', `echo "$FOO"; pwd; cat ${target}/file; echo; hostname`], {
      env: [['PATH', process.env.PATH ?? ''], ['FOO', 'bar baz']],
      workingDir: join(dir, 'wd', 'nested'),
      mounts: [{ source: vol, target, readOnly: true, file: false }],
      hostname: 'my-pod',
    }),
  );
  await waitExit(rt, r.id);
  const lines = (await readFile(r.logPath, 'utf8')).split('\n').filter(Boolean).map((l) => l.split(' ').slice(3).join(' '));
  assert.equal(lines[0], 'bar baz');
  assert.equal(lines[1], join(dir, 'wd', 'nested'), 'working dir created and used');
  assert.equal(lines[2], 'from-volume');
  if (rt.mountsVolumes) assert.equal(lines[3], 'my-pod', 'UTS namespace hostname');
  if (rt.mountsVolumes) await rm(target, { recursive: true, force: true });
});

test('exec runs in the container context', async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  const r = await rt.start(req(['sleep', '1000'], { env: [['PATH', process.env.PATH ?? ''], ['WHO', 'container']] }));
  const out = await rt.exec(r.id, ['sh', '-c', 'echo $WHO; exit 4'], 5000);
  assert.equal(out.exitCode, 4);
  assert.equal(out.output.trim(), 'container');
  const slow = await rt.exec(r.id, ['sleep', '10'], 200);
  assert.equal(slow.timedOut, true);
  await rt.stop(r.id, 1000);
});

test('re-adoption: a new runtime on the same directory finds running containers (same pid, logs continue) and exits recorded while it was away', async (t) => {
  const { dir, make, req } = await setup(t);
  const first = await make();
  const ticker = await first.start(req(['sh', '-c', 'while :; do echo tick; sleep 0.05; done']));
  const quitter = await first.start(req(['sh', '-c', 'sleep 0.3; exit 7']));
  // The agent "crashes": the runtime object is dropped without stopping anything.
  await first.close();
  // The quitter's shim records its exit while no runtime is there.
  await waitUntil(() => existsSync(join(dir, 'runtime', 'containers', quitter.id, 'exit.json')), 'the exit recorded');
  const second = await make();
  const adopted = second.get(ticker.id)!;
  assert.equal(adopted.state, 'running');
  assert.equal(adopted.pid, ticker.pid);
  assert.equal(adopted.adopted, true);
  const ended = second.get(quitter.id)!;
  assert.equal(ended.state, 'exited');
  assert.equal(ended.exitCode, 7);
  const before = (await readFile(ticker.logPath, 'utf8')).length;
  await waitUntil(() => readFileSync(ticker.logPath, 'utf8').length > before, 'logging continues');
  const exited = waitExit(second, ticker.id);
  await second.stop(ticker.id, 2000);
  assert.equal((await exited).exitCode, 143);
});

test('a memory limit is enforced and an OOM kill is reported as OOMKilled', { skip: !isRoot && 'needs root for cgroups' }, async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  const r = await rt.start(req([process.execPath, '-e', 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));'], { limits: { memoryBytes: 64 * 1024 * 1024 } }));
  const done = await waitExit(rt, r.id);
  assert.equal(done.reason, 'OOMKilled');
  assert.equal(done.exitCode, 137);
});

test('FallbackToLogsOnError: a failed container reports the tail of its output as its message', async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  const r = await rt.start(req(['sh', '-c', 'echo starting; echo "fatal: no config" >&2; exit 2'], { terminationMessageFromLogs: true }));
  const done = await waitExit(rt, r.id);
  assert.equal(done.message, 'starting\nfatal: no config\n');
  const ok = await rt.start(req(['sh', '-c', 'echo fine'], { terminationMessageFromLogs: true }));
  assert.equal((await waitExit(rt, ok.id)).message, undefined, 'only on failure');
});

test('a container whose node data dir is deleted is ended by its shim (no orphan outlives its node)', async (t) => {
  const { dir, make, req } = await setup(t);
  const rt = await make();
  const marker = `skiff-orphaned-dir-${process.pid}`;
  await rt.start(req(['sh', '-c', `sleep 1000 ${marker}`]));
  // start() returns once the shim reports the exec; /proc shows the command line a moment later.
  await waitUntil(() => processesWith(marker).length > 0, 'the container in /proc');
  assert.equal(processesWith(marker).length > 0, true);
  await rm(join(dir, 'runtime'), { recursive: true, force: true });
  await waitUntil(() => processesWith(marker).length === 0, 'the orphaned container ended');
  assert.deepEqual(processesWith(marker), []);
});

test('tty: the container runs on a terminal; input, window size and a prompt without newline reach it and its log', async (t) => {
  const { make, req } = await setup(t);
  const rt = await make();
  // Prints a prompt without a newline (as a shell does), then answers each line with the size.
  const script = 'while printf "ready> "; read line; do echo "got $line, $(stty size), tty=$(tty)"; done';
  const rec = await rt.start(req(['sh', '-c', script], { stdin: { once: false }, tty: true }));
  assert.equal(rec.state, 'running');
  const readLog = () => readFile(rec.logPath, 'utf8').catch(() => '');
  const until = async (re: RegExp): Promise<string> => {
    for (let i = 0; i < 500; i++) {
      const text = await readLog();
      if (re.test(text)) return text;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`log never matched ${re}:\n${await readLog()}`);
  };
  // The prompt is in the log before any newline follows it (a P record).
  assert.match(await until(/stdout P ready> /), /^\S+ stdout P ready> \n$/);
  const { connect } = await import('node:net');
  const resize = connect(rt.terminalSocket(rec.id)!);
  resize.write('{"cols":132,"rows":43}\n');
  const stdin = connect(rt.stdinSocket(rec.id)!);
  // Sizes and input travel on separate sockets: ask until the new size shows.
  const ask = setInterval(() => stdin.write('hello\r'), 50);
  const text = await until(/got hello, 43 132, tty=\/dev\/pts\/\d+/).finally(() => clearInterval(ask));
  // A terminal: everything is stdout, lines end with \r\n as the line discipline writes them.
  assert.doesNotMatch(text, / stderr /);
  assert.match(text, /stdout F got hello, 43 132, tty=\/dev\/pts\/\d+\r\n/);
  resize.end();
  stdin.end();
  await rt.stop(rec.id, 2000);
  assert.equal(rt.get(rec.id)?.state, 'exited');
});
