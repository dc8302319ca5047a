import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { RESOURCES } from '../../api/resources.js';
import { isStatus } from '../../api/errors.js';
import { strategyFor, BaseStrategy } from './index.js';
import { create, resourceOf, update, updateStatus } from './test-helpers.js';

const SVC = resourceOf('', 'Service');
const NS = resourceOf('', 'Namespace');
const NODE = resourceOf('', 'Node');
const CM = resourceOf('', 'ConfigMap');
const SECRET = resourceOf('', 'Secret');
const PVC = resourceOf('', 'PersistentVolumeClaim');
const PV = resourceOf('', 'PersistentVolume');
const EVENT = resourceOf('', 'Event');
const EVENTS_V1 = resourceOf('events.k8s.io', 'Event');
const EPS = resourceOf('discovery.k8s.io', 'EndpointSlice');
const EP = resourceOf('', 'Endpoints');
const LEASE = resourceOf('coordination.k8s.io', 'Lease');

test('every served resource has a strategy; kinds with special rules have their own', () => {
  for (const r of RESOURCES) assert.ok(strategyFor(r), r.resource);
  for (const r of RESOURCES) assert.notEqual(strategyFor(r).constructor, BaseStrategy, `${r.group}/${r.kind}`);
  assert.equal(strategyFor(resourceOf('', 'Pod')), strategyFor(resourceOf('', 'Pod')), 'strategies are cached per resource');
});

const service = (spec: Record<string, unknown>, name = 'web'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });

test('Service defaults and single-stack IP families', () => {
  const { errors } = create(SVC, service({ selector: { app: 'web' }, ports: [{ port: 80 }, { name: 'metrics', port: 9090, targetPort: 'metrics' }] }));
  assert.deepEqual(errors, ['spec.ports[0].name: Required value'], 'several ports must all be named');
  const ok = create(SVC, service({ selector: { app: 'web' }, ports: [{ port: 80 }] }));
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(ok.obj.spec, {
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    sessionAffinity: 'None',
    type: 'ClusterIP',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  });
  assert.deepEqual(ok.obj.status, { loadBalancer: {} });
  assert.equal(ok.obj.metadata?.generation, undefined);
  const np = create(SVC, service({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }], sessionAffinity: 'ClientIP' })).obj.spec as Record<string, unknown>;
  assert.equal(np.externalTrafficPolicy, 'Cluster');
  assert.deepEqual(np.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
  const headless = create(SVC, service({ clusterIP: 'None', ports: [{ port: 80 }] })).obj.spec as Record<string, unknown>;
  assert.equal(headless.ipFamilyPolicy, 'RequireDualStack');
  assert.deepEqual(headless.clusterIPs, ['None']);
  const ext = create(SVC, service({ type: 'ExternalName', externalName: 'db.example.com' }));
  assert.deepEqual(ext.errors, []);
  assert.equal((ext.obj.spec as Record<string, unknown>).ipFamilies, undefined);
});

test('Service validation messages', () => {
  const cases: Array<[KubeObject, string[]]> = [
    [service({ selector: { app: 'web' } }), ['spec.ports: Required value']],
    [
      service({ ports: [{ port: 80 }] }, 'Web'),
      ["metadata.name: Invalid value: \"Web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"],
    ],
    [service({ type: 'Magic', ports: [{ port: 80 }] }), ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    // targetPort defaults to the (bad) port, so upstream reports both.
    [
      service({ ports: [{ port: 0 }] }),
      ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ],
    [service({ ports: [{ port: 80, nodePort: 30001 }] }), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    [service({ ports: [{ port: 80, targetPort: 'Http' }] }), ['spec.ports[0].targetPort: Invalid value: "Http": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']],
    [service({ ports: [{ port: 80 }], sessionAffinity: 'Sticky' }), ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"']],
    [service({ ports: [{ port: 80 }], clusterIP: '10.0.0.300' }), ['spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']],
    [service({ ports: [{ port: 80 }], sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } }), ['spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None']],
    [
      service({ ports: [{ name: 'a', port: 80 }, { name: 'b', port: 80 }] }),
      ['spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'],
    ],
    [service({ ports: [{ port: 80 }], externalTrafficPolicy: 'Local' }), ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']],
  ];
  for (const [obj, want] of cases) assert.deepEqual(create(SVC, obj).errors, want, JSON.stringify(obj.spec));
});

test('Service updates keep allocated values and refuse a new cluster IP', () => {
  const old = create(SVC, service({ type: 'NodePort', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] })).obj;
  Object.assign(old.spec as object, { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] });
  (old.spec as { ports: Array<{ nodePort: number }> }).ports[0]!.nodePort = 31000;
  old.status = { loadBalancer: {} };
  // kubectl replace with the manifest as written: no clusterIP, no nodePort.
  const replaced = service({ type: 'NodePort', selector: { app: 'web', v: '2' }, ports: [{ name: 'http', port: 80 }] });
  const r = update(SVC, old, replaced);
  assert.deepEqual(r.errors, []);
  const spec = r.obj.spec as Record<string, unknown> & { ports: Array<{ nodePort: number }> };
  assert.equal(spec.clusterIP, '10.96.0.10');
  assert.deepEqual(spec.clusterIPs, ['10.96.0.10']);
  assert.equal(spec.ports[0]?.nodePort, 31000);
  assert.deepEqual(spec.ipFamilies, ['IPv4']);
  const moved = structuredClone(old);
  Object.assign(moved.spec as object, { clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] });
  assert.deepEqual(update(SVC, old, moved).errors, ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  const statusWrite = structuredClone(old);
  statusWrite.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
  (statusWrite.spec as { type: string }).type = 'ClusterIP';
  const s = updateStatus(SVC, old, statusWrite);
  assert.equal((s.obj.spec as { type: string }).type, 'NodePort');
  assert.deepEqual(s.errors, []);
});

test('Namespace: name label, kubernetes finalizer, Active phase; finalizers only via finalize', () => {
  const { obj, errors } = create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.metadata?.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(obj.status, { phase: 'Active' });
  assert.equal(obj.metadata?.namespace, undefined);
  const next = structuredClone(obj);
  next.spec = { finalizers: [] };
  assert.deepEqual(update(NS, obj, next).obj.spec, { finalizers: ['kubernetes'] });
  assert.match(create(NS, { metadata: { name: 'a.b' } }).errors[0] ?? '', /^metadata\.name: Invalid value: "a\.b": must not contain dots$/);
  const terminating = structuredClone(obj);
  terminating.status = { phase: 'Terminating' };
  assert.deepEqual(updateStatus(NS, obj, terminating).errors, ["status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"]);
});

test('Node: status kept on create, allocatable defaults to capacity, limited spec updates', () => {
  const { obj, errors } = create(NODE, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] }, status: { capacity: { cpu: '4', memory: '8192Mi', pods: '110' } } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.status, { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } });
  const cordon = structuredClone(obj);
  (cordon.spec as { unschedulable: boolean }).unschedulable = true;
  assert.deepEqual(update(NODE, obj, cordon).errors, []);
  const cidr = structuredClone(obj);
  (cidr.spec as { podCIDR: string }).podCIDR = '10.244.1.0/24';
  assert.deepEqual(update(NODE, obj, cidr).errors, [], 'an unset podCIDR may be set once');
  const again = structuredClone(cidr);
  (again.spec as { podCIDR: string }).podCIDR = '10.244.2.0/24';
  assert.deepEqual(update(NODE, cidr, again).errors, ['Forbidden: node updates may only change labels, taints, or capacity (or configSource, if the DynamicKubeletConfig feature gate is enabled)']);
  assert.deepEqual(create(NODE, { metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'Sometimes' }] } }).errors, ['spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']);
});

test('ConfigMap and Secret: keys, immutability, stringData, base64, type', () => {
  assert.deepEqual(create(CM, { metadata: { name: 'c' }, data: { 'bad/key': 'x' } }).errors, [
    "data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
  ]);
  const frozen = create(CM, { metadata: { name: 'c' }, data: { a: '1' }, immutable: true }).obj;
  assert.deepEqual(update(CM, frozen, { ...structuredClone(frozen), data: { a: '2' } }).errors, ['data: Forbidden: field is immutable when `immutable` is set']);
  assert.deepEqual(update(CM, frozen, { ...structuredClone(frozen), immutable: false }).errors, ['immutable: Forbidden: field is immutable when `immutable` is set']);

  const { obj, errors } = create(SECRET, { metadata: { name: 's' }, data: { a: 'eA==' }, stringData: { b: 'hello', a: 'y' } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.data, { a: 'eQ==', b: 'aGVsbG8=' });
  assert.equal(obj.stringData, undefined);
  assert.equal(obj.type, 'Opaque');
  assert.throws(
    () => create(SECRET, { apiVersion: 'v1', metadata: { name: 's' }, data: { a: 'not base64!' } }),
    (e: unknown) => isStatus(e, 400) && (e as Error).message === 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
  );
  assert.deepEqual(create(SECRET, { metadata: { name: 't' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }).errors, ['data[tls.key]: Required value']);
  assert.deepEqual(update(SECRET, obj, { ...structuredClone(obj), type: 'kubernetes.io/basic-auth', data: { username: 'eA==' } }).errors, ['type: Invalid value: "kubernetes.io/basic-auth": field is immutable']);
});

test('PersistentVolumeClaim and PersistentVolume', () => {
  const { obj, errors } = create(PVC, { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1.5Gi' } } } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1536Mi' } }, volumeMode: 'Filesystem' });
  assert.deepEqual(obj.status, { phase: 'Pending' });
  assert.deepEqual(create(PVC, { metadata: { name: 'd' }, spec: {} }).errors, ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value']);
  assert.deepEqual(create(PVC, { metadata: { name: 'd' }, spec: { accessModes: ['ReadWriteSometimes'], resources: { requests: { storage: '0' } } } }).errors, [
    'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    'spec.resources[storage]: Invalid value: "0": must be greater than zero',
  ]);
  const changed = structuredClone(obj);
  (changed.spec as { accessModes: string[] }).accessModes = ['ReadWriteMany'];
  assert.deepEqual(update(PVC, obj, changed).errors, ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
  const bound = structuredClone(obj);
  (bound.spec as { volumeName: string }).volumeName = 'pv-1';
  assert.deepEqual(update(PVC, obj, bound).errors, [], 'binding sets volumeName once');

  const pv = create(PV, { metadata: { name: 'pv-1' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' }, hostPath: { path: '/data' } } });
  assert.deepEqual(pv.errors, []);
  assert.equal((pv.obj.spec as Record<string, unknown>).persistentVolumeReclaimPolicy, 'Retain');
  assert.deepEqual(pv.obj.status, { phase: 'Pending' });
  assert.deepEqual(create(PV, { metadata: { name: 'pv-2' }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } } }).errors, ['spec: Required value: must specify a volume type']);
});

test('Events: legacy core validation, strict events.k8s.io validation', () => {
  const core = { metadata: { name: 'web.17a', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Started', type: 'Normal' };
  assert.deepEqual(create(EVENT, core).errors, []);
  assert.deepEqual(create(EVENT, { ...core, involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } }).errors, ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  const v1 = { metadata: { name: 'web.17b', namespace: 'default' }, regarding: { kind: 'Pod', name: 'web', namespace: 'default' }, reason: 'Started', type: 'Normal', eventTime: '2024-01-01T00:00:00.000000Z', reportingController: 'kubelet', reportingInstance: 'kubelet-node-1', action: 'Started' };
  assert.deepEqual(create(EVENTS_V1, v1).errors, []);
  assert.deepEqual(create(EVENTS_V1, { ...v1, type: 'Odd', action: undefined, deprecatedCount: 2 }).errors, [
    'action: Required value',
    'type: Invalid value: "": has invalid value: Odd',
    'count: Invalid value: "": needs to be unset',
  ]);
});

test('Bindings need a Node target', () => {
  const BINDING = resourceOf('', 'Binding');
  assert.deepEqual(create(BINDING, { metadata: { name: 'web' }, target: { kind: 'Node', name: 'node-1' } }).errors, []);
  assert.deepEqual(create(BINDING, { metadata: { name: 'web' }, target: { kind: 'Pod' } }).errors, [
    'target.kind: Unsupported value: "Pod": supported values: "Node", "<empty>"',
    'target.name: Required value',
  ]);
});

test('EndpointSlice, Endpoints, Lease', () => {
  const eps = create(EPS, { metadata: { name: 'web-abc' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] });
  assert.deepEqual(eps.errors, []);
  assert.deepEqual(eps.obj.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  assert.equal(eps.obj.metadata?.generation, 1);
  assert.deepEqual(create(EPS, { metadata: { name: 'x' }, addressType: 'IPv4', endpoints: [{ addresses: ['fe80::1'] }] }).errors, ['endpoints[0].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address']);
  const moved = { ...structuredClone(eps.obj), endpoints: [{ addresses: ['10.0.0.2'] }] };
  assert.equal(update(EPS, eps.obj, moved).generationBumped, true);
  const relabelled = structuredClone(eps.obj);
  (relabelled.metadata ??= {}).labels = { 'kubernetes.io/service-name': 'web' };
  assert.equal(update(EPS, eps.obj, relabelled).generationBumped, true);
  assert.deepEqual(update(EPS, eps.obj, { ...structuredClone(eps.obj), addressType: 'IPv6', endpoints: [] }).errors, ['addressType: Invalid value: "IPv6": field is immutable']);

  const ep = create(EP, { metadata: { name: 'web' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] });
  assert.deepEqual(ep.errors, []);
  assert.equal((ep.obj.subsets as Array<{ ports: Array<{ protocol: string }> }>)[0]?.ports[0]?.protocol, 'TCP');
  assert.deepEqual(create(LEASE, { metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } }).errors, ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
});
