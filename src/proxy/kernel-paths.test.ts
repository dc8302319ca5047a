/**
 * Kernel paths beyond plain ClusterIP balancing (service-proxy.test.ts has those), on pods in real
 * network namespaces: host ports, an endpoint on the host's loopback reached from a pod (the API
 * server bound to 127.0.0.1 behind the `kubernetes` Service), the cluster DNS address answered on
 * the pod's own node, and the userspace proxy serving pods through cluster IPs bound on loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { NodeNetwork } from '../agent/network/node-network.js';
import { bridgePrefix, clusterIPLabel, nftTable, podNetworkingAvailable, teardownInstance } from '../agent/network/host-network.js';
import { readSysctl, run, writeSysctl } from '../agent/network/exec.js';
import type { PodHostPorts } from '../agent/network/host-ports.js';
import { silentLogger } from '../client/log.js';
import { buildRuleset } from './nft-ruleset.js';
import { buildServicePorts } from './service-model.js';
import { UserspaceProxier } from './userspace/userspace-proxier.js';
import { ClusterIPBinder } from './userspace/cluster-ip-binder.js';
import { ask, startNetnsServer, type NetnsServer } from './testing/netns-servers.js';

const available = await podNetworkingAvailable();
const skip = available.ok ? false : `pod networking unavailable: ${available.why}`;

const svc = (name: string, spec: Service['spec']): Service => ({ metadata: { name, namespace: 'default' }, spec });
const slice = (service: string, ips: string[], port: number, protocol = 'TCP'): EndpointSlice => ({
  metadata: { name: `${service}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  ports: [{ name: '', port, protocol }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});

/** Runs a one-line node script inside a namespace and returns what it prints. */
async function inPod(netnsPath: string, script: string): Promise<string> {
  return (await run('nsenter', [`--net=${netnsPath}`, '--', process.execPath, '-e', script])).trim();
}
const askFromPod = (netnsPath: string, host: string, port: number): Promise<string> =>
  inPod(netnsPath, `const s=require('net').connect(${port},'${host}');let b='';s.setTimeout(3000,()=>{console.log('TIMEOUT');process.exit()});s.on('data',d=>b+=d);s.on('end',()=>console.log(b.trim()));s.on('error',e=>console.log(e.code))`);

interface Setup {
  id: string;
  node: NodeNetwork;
  a: { ip: string; netnsPath: string };
  b: { ip: string; netnsPath: string };
  servers: NetnsServer[];
  cleanup(): Promise<void>;
}

async function setUp(cidr: string): Promise<Setup> {
  const id = `k${randomBytes(2).toString('hex').slice(0, 3)}`;
  const dir = await mkdtemp(join(tmpdir(), 'skiff-net-'));
  const node = new NodeNetwork({ instanceId: id, nodeName: 'node-1', dir });
  const forward = await readSysctl('net/ipv4/ip_forward');
  await writeSysctl('net/ipv4/ip_forward', '1');
  const servers: NetnsServer[] = [];
  await node.recover();
  await node.configure(cidr);
  const a = await node.setUp('pod-a');
  const b = await node.setUp('pod-b');
  servers.push(await startNetnsServer(a.netnsPath, 8080, 'a'));
  return {
    id,
    node,
    a,
    b,
    servers,
    async cleanup() {
      for (const s of servers) await s.stop();
      await node.destroy();
      await teardownInstance(id);
      await rm(dir, { recursive: true, force: true });
      await writeSysctl('net/ipv4/ip_forward', forward ?? '0');
    },
  };
}

test('host ports: DNAT from any local address and from other pods, hairpin to the pod itself, gone when unmapped', { skip }, async () => {
  const s = await setUp('10.250.9.0/24');
  const hostPorts: PodHostPorts[] = [{ podUid: 'pod-a', pod: 'default/a', node: 'node-1', podIP: s.a.ip, mappings: [{ protocol: 'tcp', hostPort: 18080, hostIP: undefined, containerPort: 8080 }] }];
  const write = (hp: PodHostPorts[]) =>
    run('nft', ['-f', '-'], buildRuleset({ table: nftTable(s.id), bridgePrefix: bridgePrefix(s.id), serviceCIDR: '10.251.9.0/24', clusterCIDR: '10.250.0.0/16', ports: [], hostPorts: hp }));
  try {
    await write(hostPorts);
    assert.match(await ask('127.0.0.1', 18080), /^a /, '127.0.0.1:hostPort reaches the pod');
    assert.match(await ask(s.node.gateway!, 18080), /^a /, 'another local address too');
    assert.match(await askFromPod(s.b.netnsPath, s.node.gateway!, 18080), new RegExp(`^a ${s.b.ip.replaceAll('.', '\\.')}$`), 'from another pod, with its own address');
    assert.match(await askFromPod(s.a.netnsPath, s.node.gateway!, 18080), /^a 10\.250\.9\.1$/, 'the pod reaches itself (hairpin, masqueraded to the gateway)');
    await write([]);
    assert.equal(await ask('127.0.0.1', 18080), 'ECONNREFUSED', 'unmapped with the pod');
  } finally {
    await s.cleanup();
  }
});

test('an endpoint on the host loopback (the API server on 127.0.0.1) is reached from a pod through its cluster IP', { skip }, async () => {
  const s = await setUp('10.250.10.0/24');
  const host = createServer((c) => c.end(`apiserver ${c.remoteAddress}\n`));
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
  const port = (host.address() as AddressInfo).port;
  try {
    const ports = buildServicePorts([svc('kubernetes', { clusterIP: '10.251.10.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] })], () => [
      { ...slice('kubernetes', ['127.0.0.1'], port), ports: [{ name: 'https', port, protocol: 'TCP' }] },
    ]);
    await run('nft', ['-f', '-'], buildRuleset({ table: nftTable(s.id), bridgePrefix: bridgePrefix(s.id), serviceCIDR: '10.251.10.0/24', clusterCIDR: '10.250.0.0/16', ports }));
    assert.match(await askFromPod(s.b.netnsPath, '10.251.10.1', 443), new RegExp(`^apiserver ${s.b.ip.replaceAll('.', '\\.')}$`));
    assert.match(await ask('10.251.10.1', 443), /^apiserver /, 'and from the host');
  } finally {
    host.close();
    await s.cleanup();
  }
});

test("the cluster DNS address is answered on the pod's own node gateway", { skip }, async () => {
  const s = await setUp('10.250.11.0/24');
  const dns = createSocket('udp4');
  await new Promise<void>((r) => dns.bind(53, s.node.gateway!, () => r()));
  dns.on('message', (m, rinfo) => dns.send(Buffer.from(`dns@gateway:${m.toString()}`), rinfo.port, rinfo.address));
  try {
    await run('nft', ['-f', '-'], buildRuleset({
      table: nftTable(s.id), bridgePrefix: bridgePrefix(s.id), serviceCIDR: '10.251.11.0/24', clusterCIDR: '10.250.0.0/16', ports: [],
      localDNS: { ip: '10.251.11.10', nodes: [{ bridge: s.node.bridge, gateway: s.node.gateway! }] },
    }));
    const answer = await inPod(s.b.netnsPath, `const c=require('dgram').createSocket('udp4');c.on('message',(m,r)=>{console.log(m.toString()+' from '+r.address);process.exit()});c.send('q1',53,'10.251.11.10');setTimeout(()=>{console.log('TIMEOUT');process.exit()},3000)`);
    assert.equal(answer, 'dns@gateway:q1 from 10.251.11.10', 'answered from the address asked');
  } finally {
    dns.close();
    await s.cleanup();
  }
});

test('userspace mode with pod namespaces: pods reach cluster IPs bound on loopback; unknown ones fail at once', { skip }, async () => {
  const s = await setUp('10.250.12.0/24');
  const proxier = new UserspaceProxier({ logger: silentLogger, clusterIPs: new ClusterIPBinder({ label: clusterIPLabel(s.id), serviceCIDR: '10.251.12.0/24', logger: silentLogger }) });
  try {
    await run('nft', ['-f', '-'], buildRuleset({ table: nftTable(s.id), bridgePrefix: bridgePrefix(s.id), serviceCIDR: '10.251.12.0/24', clusterCIDR: '10.250.0.0/16', ports: [], serviceMode: 'userspace' }));
    const ports = buildServicePorts([svc('web', { clusterIP: '10.251.12.20', ports: [{ port: 80, protocol: 'TCP' }] }), svc('empty', { clusterIP: '10.251.12.21', ports: [{ port: 80, protocol: 'TCP' }] })], (_ns, n) =>
      n === 'web' ? [slice('web', [s.a.ip], 8080)] : [],
    );
    await proxier.sync(ports);
    assert.match(await askFromPod(s.b.netnsPath, '10.251.12.20', 80), /^a 10\.250\.12\.1$/, 'through the proxy on the host (its gateway address)');
    assert.match(await ask('10.251.12.20', 80), /^a /, 'from the host');
    assert.equal(await askFromPod(s.b.netnsPath, '10.251.12.21', 80), 'ECONNREFUSED', 'no endpoints: refused');
    assert.equal(await askFromPod(s.b.netnsPath, '10.251.12.99', 80), 'EHOSTUNREACH', 'unknown cluster IP: fails at once, never leaves');
  } finally {
    await proxier.stop();
    await s.cleanup();
  }
});
