import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeletServer } from '../kubelet-server.js';
import { loadOrCreateServingCert } from '../serving-cert.js';
import { kubeletBearerToken } from '../../api/streams/kubelet-auth.js';
import { FakeStreamsBackend, runningPod } from './testing/fake-backend.js';
import { readAll, spdyUpgrade, tunnelledSpdy, webSocketSession } from './testing/clients.js';
import { createStreamsHandler } from './streams-handler.js';
import { INITIAL_SIZE_WAIT_MS } from './remote-command.js';
import { servePortForward } from './port-forward.js';
import { WebSocketDuplex } from './ws-duplex.js';
import { WebSocketServer } from 'ws';

const SECRET = '0123456789abcdef0123456789abcdef';
const AUTH = `Bearer ${kubeletBearerToken(SECRET)}`;
const line = (ts: string, text: string, tag = 'F', stream = 'stdout') => `${ts} ${stream} ${tag} ${text}\n`;

function get(port: number, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, rejectUnauthorized: false, headers: { authorization: AUTH } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('kubelet streams endpoints', () => {
  let dir: string;
  let server: KubeletServer;
  let port: number;
  let backend: FakeStreamsBackend;
  let echo: Server;
  let echoPort: number;
  let handler: ReturnType<typeof createStreamsHandler>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-streams-'));
    const cert = await loadOrCreateServingCert(dir, 'node-1', ['127.0.0.1']);
    server = new KubeletServer({ certPem: cert.certPem, keyPem: cert.keyPem, joinSecret: SECRET });
    backend = new FakeStreamsBackend();
    handler = createStreamsHandler(backend, { streamCreationTimeoutMs: 2_000 });
    server.setStreams(handler);
    port = await server.listen(0, '127.0.0.1');
    backend.addPod(runningPod('p'));
    backend.setState('uid-1', 'c', 'running');
    // A pod server that answers each connection with "pong:" + what it received, then closes.
    echo = createServer((s) => {
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('end', () => s.end(`pong:${got}`));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as AddressInfo).port;
  });

  after(async () => {
    handler.close();
    await server.close();
    await new Promise<void>((r) => echo.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  test('container logs: rotated files in order, tail, timestamps, since, limit', async () => {
    const old = join(dir, '0.log.1');
    const cur = join(dir, '0.log');
    await writeFile(old, line('2024-01-01T00:00:01.5Z', 'first') + line('2024-01-01T00:00:02Z', 'par', 'P') + line('2024-01-01T00:00:02.1Z', 'tial'));
    await writeFile(cur, line('2024-01-01T00:00:03.123456789Z', 'third', 'F', 'stderr') + line('2024-01-01T00:00:04Z', 'fourth'));
    backend.setFiles('uid-1', 'c', false, [old, cur]);
    const base = '/containerLogs/default/p/c';
    assert.deepEqual(await get(port, base), { status: 200, body: 'first\npartial\nthird\nfourth\n', type: 'text/plain' });
    assert.equal((await get(port, `${base}?tailLines=2`)).body, 'third\nfourth\n');
    assert.equal((await get(port, `${base}?tailLines=3`)).body, 'tial\nthird\nfourth\n');
    assert.equal((await get(port, `${base}?tailLines=0`)).body, '');
    assert.equal((await get(port, `${base}?limitBytes=8`)).body, 'first\npa');
    assert.equal((await get(port, `${base}?sinceTime=2024-01-01T00:00:03Z`)).body, 'third\nfourth\n');
    assert.equal(
      (await get(port, `${base}?timestamps=true&tailLines=2`)).body,
      '2024-01-01T00:00:03.123456789Z third\n2024-01-01T00:00:04.000000000Z fourth\n',
    );
  });

  test('container logs: errors in the kubelet words, as Status bodies', async () => {
    const missing = await get(port, '/containerLogs/default/nope/c');
    assert.equal(missing.status, 404);
    assert.match(JSON.parse(missing.body).message, /pod "nope" does not exist/);
    backend.addPod({ ...runningPod('w'), status: { containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] } });
    const waiting = await get(port, '/containerLogs/default/w/c');
    assert.equal(waiting.status, 400);
    assert.equal(JSON.parse(waiting.body).message, 'container "c" in pod "w" is waiting to start: ContainerCreating');
    const prev = await get(port, '/containerLogs/default/p/c?previous=true');
    assert.equal(prev.status, 400);
    assert.equal(JSON.parse(prev.body).message, 'previous terminated container "c" in pod "p" not found');
    assert.equal((await get(port, '/containerLogs/default/p/c?tailLines=-1')).status, 400);
  });

  test('container logs: follow picks up new lines and rotation, and ends when the container stops', async () => {
    const f = join(dir, 'follow.log');
    await writeFile(f, line('2024-01-01T00:00:00Z', 'a'));
    backend.addPod({ ...runningPod('f'), metadata: { name: 'f', namespace: 'default', uid: 'uid-f' } });
    backend.setFiles('uid-f', 'c', false, [f]);
    backend.setState('uid-f', 'c', 'running');
    const body = new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/containerLogs/default/f/c?follow=true', rejectUnauthorized: false, headers: { authorization: AUTH } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
          if (text === 'a\n') void appendFile(f, line('2024-01-01T00:00:01Z', 'b'));
          if (text === 'a\nb\n') {
            // Rotate: the file is renamed and a new one started.
            const rotated = join(dir, 'follow.log.1');
            void (async () => {
              const { rename } = await import('node:fs/promises');
              await rename(f, rotated);
              await writeFile(f, line('2024-01-01T00:00:02Z', 'c'));
              backend.setFiles('uid-f', 'c', false, [rotated, f]);
            })();
          }
          if (text === 'a\nb\nc\n') backend.setState('uid-f', 'c', 'terminated');
        });
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(await body, 'a\nb\nc\n');
  });

  test('exec over WebSocket v5: output channels, stdin with the close signal, exit code status', async () => {
    const url = `wss://127.0.0.1:${port}/exec/default/p/c?command=sh&command=-c&command=${encodeURIComponent('cat; echo oops >&2; exit 3')}&stdin=1&stdout=1&stderr=1`;
    const r = await webSocketSession(url, ['v5.channel.k8s.io'], AUTH, [Buffer.from([0, ...Buffer.from('hello\n')]), Buffer.from([255, 0])]);
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.closeCode, 1000);
    const status = JSON.parse(r.error);
    assert.equal(status.status, 'Failure');
    assert.equal(status.reason, 'NonZeroExitCode');
    assert.deepEqual(status.details.causes, [{ reason: 'ExitCode', message: '3' }]);
  });

  test('exec over WebSocket: v4 base64, and the plain protocol writes only failures as text', async () => {
    const url = `wss://127.0.0.1:${port}/exec/default/p/c?command=echo&command=hi&stdout=1`;
    const b64 = await webSocketSession(url, ['v4.base64.channel.k8s.io'], AUTH, []);
    assert.equal(b64.stdout, 'hi\n');
    assert.deepEqual(JSON.parse(b64.error), { metadata: {}, status: 'Success' });
    const plain = await webSocketSession(`wss://127.0.0.1:${port}/exec/default/p/c?command=false&stdout=1`, ['channel.k8s.io'], AUTH, []);
    assert.match(plain.error, /command terminated with non-zero exit code/);
  });

  // A timeout, so a session that never ends fails the test instead of hanging the run. (It hung
  // when the command ran before the client's size arrived: `stty size` printed 24 80, and the
  // test waited for 30 100 forever.)
  test('exec -t gets a terminal whose size follows resize messages', { timeout: 20_000 }, async () => {
    const script = 'stty size; read x; stty size';
    const url = `wss://127.0.0.1:${port}/exec/default/p/c?command=sh&command=-c&command=${encodeURIComponent(script)}&stdin=1&stdout=1&tty=1`;
    const r = await webSocketSession(url, ['v5.channel.k8s.io'], AUTH, [Buffer.from([4, ...Buffer.from('{"Width":100,"Height":30}')])], (ws) => {
      // Once the first size is printed, resize and let the shell print it again.
      let seen = '';
      ws.on('message', (d: Buffer) => {
        seen += d.subarray(1).toString();
        if (seen.includes('30 100') && !seen.includes('#')) {
          seen += '#';
          ws.send(Buffer.from([4, ...Buffer.from('{"Width":120,"Height":40}\n')]));
          ws.send(Buffer.from([0, ...Buffer.from('go\r')]));
        }
      });
    });
    assert.match(r.stdout, /30 100\r\n/);
    assert.match(r.stdout, /40 120\r\n/);
    assert.deepEqual(JSON.parse(r.error).status, 'Success');
  });

  test('exec -t starts on the default 80x24 terminal when the client sends no size', { timeout: 20_000 }, async () => {
    const url = `wss://127.0.0.1:${port}/exec/default/p/c?command=stty&command=size&stdout=1&tty=1`;
    const started = Date.now();
    const r = await webSocketSession(url, ['v5.channel.k8s.io'], AUTH, []);
    assert.equal(r.stdout, '24 80\r\n');
    assert.ok(Date.now() - started >= INITIAL_SIZE_WAIT_MS, 'waited for a size first');
    assert.deepEqual(JSON.parse(r.error).status, 'Success');
  });

  test('exec over SPDY (kubectl ≤ 1.29): negotiation, streams, exit status', async () => {
    const path = `/exec/default/p/c?command=sh&command=-c&command=${encodeURIComponent('cat; exit 5')}&stdin=1&stdout=1&stderr=1`;
    const refused = await spdyUpgrade(port, path, ['v9.channel.k8s.io'], { authorization: AUTH });
    assert.equal(refused.status, 403);
    assert.match(refused.body, /unable to negotiate protocol/);
    const up = await spdyUpgrade(port, path, ['v4.channel.k8s.io', 'v3.channel.k8s.io'], { authorization: AUTH });
    assert.equal(up.status, 101);
    assert.equal(up.headers['x-stream-protocol-version'], 'v4.channel.k8s.io');
    const s = up.session!;
    const error = await s.createStream({ streamType: 'error' });
    const stdin = await s.createStream({ streamType: 'stdin' });
    const stdout = await s.createStream({ streamType: 'stdout' });
    const stderr = await s.createStream({ streamType: 'stderr' });
    stdin.end('over spdy\n');
    const [out, err, status] = await Promise.all([readAll(stdout), readAll(stderr), readAll(error)]);
    assert.equal(out, 'over spdy\n');
    assert.equal(err, '');
    assert.deepEqual(JSON.parse(status).details.causes, [{ reason: 'ExitCode', message: '5' }]);
    s.destroy();
  });

  test('exec into a container that is not running is refused before the upgrade', async () => {
    backend.setState('uid-1', 'c', 'terminated');
    try {
      const up = await spdyUpgrade(port, '/exec/default/p/c?command=true&stdout=1', ['v4.channel.k8s.io'], { authorization: AUTH });
      assert.equal(up.status, 500);
      assert.equal(up.body, 'container not found ("c")');
    } finally {
      backend.setState('uid-1', 'c', 'running');
    }
  });

  test('attach follows the container process', async () => {
    const url = `wss://127.0.0.1:${port}/attach/default/p/c?stdin=1&stdout=1&stderr=1`;
    // The fake container reads stdin only if its spec says so.
    backend.addPod(runningPod('p', { containers: [{ name: 'c', image: 'busybox', stdin: true }] }));
    const r = await webSocketSession(url, ['v5.channel.k8s.io'], AUTH, [Buffer.from([0, ...Buffer.from('shout\n')]), Buffer.from([255, 0])]);
    assert.equal(r.stdout, 'SHOUT\n');
    assert.equal(JSON.parse(r.error).status, 'Success');
  });

  test('port-forward: a connection the pod closes while the client is still sending does not stall the others', async () => {
    // The pod reads nothing, so the agent's writes back up and the stream pauses; then it hangs up.
    const slammer = createServer((sock) => setTimeout(() => sock.destroy(), 300));
    await new Promise<void>((r) => slammer.listen(0, '127.0.0.1', () => r()));
    const slamPort = (slammer.address() as AddressInfo).port;
    const up = await spdyUpgrade(port, '/portForward/default/p', ['portforward.k8s.io'], { authorization: AUTH });
    const s = up.session!;
    try {
      const error1 = await s.createStream({ streamType: 'error', port: String(slamPort), requestID: '1' });
      error1.end();
      error1.resume();
      const data1 = await s.createStream({ streamType: 'data', port: String(slamPort), requestID: '1' });
      data1.on('error', () => undefined);
      const ended = new Promise((r) => data1.once('end', r));
      data1.resume();
      const chunk = Buffer.alloc(1 << 20, 1);
      for (let i = 0; i < 32; i++) data1.write(chunk);
      await ended;
      // Another connection of the same port-forward still gets through.
      const error2 = await s.createStream({ streamType: 'error', port: String(echoPort), requestID: '2' });
      error2.end();
      const data2 = await s.createStream({ streamType: 'data', port: String(echoPort), requestID: '2' });
      data2.end('req-2');
      const answer = await Promise.race([readAll(data2), new Promise<string>((r) => setTimeout(() => r('(stalled)'), 10_000).unref())]);
      assert.equal(answer, 'pong:req-2');
    } finally {
      s.destroy();
      slammer.close();
    }
  });

  test('port-forward over SPDY and over the WebSocket tunnel; a closed port is reported on the error stream', async () => {
    const forward = async (s: import('../../api/streams/spdy/session.js').SpdySession, id: number, p: number) => {
      const error = await s.createStream({ streamType: 'error', port: String(p), requestID: String(id) });
      error.end();
      const data = await s.createStream({ streamType: 'data', port: String(p), requestID: String(id) });
      data.end(`req-${id}`);
      return Promise.all([readAll(data), readAll(error)]);
    };
    const up = await spdyUpgrade(port, '/portForward/default/p', ['portforward.k8s.io'], { authorization: AUTH });
    assert.equal(up.status, 101);
    const results = await Promise.all([1, 2, 3].map((i) => forward(up.session!, i, echoPort)));
    assert.deepEqual(results, [
      ['pong:req-1', ''],
      ['pong:req-2', ''],
      ['pong:req-3', ''],
    ]);
    up.session!.destroy();

    // The SPDY session of kubectl ≥ 1.30, tunnelled in WebSocket binary messages. (ws refuses to
    // offer the `SPDY/3.1+portforward.k8s.io` name as a client; the e2e tests cover that handshake.)
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => servePortForward(new WebSocketDuplex(ws), { pod: runningPod('p'), connect: (p) => backend.connect(runningPod('p'), p) }));
    const tunnel = await tunnelledSpdy(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, 'tunnel');
    assert.deepEqual(await forward(tunnel, 0, echoPort), ['pong:req-0', '']);
    const closed = await new Promise<number>((r) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => r(p));
      });
    });
    const [, err] = await forward(tunnel, 1, closed);
    const parsed = JSON.parse(err) as { closeConnection: boolean; message: string };
    assert.equal(parsed.closeConnection, true);
    assert.match(parsed.message, new RegExp(`^error forwarding port ${closed} to pod p, uid uid-1: failed to connect to localhost:${closed} inside the pod`));
    tunnel.destroy();
    await new Promise<void>((r) => wss.close(() => r()));
  });
});
