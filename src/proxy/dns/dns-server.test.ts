import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ClusterZone } from './cluster-zone.js';
import { DnsServer } from './dns-server.js';
import { encodeResponse, parseQuery, RCODE, TYPE } from './dns-packet.js';

const services: Service[] = [
  { metadata: { name: 'mysql', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'mysql', port: 3306, protocol: 'TCP' }] } },
  { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
  { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'db.example.test' } },
  { metadata: { name: 'alias', namespace: 'prod' }, spec: { type: 'ExternalName', externalName: 'mysql.default.svc.cluster.local' } },
];
const slices: Record<string, EndpointSlice[]> = {
  'default/web': [
    {
      metadata: { name: 'web-abc', namespace: 'default' },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.0.5'], hostname: 'web-0', conditions: { ready: true } },
        { addresses: ['10.244.1.6'], hostname: 'web-1', conditions: { ready: true } },
        { addresses: ['10.244.1.7'], hostname: 'web-2', conditions: { ready: false } },
      ],
    },
  ],
};

/** A fake upstream resolver on loopback that knows one name. */
async function fakeUpstream(): Promise<{ port: number; close(): void; asked: string[] }> {
  const sock = createSocket('udp4');
  const asked: string[] = [];
  sock.on('message', (msg, r) => {
    const q = parseQuery(msg);
    const question = q.questions[0]!;
    asked.push(question.name);
    const known = question.name === 'db.example.test' || question.name === 'www.example.test';
    const out = encodeResponse({
      id: q.id,
      rd: q.rd,
      ra: true,
      rcode: known ? RCODE.NOERROR : RCODE.NXDOMAIN,
      authoritative: false,
      questions: q.questions,
      answers: known && question.type === TYPE.A ? [{ name: question.name, type: TYPE.A, ttl: 60, data: '192.0.2.77' }] : [],
    });
    sock.send(out, r.port, r.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  return { port: sock.address().port, close: () => sock.close(), asked };
}

test('cluster DNS: service A records, headless pod IPs and hostnames, SRV for named ports, ExternalName CNAME, NXDOMAIN in the zone, forwarding the rest', async () => {
  const upstream = await fakeUpstream();
  const zone = new ClusterZone({
    service: (ns, name) => services.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name),
    slices: (ns, name) => slices[`${ns}/${name}`] ?? [],
  });
  const server = new DnsServer({ zone, upstreams: () => [{ host: '127.0.0.1', port: upstream.port }] });
  const port = await server.listen('127.0.0.1', 0);
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([`127.0.0.1:${port}`]);
  try {
    assert.deepEqual(await r.resolve4('mysql.default.svc.cluster.local'), ['10.96.0.20']);
    assert.deepEqual((await r.resolve4('web.default.svc.cluster.local')).sort(), ['10.244.0.5', '10.244.1.6']);
    assert.deepEqual(await r.resolve4('web-1.web.default.svc.cluster.local'), ['10.244.1.6']);
    assert.deepEqual(await r.resolve4('10-244-0-5.web.default.svc.cluster.local'), ['10.244.0.5']);
    assert.deepEqual(await r.resolve4('10-1-2-3.default.pod.cluster.local'), ['10.1.2.3']);
    assert.deepEqual(await r.resolveSrv('_mysql._tcp.mysql.default.svc.cluster.local'), [{ name: 'mysql.default.svc.cluster.local', port: 3306, priority: 0, weight: 100 }]);
    const srv = (await r.resolveSrv('_http._tcp.web.default.svc.cluster.local')).map((s) => `${s.name}:${s.port}`).sort();
    assert.deepEqual(srv, ['web-0.web.default.svc.cluster.local:8080', 'web-1.web.default.svc.cluster.local:8080']);
    assert.deepEqual(await r.resolveCname('ext.default.svc.cluster.local'), ['db.example.test']);
    // The CNAME's target is resolved upstream, so clients get an address in one round trip.
    assert.deepEqual(await r.resolve4('ext.default.svc.cluster.local'), ['192.0.2.77']);
    assert.deepEqual(await r.resolve4('alias.prod.svc.cluster.local'), ['10.96.0.20']);
    await assert.rejects(r.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve4('web-2.web.default.svc.cluster.local'), { code: 'ENOTFOUND' }, 'not-ready endpoints are not published');
    await assert.rejects(r.resolve4('anything.cluster.local'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolveSrv('_nope._tcp.mysql.default.svc.cluster.local'), { code: 'ENOTFOUND' });
    assert.equal(upstream.asked.filter((n) => n.endsWith('cluster.local')).length, 0, 'cluster names never go upstream');
    // Everything else goes to the host's resolver.
    assert.deepEqual(await r.resolve4('www.example.test'), ['192.0.2.77']);
    await assert.rejects(r.resolve4('missing.example.test'), { code: 'ENOTFOUND' });
    assert.ok(upstream.asked.includes('www.example.test'));
  } finally {
    await server.close();
    upstream.close();
  }
});
