import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../client/log.js';
import type { ProxyServicePort } from '../service-model.js';
import { UserspaceProxier } from './userspace-proxier.js';
import { ClusterIPBinder } from './cluster-ip-binder.js';
import { UserspaceProxyThread } from './userspace-proxy-thread.js';
import { canManageHostAddresses, clusterIPLabel } from '../../agent/network/host-network.js';
import { run } from '../../agent/network/exec.js';
import { ask } from '../testing/netns-servers.js';

/** A TCP server on 127.0.0.1 answering `<name> <client address>` (or counting bytes with `sink`). */
async function backend(name: string, opts: { sink?: boolean } = {}): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (c) => {
    c.on('error', () => undefined);
    if (!opts.sink) return void c.end(`${name} ${c.remoteAddress}\n`);
    let n = 0;
    c.on('data', (d: Buffer) => (n += d.length));
    c.on('end', () => c.end(`${name} ${n}\n`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function servicePort(over: Partial<ProxyServicePort>): ProxyServicePort {
  return { key: 'default/web:', namespace: 'default', service: 'web', portName: '', protocol: 'tcp', clusterIP: undefined, port: 80, nodePort: undefined, affinitySeconds: undefined, endpoints: [], ...over };
}

test('userspace NodePort: balanced over endpoints, ClientIP affinity, refused at once without endpoints, back with them', async () => {
  const a = await backend('a');
  const b = await backend('b');
  const nodePort = await freePort();
  const proxier = new UserspaceProxier({ logger: silentLogger });
  try {
    const eps = [{ ip: '127.0.0.1', port: a.port }, { ip: '127.0.0.1', port: b.port }];
    assert.equal(await proxier.sync([servicePort({ nodePort, endpoints: eps })]), 0);
    assert.deepEqual(proxier.listening(), [`tcp/0.0.0.0/${nodePort}`]);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await ask('127.0.0.1', nodePort)).split(' ')[0]!);
    assert.deepEqual([...seen].sort(), ['a', 'b'], 'round robin reaches both endpoints');

    await proxier.sync([servicePort({ nodePort, endpoints: eps, affinitySeconds: 30 })]);
    const sticky = new Set<string>();
    for (let i = 0; i < 6; i++) sticky.add((await ask('127.0.0.1', nodePort)).split(' ')[0]!);
    assert.equal(sticky.size, 1, 'ClientIP affinity keeps one endpoint');

    await proxier.sync([servicePort({ nodePort, endpoints: [] })]);
    const started = Date.now();
    assert.equal(await ask('127.0.0.1', nodePort), 'ECONNREFUSED');
    assert.ok(Date.now() - started < 500, 'refused at once');

    await proxier.sync([servicePort({ nodePort, endpoints: [{ ip: '127.0.0.1', port: b.port }] })]);
    assert.match(await ask('127.0.0.1', nodePort), /^b 127\.0\.0\.1$/);
  } finally {
    await proxier.stop();
    a.server.close();
    b.server.close();
  }
});

test('userspace TCP: half-closed clients get their answer and a dead endpoint is skipped', async () => {
  const sink = await backend('sink', { sink: true });
  const dead = await freePort();
  const nodePort = await freePort();
  const proxier = new UserspaceProxier({ logger: silentLogger });
  try {
    await proxier.sync([servicePort({ nodePort, endpoints: [{ ip: '127.0.0.1', port: dead }, { ip: '127.0.0.1', port: sink.port }] })]);
    for (let i = 0; i < 4; i++) {
      const { connect } = await import('node:net');
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: nodePort });
        let out = '';
        s.on('data', (d: Buffer) => (out += d.toString()));
        s.on('end', () => resolve(out.trim()));
        s.on('error', reject);
        s.end(Buffer.alloc(3 << 20, 1));
      });
      assert.equal(answer, `sink ${3 << 20}`, 'every connection lands on the live endpoint with all its bytes');
    }
  } finally {
    await proxier.stop();
    sink.server.close();
  }
});

test('userspace UDP: datagrams relayed to an endpoint and answered from the service port', async () => {
  const echo = createSocket('udp4');
  await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
  echo.on('message', (m, rinfo) => echo.send(Buffer.concat([Buffer.from('echo:'), m]), rinfo.port, rinfo.address));
  const nodePort = await freePort();
  const proxier = new UserspaceProxier({ logger: silentLogger });
  const client = createSocket('udp4');
  try {
    await proxier.sync([servicePort({ key: 'default/dns:dns', protocol: 'udp', nodePort, endpoints: [{ ip: '127.0.0.1', port: echo.address().port }] })]);
    const reply = await new Promise<{ text: string; port: number }>((resolve) => {
      client.once('message', (m, rinfo) => resolve({ text: m.toString(), port: rinfo.port }));
      client.send('hello', nodePort, '127.0.0.1');
    });
    assert.deepEqual(reply, { text: 'echo:hello', port: nodePort });
    await proxier.sync([servicePort({ key: 'default/dns:dns', protocol: 'udp', nodePort, endpoints: [] })]);
    // No listener: the kernel answers port unreachable, which a connected socket sees at once.
    const refused = await new Promise<string>((resolve) => {
      const c = createSocket('udp4');
      c.once('error', (e: NodeJS.ErrnoException) => (c.close(), resolve(e.code ?? 'error')));
      c.connect(nodePort, '127.0.0.1', () => c.send('x'));
      setTimeout(() => (c.close(), resolve('no answer')), 2000).unref();
    });
    assert.equal(refused, 'ECONNREFUSED');
  } finally {
    await proxier.stop();
    client.close();
    echo.close();
  }
});

test('userspace host ports of pods on the host network: the host port forwards to the container port', async () => {
  const a = await backend('pod');
  const hostPort = await freePort();
  const proxier = new UserspaceProxier({ logger: silentLogger });
  try {
    await proxier.sync([], [
      { podUid: 'u1', pod: 'default/p', node: 'n', podIP: undefined, mappings: [{ protocol: 'tcp', hostPort, hostIP: undefined, containerPort: a.port }] },
      // Same port on both sides: the pod binds it itself.
      { podUid: 'u2', pod: 'default/q', node: 'n', podIP: undefined, mappings: [{ protocol: 'tcp', hostPort: 1, hostIP: undefined, containerPort: 1 }] },
    ]);
    assert.deepEqual(proxier.listening(), [`tcp/0.0.0.0/${hostPort}`]);
    assert.match(await ask('127.0.0.1', hostPort), /^pod /);
    await proxier.sync([], []);
    assert.equal(await ask('127.0.0.1', hostPort), 'ECONNREFUSED');
  } finally {
    await proxier.stop();
    a.server.close();
  }
});

test('the userspace proxy on a worker thread serves the same model, logs through the main logger and stops', async () => {
  const a = await backend('a');
  const nodePort = await freePort();
  const warnings: string[] = [];
  const logger = { ...silentLogger, level: 'warn' as const, warn: (m: string) => void warnings.push(m), child: () => logger };
  const thread = new UserspaceProxyThread({ logger });
  try {
    assert.equal(await thread.sync([servicePort({ nodePort, endpoints: [{ ip: '127.0.0.1', port: a.port }] })], []), 0);
    assert.deepEqual(thread.listening(), [`tcp/0.0.0.0/${nodePort}`]);
    assert.match(await ask('127.0.0.1', nodePort), /^a 127\.0\.0\.1$/);
    // A port held by someone else: reported, counted, and (by the caller) retried.
    assert.equal(await thread.sync([servicePort({ nodePort: a.port, endpoints: [{ ip: '127.0.0.1', port: a.port }] })], []), 1);
    assert.match(warnings.join('\n'), new RegExp(`cannot listen on 0\\.0\\.0\\.0:${a.port}/tcp for default/web: EADDRINUSE`));
  } finally {
    await thread.stop();
    a.server.close();
  }
  assert.equal(await ask('127.0.0.1', nodePort), 'ECONNREFUSED');
});

const root = await canManageHostAddresses();

test('cluster IPs bound on loopback: served, unknown ones fail at once, nothing left after stop', { skip: root ? false : 'binding addresses needs root' }, async () => {
  const id = `t${randomBytes(2).toString('hex').slice(0, 3)}`;
  const label = clusterIPLabel(id);
  // RFC 2544's benchmarking range: never a real network.
  const serviceCIDR = `198.18.${1 + (parseInt(id.slice(1), 16) % 250)}.0/24`;
  const base = serviceCIDR.split('.').slice(0, 3).join('.');
  const a = await backend('a');
  const proxier = new UserspaceProxier({ logger: silentLogger, clusterIPs: new ClusterIPBinder({ label, serviceCIDR, logger: silentLogger }) });
  try {
    await proxier.sync([
      servicePort({ clusterIP: `${base}.10`, port: 80, endpoints: [{ ip: '127.0.0.1', port: a.port }] }),
      servicePort({ key: 'default/empty:', clusterIP: `${base}.11`, port: 80, endpoints: [] }),
    ]);
    assert.match(await ask(`${base}.10`, 80), /^a 127\.0\.0\.1$/);
    const started = Date.now();
    assert.equal(await ask(`${base}.11`, 80), 'ECONNREFUSED', 'a Service without endpoints refuses');
    assert.equal(await ask(`${base}.10`, 81), 'ECONNREFUSED', 'a port the Service does not have refuses');
    assert.equal(await ask(`${base}.99`, 80), 'EHOSTUNREACH', 'an address no Service holds never leaves the machine');
    assert.ok(Date.now() - started < 1000, 'all at once');
    const addrs = await run('ip', ['-o', 'addr', 'show', 'dev', 'lo']);
    assert.match(addrs, new RegExp(`${base.replaceAll('.', '\\.')}\\.11/32 scope global ${label}`), 'bound with or without endpoints');
  } finally {
    await proxier.stop();
    a.server.close();
  }
  assert.ok(!(await run('ip', ['-o', 'addr', 'show', 'dev', 'lo'])).includes(label), 'the addresses are gone');
  assert.ok(!(await run('ip', ['route', 'show'])).includes(serviceCIDR.split('/')[0]!), 'the service CIDR route is gone');
});
