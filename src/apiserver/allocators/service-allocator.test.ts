import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { openSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import { ObjectCache } from '../registry/object-cache.js';
import { Registry } from '../registry/registry.js';
import { strategyFor } from '../strategy/index.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/object.js';
import { StatusError } from '../../api/errors.js';
import { ServiceAllocator } from './service-allocator.js';
import { reconcileKubernetesService } from './kubernetes-service.js';
import { staticBandSize, SERVICE_IP_BAND, NODE_PORT_BAND, pickFree } from './range-picker.js';

const svcInfo = findResource('', 'v1', 'services')!;
const nsInfo = findResource('', 'v1', 'namespaces')!;

async function setup(serviceCIDR = '10.96.0.0/12') {
  const store = await openSqliteStore({ path: ':memory:' });
  const cache = new ObjectCache(store);
  await cache.start();
  const allocator = new ServiceAllocator({ serviceCIDR, services: function* () {
    for (const e of cache.scan('services', '')) yield e.obj as unknown as Service;
  } });
  const registry = new Registry({
    store,
    cache,
    strategyFor,
    allocationsFor: (info) => (info.resource === 'services' ? { allocate: (n, o, d) => allocator.allocate(n as unknown as Service, o as unknown as Service | undefined, d) } : undefined),
  });
  await registry.create(nsInfo, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const create = async (svc: Service) => (await registry.create(svcInfo, 'default', svc as KubeObject)) as unknown as Service;
  const del = async (name: string) => registry.remove(svcInfo, registry.get(svcInfo, 'default', name));
  return { registry, allocator, create, del, stop: async () => (cache.stop(), await store.close()) };
}

const svc = (name: string, spec: Service['spec']): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }], ...spec } });

async function rejects(p: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StatusError, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

test('static bands match Kubernetes (service IPs /12 → 256, node ports 30000-32767 → 86)', () => {
  assert.equal(staticBandSize(2 ** 20, SERVICE_IP_BAND), 256);
  assert.equal(staticBandSize(254, SERVICE_IP_BAND), 16);
  assert.equal(staticBandSize(8, SERVICE_IP_BAND), 0);
  assert.equal(staticBandSize(2768, NODE_PORT_BAND), 86);
  // Dynamic picks stay out of the static band while the upper band has room.
  for (let i = 0; i < 50; i++) assert.ok(pickFree(30000, 2768, () => false, NODE_PORT_BAND)! >= 30086);
  // … and fall back to it when the upper band is full.
  assert.equal(pickFree(0, 100, (v) => v !== 3, NODE_PORT_BAND), 3);
});

test('cluster IPs: allocated from the CIDR, requested ones refused when taken or out of range, freed on delete', async () => {
  const t = await setup();
  try {
    const a = await t.create(svc('a', {}));
    assert.match(a.spec!.clusterIP!, /^10\.(9[6-9]|10\d|11[01])\./);
    assert.deepEqual(a.spec!.clusterIPs, [a.spec!.clusterIP]);
    const b = await t.create(svc('b', { clusterIP: '10.96.0.10' }));
    assert.equal(b.spec!.clusterIP, '10.96.0.10');
    await rejects(
      t.create(svc('c', { clusterIP: '10.96.0.10' })),
      'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.10"}: failed to allocate IP 10.96.0.10: provided IP is already allocated',
    );
    await rejects(
      t.create(svc('c', { clusterIP: '192.168.1.1' })),
      'Service "c" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.1.1"}: failed to allocate IP 192.168.1.1: the provided IP (192.168.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    await t.del('b');
    const c = await t.create(svc('c', { clusterIP: '10.96.0.10' }));
    assert.equal(c.spec!.clusterIP, '10.96.0.10');
    const headless = await t.create(svc('h', { clusterIP: 'None' }));
    assert.equal(headless.spec!.clusterIP, 'None');
    const ext = await t.create(svc('x', { type: 'ExternalName', externalName: 'db.example.com', ports: [] }));
    assert.equal(ext.spec!.clusterIP, undefined);
  } finally {
    await t.stop();
  }
});

test('a small CIDR fills up, never hands out the network or broadcast address, and concurrent creates never share an IP', async () => {
  const t = await setup('10.200.0.0/29');
  try {
    const created = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => t.create(svc(`s${i}`, {}))));
    const ips = created.map((s) => s.spec!.clusterIP!).sort();
    assert.deepEqual(ips, ['10.200.0.1', '10.200.0.2', '10.200.0.3', '10.200.0.4', '10.200.0.5', '10.200.0.6']);
    await assert.rejects(t.create(svc('full', {})), /failed to allocate a serviceIP/);
  } finally {
    await t.stop();
  }
});

test('node ports: allocated per port, shared by two protocols on one port, requested ones checked, kept on update, freed on type change and delete', async () => {
  const t = await setup();
  try {
    const a = await t.create(svc('a', { type: 'NodePort', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }));
    const [p80, p53u, p53t] = a.spec!.ports!.map((p) => p.nodePort!);
    assert.ok(p80! >= 30000 && p80! <= 32767);
    assert.equal(p53u, p53t);
    assert.notEqual(p80, p53u);
    const b = await t.create(svc('b', { type: 'NodePort', ports: [{ port: 3306, nodePort: 30080 }] }));
    assert.equal(b.spec!.ports![0]!.nodePort, 30080);
    await rejects(t.create(svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })), 'Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    await rejects(
      t.create(svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] })),
      'Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    // An update that leaves nodePort out keeps the allocated one (patchAllocatedValues).
    const updated = (await t.registry.guaranteedUpdate(svcInfo, 'default', 'b', (cur) => {
      const next = JSON.parse(JSON.stringify(cur)) as Service;
      next.spec!.ports = [{ port: 3306 }];
      return next as unknown as KubeObject;
    })) as unknown as Service;
    assert.equal(updated.spec!.ports![0]!.nodePort, 30080);
    // ClusterIP → NodePort allocates.
    await t.create(svc('d', { ports: [{ port: 80 }] }));
    const d = (await t.registry.guaranteedUpdate(svcInfo, 'default', 'd', (cur) => {
      const next = JSON.parse(JSON.stringify(cur)) as Service;
      next.spec!.type = 'NodePort';
      return next as unknown as KubeObject;
    })) as unknown as Service;
    assert.ok(d.spec!.ports![0]!.nodePort! >= 30000);
    await t.del('b');
    const e = await t.create(svc('e', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    assert.equal(e.spec!.ports![0]!.nodePort, 30080);
    // NodePort → ClusterIP drops the node port (dropTypeDependentFields) and frees it.
    const back = (await t.registry.guaranteedUpdate(svcInfo, 'default', 'e', (cur) => {
      const next = JSON.parse(JSON.stringify(cur)) as Service;
      next.spec!.type = 'ClusterIP';
      return next as unknown as KubeObject;
    })) as unknown as Service;
    assert.equal(back.spec!.ports![0]!.nodePort, undefined);
    assert.equal(back.spec!.externalTrafficPolicy, undefined);
    const f = await t.create(svc('f', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    assert.equal(f.spec!.ports![0]!.nodePort, 30080);
    // → ExternalName drops the cluster IP.
    const ext = (await t.registry.guaranteedUpdate(svcInfo, 'default', 'a', (cur) => {
      const next = JSON.parse(JSON.stringify(cur)) as Service;
      next.spec = { type: 'ExternalName', externalName: 'db.example.com', ports: next.spec!.ports!.map((p) => ({ ...p, nodePort: undefined })) };
      return next as unknown as KubeObject;
    })) as unknown as Service;
    assert.equal(ext.spec!.clusterIP, undefined);
  } finally {
    await t.stop();
  }
});

test('the kubernetes Service takes the first address and follows the API server port', async () => {
  const t = await setup();
  try {
    await reconcileKubernetesService(t.registry, { clusterIP: t.allocator.kubernetesServiceIP, endpointIP: '127.0.0.1', port: 6443 });
    const k = t.registry.get(svcInfo, 'default', 'kubernetes').obj as unknown as Service;
    assert.equal(k.spec!.clusterIP, '10.96.0.1');
    assert.deepEqual(k.spec!.ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    await reconcileKubernetesService(t.registry, { clusterIP: t.allocator.kubernetesServiceIP, endpointIP: '127.0.0.1', port: 7000 });
    const k2 = t.registry.get(svcInfo, 'default', 'kubernetes').obj as unknown as Service;
    assert.equal(k2.spec!.ports![0]!.targetPort, 7000);
    assert.equal(k2.spec!.clusterIP, '10.96.0.1');
    const ep = t.registry.get(findResource('', 'v1', 'endpoints')!, 'default', 'kubernetes').obj as unknown as { subsets: Array<{ ports: Array<{ port: number }> }> };
    assert.equal(ep.subsets[0]!.ports[0]!.port, 7000);
    await rejects(
      t.create(svc('taken', { clusterIP: '10.96.0.1' })),
      'Service "taken" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated',
    );
  } finally {
    await t.stop();
  }
});
