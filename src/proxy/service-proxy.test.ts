import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeNetwork } from '../agent/network/node-network.js';
import { bridgePrefix, nftTable, podNetworkingAvailable, teardownInstance } from '../agent/network/host-network.js';
import { readSysctl, run, writeSysctl } from '../agent/network/exec.js';
import { buildRuleset } from './nft-ruleset.js';
import { buildServicePorts } from './service-model.js';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ask, startNetnsServer, type NetnsServer } from './testing/netns-servers.js';

const available = await podNetworkingAvailable();
const skip = available.ok ? false : `pod networking unavailable: ${available.why}`;

const svc = (name: string, spec: Service['spec']): Service => ({ metadata: { name, namespace: 'default' }, spec });
const slice = (service: string, ips: Array<[string, boolean]>, port: number): EndpointSlice => ({
  metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: '', port, protocol: 'TCP' }],
  endpoints: ips.map(([ip, ready]) => ({ addresses: [ip], conditions: { ready } })),
});

test('buildServicePorts: ready endpoints, terminating fallback, headless and ExternalName skipped', () => {
  const ports = buildServicePorts(
    [svc('a', { clusterIP: '10.96.0.5', ports: [{ port: 80, protocol: 'TCP' }] }), svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }), svc('x', { type: 'ExternalName', externalName: 'e.com' })],
    (_ns, name) => (name === 'a' ? [slice('a', [['10.244.0.3', true], ['10.244.0.2', true], ['10.244.0.9', false]], 8080)] : []),
  );
  assert.equal(ports.length, 1);
  assert.deepEqual(ports[0]!.endpoints, [{ ip: '10.244.0.2', port: 8080 }, { ip: '10.244.0.3', port: 8080 }]);
  const fallback = buildServicePorts([svc('a', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] })], () => [
    { ...slice('a', [], 8080), endpoints: [{ addresses: ['10.244.0.4'], conditions: { ready: false, serving: true, terminating: true } }] },
  ]);
  assert.deepEqual(fallback[0]!.endpoints, [{ ip: '10.244.0.4', port: 8080 }]);
});

test('kernel forwarding: pods in namespaces on a bridge, ClusterIP and 127.0.0.1:nodePort balanced, affinity pins, no endpoints refused at once, nothing left after teardown', { skip }, async () => {
  const id = `f${randomBytes(2).toString('hex').slice(0, 3)}`;
  const dir = await mkdtemp(join(tmpdir(), 'skiff-net-'));
  const node = new NodeNetwork({ instanceId: id, nodeName: 'node-1', dir });
  const servers: NetnsServer[] = [];
  // Pod-to-service traffic is routed through the host, as registerInstance arranges in the server.
  const forward = await readSysctl('net/ipv4/ip_forward');
  await writeSysctl('net/ipv4/ip_forward', '1');
  try {
    await node.recover();
    await node.configure('10.250.7.0/24');
    const a = await node.setUp('pod-a');
    const b = await node.setUp('pod-b');
    assert.equal(a.ip, '10.250.7.2');
    assert.equal(b.ip, '10.250.7.3');
    // Both pods listen on the same port, each in its own namespace.
    servers.push(await startNetnsServer(a.netnsPath, 8080, 'a'), await startNetnsServer(b.netnsPath, 8080, 'b'));
    assert.match(await ask(a.ip, 8080), /^a /);
    const services = [
      svc('web', { clusterIP: '10.251.0.10', type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 31234 }] }),
      svc('sticky', { clusterIP: '10.251.0.11', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: [{ port: 80, protocol: 'TCP' }] }),
      svc('empty', { clusterIP: '10.251.0.12', ports: [{ port: 80, protocol: 'TCP' }] }),
    ];
    const slices: Record<string, EndpointSlice[]> = {
      web: [slice('web', [[a.ip, true], [b.ip, true]], 8080)],
      sticky: [slice('sticky', [[a.ip, true], [b.ip, true]], 8080)],
      empty: [slice('empty', [[a.ip, false]], 8080)],
    };
    const ports = buildServicePorts(services, (_ns, n) => slices[n] ?? []);
    await run('nft', ['-f', '-'], buildRuleset({ table: nftTable(id), bridgePrefix: bridgePrefix(id), serviceCIDR: '10.251.0.0/16', clusterCIDR: '10.250.0.0/16', ports }));
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) seen.add((await ask('10.251.0.10', 80)).split(' ')[0]!);
    assert.deepEqual([...seen].sort(), ['a', 'b'], 'ClusterIP balances over both pods');
    const local = new Set<string>();
    for (let i = 0; i < 40 && local.size < 2; i++) local.add((await ask('127.0.0.1', 31234)).split(' ')[0]!);
    assert.deepEqual([...local].sort(), ['a', 'b'], '127.0.0.1:nodePort balances over both pods');
    // From pod a to the ClusterIP (hairpin to itself included).
    const fromPod = await run('nsenter', [`--net=${a.netnsPath}`, '--', process.execPath, '-e', `const s=require('net').connect(80,'10.251.0.10');let b='';s.on('data',d=>b+=d);s.on('end',()=>console.log(b.trim()));s.on('error',e=>console.log(e.code))`]);
    assert.match(fromPod.trim(), /^[ab] 10\.250\.7\./);
    const sticky = new Set<string>();
    for (let i = 0; i < 10; i++) sticky.add((await ask('10.251.0.11', 80)).split(' ')[0]!);
    assert.equal(sticky.size, 1, 'ClientIP affinity keeps one backend');
    const started = Date.now();
    assert.equal(await ask('10.251.0.12', 80), 'ECONNREFUSED');
    assert.equal(await ask('10.251.0.99', 80), 'ECONNREFUSED', 'an unknown cluster IP never leaves the machine');
    assert.ok(Date.now() - started < 1000, 'refused at once');
  } finally {
    for (const s of servers) await s.stop();
    await node.destroy();
    await teardownInstance(id);
    await rm(dir, { recursive: true, force: true });
    await writeSysctl('net/ipv4/ip_forward', forward ?? '0');
  }
  const leftLinks = await run('ip', ['-o', 'link', 'show']);
  assert.ok(!leftLinks.includes(bridgePrefix(id)), 'bridge removed');
  const netns = await run('ip', ['netns', 'list']);
  assert.ok(!netns.includes(`skiff-${id}-`), 'namespaces removed');
  assert.equal((await run('nft', ['list', 'tables'])).includes(nftTable(id)), false, 'table removed');
});
