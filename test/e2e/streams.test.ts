/**
 * Pod streams end to end: `kubectl logs`, `exec`, `attach`, `port-forward` and `cp` against a
 * real `skiff server --nodes 1` (process runtime), through the API server to the node agent.
 * Every streaming command runs with the oldest supported kubectl (1.27: SPDY/3.1 upgrades), the
 * default one (1.32) and the newest (1.33: WebSocket v5, SPDY tunnelled in a WebSocket for
 * port-forward).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlPath, kubectlUnavailable, NEWEST_KUBECTL, OLDEST_KUBECTL } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

const VERSIONS = [OLDEST_KUBECTL, undefined, NEWEST_KUBECTL] as const;
const label = (v: string | undefined) => v ?? 'default';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

function httpCall(port: number, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    // A stuck forward fails the test instead of hanging the suite.
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer on 127.0.0.1:${port}${path} within 30 s`)));
    req.end(body);
  });
}

/** An HTTP server in the pod that answers `<url> <request body>` (node runs on the "node"). */
const ECHO_SERVER = `require('http').createServer((q, s) => { let b = ''; q.on('data', (d) => (b += d)); q.on('end', () => s.end(q.url + ' ' + b)); }).listen(Number(process.argv[1]), '127.0.0.1');`;

describe('pod streams through skiff server with the real kubectl', { timeout: 300_000, skip: kubectlUnavailable() || kubectlUnavailable(OLDEST_KUBECTL) || kubectlUnavailable(NEWEST_KUBECTL) }, () => {
  let c: TestCluster;
  let tmp: string;
  let webPort: number;
  const children = new Set<ChildProcess>();
  const k = (args: string[], opts: { version?: string | undefined; input?: string } = {}) =>
    c.k(args, { ...(opts.version ? { version: opts.version } : {}), ...(opts.input !== undefined ? { input: opts.input } : {}) });
  const run = (args: string[], opts: { version?: string | undefined; input?: string } = {}) =>
    c.kubectl(args, { ...(opts.version ? { version: opts.version } : {}), ...(opts.input !== undefined ? { input: opts.input } : {}) });
  const apply = (yaml: string) => k(['apply', '-f', '-'], { input: yaml });
  const ready = (pod: string) => k(['wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=60s']);

  before(async () => {
    c = await startCluster({ args: ['--nodes', '1'] });
    tmp = await mkdtemp(join(tmpdir(), 'skiff-streams-'));
    webPort = await freePort();
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: talker, labels: { app: talker } }
spec:
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'echo one; echo two; echo three; sleep 3600']
  - name: side
    image: busybox
    command: [sh, -c, 'echo side-says-hi; sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: { name: web }
spec:
  containers:
  - name: web
    image: node
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(ECHO_SERVER)}, '${webPort}']
`);
    await ready('talker');
    await ready('web');
  });

  after(async () => {
    for (const p of children) p.kill('SIGKILL');
    await c?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('logs: container choice, tail, timestamps, since, limit-bytes, all containers, label selector', async () => {
    const all = await k(['logs', 'talker']);
    assert.equal(all, 'one\ntwo\nthree\n');
    assert.equal(await k(['logs', 'talker', '-c', 'side']), 'side-says-hi\n');
    assert.equal(await k(['logs', 'talker', '-c', 'main', '--tail=1']), 'three\n');
    assert.equal(await k(['logs', 'talker', '-c', 'main', '--tail=0']), '');
    assert.equal(await k(['logs', 'talker', '-c', 'main', '--since=1h']), 'one\ntwo\nthree\n');
    assert.equal(await k(['logs', 'talker', '-c', 'main', '--limit-bytes=6']), 'one\ntw');
    const ts = await k(['logs', 'talker', '-c', 'main', '--timestamps']);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n\S+ two\n\S+ three\n$/);
    const both = await k(['logs', 'talker', '--all-containers']);
    assert.equal(both, 'one\ntwo\nthree\nside-says-hi\n');
    assert.equal(await k(['logs', '-l', 'app=talker', '-c', 'side']), 'side-says-hi\n');
    for (const version of [OLDEST_KUBECTL, NEWEST_KUBECTL]) assert.equal(await k(['logs', 'talker', '-c', 'main', '--tail=2'], { version }), 'two\nthree\n');
  });

  test('logs: errors worded as Kubernetes words them', async () => {
    const bad = await run(['logs', 'talker', '-c', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /container nope is not valid for pod talker/);
    const prev = await run(['logs', 'talker', '-c', 'main', '--previous']);
    assert.notEqual(prev.code, 0);
    assert.match(prev.stderr, /Error from server \(BadRequest\): previous terminated container "main" in pod "talker" not found/);
    // A pod the scheduler cannot place has no node: its log is empty, as in Kubernetes.
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: nowhere }
spec:
  nodeSelector: { no-such-label: "x" }
  containers: [{ name: c, image: busybox, command: [sh, -c, 'echo x'] }]
`);
    assert.equal(await k(['logs', 'nowhere']), '');
    const ex = await run(['exec', 'nowhere', '--', 'true']);
    assert.notEqual(ex.code, 0);
    assert.match(ex.stderr, /pod nowhere does not have a host assigned/);
  });

  test('logs -f streams until the container stops; --previous shows the last instance; job/ and deploy/', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec:
  restartPolicy: Always
  containers: [{ name: c, image: busybox, command: [sh, -c, 'echo started; sleep 1; echo dying; exit 1'] }]
`);
    const started = Date.now();
    await waitFor(async () => (await run(['logs', 'crasher'])).stdout.includes('started'), 30_000, 'crasher to log');
    const followed = await k(['logs', '-f', 'crasher']);
    assert.match(followed, /started\n(dying\n)?$/);
    assert.ok(followed.includes('dying'), `follow ends after the container's last line:\n${followed}`);
    assert.ok(Date.now() - started < 30_000);
    await waitFor(async () => Number((await k(['get', 'pod', 'crasher', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])) || 0) >= 1, 30_000, 'a restart');
    assert.equal(await k(['logs', 'crasher', '--previous']), 'started\ndying\n');

    await k(['create', 'job', 'once', '--image=busybox', '--', 'sh', '-c', 'echo job-ran']);
    await k(['wait', '--for=condition=Complete', 'job/once', '--timeout=60s']);
    assert.equal(await k(['logs', 'job/once']), 'job-ran\n');

    await k(['create', 'deployment', 'dep', '--image=busybox', '--replicas=2', '--', 'sh', '-c', 'echo from-deployment; sleep 3600']);
    await k(['rollout', 'status', 'deployment/dep', '--timeout=60s']);
    const r = await run(['logs', 'deploy/dep']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from-deployment\n');
    assert.match(r.stderr, /Found 2 pods, using pod\/dep-/);
  });

  for (const version of VERSIONS) {
    test(`exec with kubectl ${label(version)}: output, stderr, exit codes, stdin`, async () => {
      const ok = await run(['exec', 'talker', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2'], { version });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'out\n');
      assert.equal(ok.stderr, 'err\n');
      const three = await run(['exec', 'talker', '-c', 'main', '--', 'sh', '-c', 'exit 3'], { version });
      assert.equal(three.code, 3);
      assert.match(three.stderr, /command terminated with exit code 3/);
      const piped = await run(['exec', '-i', 'talker', '-c', 'main', '--', 'sh', '-c', 'cat; echo eof'], { version, input: 'hi\nthere\n' });
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(piped.stdout, 'hi\nthere\neof\n');
      // Not a terminal: kubectl says so and runs without one.
      const it = await run(['exec', '-it', 'talker', '-c', 'main', '--', 'echo', 'no-tty'], { version, input: '' });
      assert.equal(it.code, 0, it.stderr);
      assert.match(it.stderr, /Unable to use a TTY/);
      assert.equal(it.stdout, 'no-tty\n');
      const missing = await run(['exec', 'talker', '-c', 'main', '--', 'no-such-command-here'], { version });
      assert.notEqual(missing.code, 0);
    });
  }

  for (const version of VERSIONS) {
    test(`exec -it from a terminal with kubectl ${label(version)}: the command gets a terminal of the client's size`, async () => {
      // `script` gives kubectl a pseudo-terminal of a known size, so kubectl asks for tty=true and
      // sends that size; the command must see a terminal of that size from its first line.
      const bin = kubectlPath(version)!;
      const cmd = `stty cols 91 rows 33; ${bin} --kubeconfig ${c.kubeconfig} exec -it talker -c main -- sh -c 'echo in-session; tty; stty size; echo "TERM=$TERM"; exit 7'`;
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        execFile('script', ['-qec', cmd, '/dev/null'], { timeout: 30_000 }, (err, stdout) => {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout });
        });
      });
      assert.match(r.out, /in-session\r\n\/dev\/pts\/\d+\r\n33 91\r\nTERM=xterm\r\n/, r.out);
      assert.match(r.out, /command terminated with exit code 7/);
      assert.equal(r.code, 7);
    });
  }

  /**
   * Runs `command` on a pseudo-terminal (util-linux `script`, 91x33), typing `line` every 300 ms
   * until the output matches `done`, then `exit`; resolves with everything the terminal showed.
   * (Typing from the start, as a user who does not wait: input before kubectl's session is up sits
   * in the terminal and is echoed locally; from then on it reaches the container.)
   */
  const onTerminal = (command: string, line: string, done: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const p = spawn('script', ['-qfec', `stty cols 91 rows 33; ${command}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(p);
      // The terminal may be gone before a last write reaches it.
      p.stdin!.on('error', () => undefined);
      let out = '';
      let answered = false;
      const typing = setInterval(() => p.stdin!.write(`${line}\r`), 300);
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`no ${done} on the terminal:\n${out}`));
      }, 45_000);
      p.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (!answered && done.test(out)) {
          answered = true;
          clearInterval(typing);
          p.stdin!.write('exit\r');
        }
      });
      p.once('exit', () => {
        clearInterval(typing);
        clearTimeout(timer);
        children.delete(p);
        resolve(out);
      });
    });

  test('kubectl run -it --rm: a shell on the container\u2019s own terminal, attached, removed on exit', async () => {
    // busybox maps to `sh` on process nodes: the container is an interactive shell with tty and stdin.
    const out = await onTerminal(`${kubectlPath()!} --kubeconfig ${c.kubeconfig} run -it --rm --restart=Never --image=busybox shell`, 'stty size; echo $((6*7))', /\r\n33 91\r\n42\r\n/);
    assert.match(out, /If you don't see a command prompt, try pressing enter\./);
    assert.match(out, /\r\n33 91\r\n42\r\n/, 'the shell runs on a terminal of the client\u2019s size');
    assert.match(out, /pod "shell" deleted/);
    const gone = await run(['get', 'pod', 'shell']);
    assert.match(gone.stderr, /NotFound/);
  });

  test('attach -it to a tty container with the oldest and newest kubectl', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: console }
spec:
  containers:
  - { name: c, image: busybox, command: [sh], stdin: true, tty: true }
`);
    await ready('console');
    for (const [round, version] of [OLDEST_KUBECTL, NEWEST_KUBECTL].entries()) {
      if (round > 0) {
        // `exit` ended the shell: the container restarts (restartPolicy Always) for this round.
        await waitFor(async () => {
          const [restarts, startedAt] = (await k(['get', 'pod', 'console', '-o', 'jsonpath={.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].state.running.startedAt}'])).split(' ');
          return Number(restarts) >= round && !!startedAt;
        }, 60_000, 'console running again');
      }
      const out = await onTerminal(`${kubectlPath(version)!} --kubeconfig ${c.kubeconfig} attach -it console`, 'tty; echo "v=$((40+2))"', /\/dev\/pts\/\d+\r\nv=42\r\n/);
      assert.match(out, /\/dev\/pts\/\d+\r\nv=42\r\n/, `kubectl ${version}`);
    }
  });

  test('attach: stdin reaches the container, its output comes back', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: { name: reader }
spec:
  containers:
  - name: c
    image: busybox
    stdin: true
    stdinOnce: true
    command: [sh, -c, 'echo ready; while read l; do echo got:$l; done; echo bye']
`);
    await ready('reader');
    await waitFor(async () => (await k(['logs', 'reader'])).includes('ready'), 20_000, 'reader to start');
    const r = await run(['attach', '-i', 'reader'], { input: 'hello\nworld\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /got:hello\ngot:world\n/);
  });

  for (const version of [OLDEST_KUBECTL, NEWEST_KUBECTL]) {
    test(`port-forward with kubectl ${version}: several connections, data both ways`, async () => {
      const child = spawn(kubectlPath(version)!, ['--kubeconfig', c.kubeconfig, 'port-forward', 'pod/web', `:${webPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      try {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        const local = await waitFor(() => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1], 20_000, `port-forward to listen:\n${out}`);
        const port = Number(local);
        const first = await httpCall(port, '/first');
        assert.deepEqual(first, { status: 200, text: '/first ' });
        const many = await Promise.all([1, 2, 3, 4].map((i) => httpCall(port, `/p${i}`, 'x'.repeat(100_000 * i))));
        many.forEach((r, i) => {
          assert.equal(r.status, 200);
          assert.equal(r.text, `/p${i + 1} ${'x'.repeat(100_000 * (i + 1))}`);
        });
        await waitFor(() => (out.match(/Handling connection/g) ?? []).length === 5, 10_000, 'kubectl to report 5 connections');
      } finally {
        child.kill('SIGTERM');
        children.delete(child);
      }
    });
  }

  test('port-forward to a closed port reports the error', async () => {
    const closed = await freePort();
    const child = spawn(kubectlPath()!, ['--kubeconfig', c.kubeconfig, 'port-forward', 'pod/web', `:${closed}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    try {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const port = Number(await waitFor(() => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1], 20_000, 'port-forward to listen'));
      await httpCall(port, '/').catch(() => undefined);
      await waitFor(() => out.includes(`error forwarding port ${closed} to pod web`), 20_000, `the forwarding error:\n${out}`);
    } finally {
      child.kill('SIGTERM');
      children.delete(child);
    }
  });

  for (const version of [OLDEST_KUBECTL, NEWEST_KUBECTL]) {
    test(`cp with kubectl ${version}: into the pod and back`, async () => {
      const src = join(tmp, `in-${version}.txt`);
      const content = `copied with ${version}\n${'z'.repeat(200_000)}\n`;
      await writeFile(src, content);
      const dir = (await k(['exec', 'talker', '-c', 'main', '--', 'mktemp', '-d'])).trim();
      await k(['cp', src, `talker:${dir}/file.txt`, '-c', 'main'], { version });
      assert.equal(await k(['exec', 'talker', '-c', 'main', '--', 'cat', `${dir}/file.txt`]), content);
      const back = join(tmp, `back-${version}.txt`);
      await k(['cp', `talker:${dir}/file.txt`, back, '-c', 'main'], { version });
      assert.equal(await readFile(back, 'utf8'), content);
      await k(['exec', 'talker', '-c', 'main', '--', 'rm', '-rf', dir]);
    });
  }
});
