import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { ControllerManager } from '../manager.js';
import { EndpointsController, desiredSubsets } from './endpoints-controller.js';
import { EndpointSliceController } from '../endpointslice/endpointslice-controller.js';
import { startInProcessApi, waitFor } from '../../../test/helpers/in-process.js';
import { formatTime } from '../../client/clock.js';

async function harness() {
  const api = await startInProcessApi();
  const client = api.client('test');
  const manager = new ControllerManager({ client: api.client('kube-controller-manager'), controllers: [new EndpointsController(), new EndpointSliceController()], leaderElection: false, workers: 2 });
  const ac = new AbortController();
  const running = manager.run(ac.signal);
  return {
    client,
    async pod(name: string, ip: string, opts: { ready?: boolean; labels?: Record<string, string>; node?: string; ports?: Pod['spec'] extends infer S ? S extends { containers: Array<infer C> } ? C extends { ports?: infer P } ? P : never : never : never; hostname?: string; subdomain?: string } = {}) {
      const pod: Pod = {
        metadata: { name, labels: opts.labels ?? { app: 'web' } },
        spec: {
          nodeName: opts.node ?? 'node-1',
          containers: [{ name: 'c', image: 'x', ...(opts.ports ? { ports: opts.ports } : {}) }],
          ...(opts.hostname ? { hostname: opts.hostname } : {}),
          ...(opts.subdomain ? { subdomain: opts.subdomain } : {}),
        },
      };
      await client.pods('default').create(pod);
      await setStatus(name, ip, opts.ready ?? true);
    },
    setReady: (name: string, ip: string, ready: boolean) => setStatus(name, ip, ready),
    endpoints: (name: string) => client.endpoints('default').get(name).catch(() => undefined) as Promise<Endpoints | undefined>,
    slices: async (name: string) => (await client.endpointSlices('default').list({ labelSelector: `kubernetes.io/service-name=${name}` })).items as EndpointSlice[],
    async stop() {
      ac.abort();
      await running;
      await api.stop();
    },
  };
  async function setStatus(name: string, ip: string, ready: boolean) {
    const now = formatTime(Date.now());
    await client.pods('default').patchStatus(name, 'merge', {
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }] },
    });
  }
}

const readyIPs = (ep: Endpoints | undefined) => (ep?.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
const notReadyIPs = (ep: Endpoints | undefined) => (ep?.subsets ?? []).flatMap((s) => (s.notReadyAddresses ?? []).map((a) => a.ip)).sort();

test('Endpoints and EndpointSlices follow pods: ready and not-ready addresses, targetRef, nodeName, removal within a second', async () => {
  const h = await harness();
  try {
    await h.pod('web-1', '10.244.1.2');
    await h.pod('web-2', '10.244.2.2', { node: 'node-2' });
    await h.pod('web-3', '10.244.1.3', { ready: false });
    await h.pod('other', '10.244.1.9', { labels: { app: 'other' } });
    const svc: Service = { metadata: { name: 'web', labels: { tier: 'front' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
    await h.client.services('default').create(svc);
    const ep = await waitFor(async () => {
      const e = await h.endpoints('web');
      return readyIPs(e).length === 2 && notReadyIPs(e).length === 1 ? e : undefined;
    });
    assert.deepEqual(readyIPs(ep), ['10.244.1.2', '10.244.2.2']);
    assert.deepEqual(notReadyIPs(ep), ['10.244.1.3']);
    assert.deepEqual(ep.subsets![0]!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = ep.subsets![0]!.addresses!.find((x) => x.ip === '10.244.2.2')!;
    assert.equal(a.nodeName, 'node-2');
    assert.equal(a.targetRef?.kind, 'Pod');
    assert.equal(a.targetRef?.name, 'web-2');
    assert.equal(ep.metadata?.labels?.tier, 'front');

    const slices = await waitFor(async () => {
      const s = await h.slices('web');
      return s.length === 1 && s[0]!.endpoints?.length === 3 ? s : undefined;
    });
    const slice = slices[0]!;
    assert.match(slice.metadata!.name!, /^web-[a-z0-9]{5}$/);
    assert.equal(slice.metadata!.labels!['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice.metadata!.ownerReferences![0]!.kind, 'Service');
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const notReady = slice.endpoints!.find((e) => e.addresses[0] === '10.244.1.3')!;
    assert.deepEqual(notReady.conditions, { ready: false, serving: false, terminating: false });

    // Readiness flips move the address within a second.
    await h.setReady('web-3', '10.244.1.3', true);
    let started = Date.now();
    await waitFor(async () => readyIPs(await h.endpoints('web')).length === 3, 1000, 'web-3 ready in Endpoints');
    // Deleting a pod removes it within a second.
    await h.client.pods('default').delete('web-1', { gracePeriodSeconds: 0 });
    started = Date.now();
    await waitFor(async () => !readyIPs(await h.endpoints('web')).includes('10.244.1.2'), 1000, 'web-1 gone from Endpoints');
    await waitFor(async () => !(await h.slices('web'))[0]?.endpoints?.some((e) => e.addresses[0] === '10.244.1.2'), 1000, 'web-1 gone from the slice');
    assert.ok(Date.now() - started < 1000);
    // A label change moves a pod out of the Service.
    await h.client.pods('default').patch('web-2', 'merge', { metadata: { labels: { app: 'gone' } } });
    await waitFor(async () => readyIPs(await h.endpoints('web')).join() === '10.244.1.3', 1000, 'web-2 relabelled away');

    // Deleting the Service deletes its Endpoints and slices.
    await h.client.services('default').delete('web');
    await waitFor(async () => (await h.endpoints('web')) === undefined && (await h.slices('web')).length === 0, 2000, 'endpoints deleted');
  } finally {
    await h.stop();
  }
});

test('named target ports resolve per pod; headless Services get hostnames; no endpoints keeps a placeholder slice', async () => {
  const h = await harness();
  try {
    await h.pod('db-0', '10.244.1.5', { labels: { app: 'db' }, ports: [{ name: 'mysql', containerPort: 3306 }], hostname: 'db-0', subdomain: 'db' });
    await h.pod('db-1', '10.244.1.6', { labels: { app: 'db' }, ports: [{ name: 'mysql', containerPort: 3307 }], hostname: 'db-1', subdomain: 'db' });
    await h.pod('db-x', '10.244.1.7', { labels: { app: 'db' } });
    await h.client.services('default').create({ metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'sql', port: 3306, targetPort: 'mysql' }] } });
    const ep = await waitFor(async () => {
      const e = await h.endpoints('db');
      return (e?.subsets ?? []).length === 2 ? e : undefined;
    });
    assert.equal(ep.metadata?.labels?.['service.kubernetes.io/headless'], '');
    const byPort = new Map(ep.subsets!.map((s) => [s.ports![0]!.port, s.addresses!.map((a) => `${a.hostname}=${a.ip}`)]));
    assert.deepEqual(byPort.get(3306), ['db-0=10.244.1.5']);
    assert.deepEqual(byPort.get(3307), ['db-1=10.244.1.6']);
    const slices = await waitFor(async () => {
      const s = await h.slices('db');
      return s.length === 2 ? s : undefined;
    });
    assert.deepEqual(slices.map((s) => s.ports![0]!.port).sort(), [3306, 3307]);

    await h.client.services('default').create({ metadata: { name: 'empty' }, spec: { selector: { app: 'none' }, ports: [{ port: 80 }] } });
    const placeholder = await waitFor(async () => (await h.slices('empty'))[0]);
    assert.deepEqual(placeholder.endpoints ?? [], []);
    const e = await waitFor(() => h.endpoints('empty'));
    assert.equal(e.subsets, undefined);
  } finally {
    await h.stop();
  }
});

test('desiredSubsets: terminating and finished pods are left out, publishNotReadyAddresses counts everything ready', () => {
  const svc: Service = { metadata: { name: 's', namespace: 'default' }, spec: { selector: { a: 'b' }, ports: [{ port: 80 }] } };
  const pod = (name: string, extra: Partial<Pod['status']> = {}, deleting = false): Pod => ({
    metadata: { name, namespace: 'default', uid: name, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { containers: [] },
    status: { phase: 'Running', podIP: `10.0.0.${name.length}`, conditions: [{ type: 'Ready', status: 'False' }], ...extra },
  });
  assert.equal(desiredSubsets(svc, [pod('a', {}, true), pod('bb', { phase: 'Succeeded' }), pod('ccc', { podIP: '' })]).length, 0);
  const out = desiredSubsets({ ...svc, spec: { ...svc.spec, publishNotReadyAddresses: true } }, [pod('dddd')]);
  assert.equal(out[0]!.addresses![0]!.ip, '10.0.0.4');
});
