import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { expand } from './expansion.js';
import { buildEnv, ContainerConfigError } from './env.js';
import { CrashBackoff, formatGoDuration } from './crash-backoff.js';
import { FakeClock } from '../../client/clock.js';
import { lookupImage, DEFAULT_IMAGES } from '../node-config.js';

test('$(VAR) expansion as Kubernetes does it', () => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const look = (n: string) => vars[n];
  const cases: Array<[string, string]> = [
    ['$(A)-$(B)', 'x-y'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$', '$'],
    ['a$b', 'a$b'],
    ['$(A', '$(A'],
    ['tail$', 'tail$'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, look), want, input);
});

const pod: Pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'web' } },
  spec: { nodeName: 'n1', serviceAccountName: 'sa', containers: [{ name: 'c', resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } } }] },
  status: { podIP: '10.0.0.5', hostIP: '10.0.0.1' },
};
const objects = {
  configMap: async (_ns: string, name: string) => (name === 'cm' ? { data: { K: 'from-cm', 'bad key': 'x' } } : undefined),
  secret: async (_ns: string, name: string) => (name === 's' ? { data: { PASS: Buffer.from('hunter2').toString('base64') } } : undefined),
};

test('env: envFrom with prefix, valueFrom of every kind, $(VAR) over earlier values, later wins', async () => {
  const c = {
    name: 'c',
    resources: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } },
    envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }],
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'CPULIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 's', key: 'PASS' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'nope', key: 'x', optional: true } } },
      { name: 'MSG', value: '$(POD) on $(APP) $(UNSET)' },
      { name: 'POD', value: 'override' },
    ],
  };
  const { env, invalidKeys } = await buildEnv({ pod, container: c, objects, allocatable: { cpu: '4', memory: '8Gi' }, base: [['PATH', '/bin']] });
  const m = new Map(env);
  assert.equal(m.get('CM_K'), 'from-cm');
  assert.deepEqual(invalidKeys, ['CM_bad key']);
  assert.equal(m.get('APP'), 'web');
  assert.equal(m.get('IP'), '10.0.0.5');
  assert.equal(m.get('MEM'), '128');
  assert.equal(m.get('CPU'), '250');
  assert.equal(m.get('CPULIM'), '4', 'limits default to node allocatable');
  assert.equal(m.get('PASS'), 'hunter2');
  assert.equal(m.has('OPT'), false);
  assert.equal(m.get('MSG'), 'p on web $(UNSET)');
  assert.equal(m.get('POD'), 'override');
  assert.equal(m.get('PATH'), '/bin');
});

test('env: a missing non-optional source is a config error in kubelet words', async () => {
  await assert.rejects(buildEnv({ pod, container: { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, objects, allocatable: {}, base: [] }), (e: Error) => e instanceof ContainerConfigError && e.message === 'secret "nope" not found');
  await assert.rejects(buildEnv({ pod, container: { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz' } } }] }, objects, allocatable: {}, base: [] }), /couldn't find key zz in ConfigMap ns\/cm/);
});

test('crash back-off: immediate, then 10 s doubling to 300 s, reset after 10 minutes of running', async () => {
  const clock = new FakeClock();
  const b = new CrashBackoff(clock);
  const seen: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = clock.now();
    const left = b.remaining('k', t);
    seen.push(left ? left.backoffMs : 0);
    b.next('k', t);
  }
  assert.deepEqual(seen, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000]);
  await clock.advance(601_000);
  assert.equal(b.remaining('k', clock.now()), undefined, 'expired after 2 × cap');
  b.next('k', clock.now());
  assert.equal(b.remaining('k', clock.now())!.backoffMs, 10_000);
  assert.equal(formatGoDuration(300_000), '5m0s');
  assert.equal(formatGoDuration(40_000), '40s');
});

test('image map: exact, without tag or digest, last path component', () => {
  const cfg = { path: 'x', capacity: {}, images: new Map(Object.entries({ ...DEFAULT_IMAGES, 'nginx': { command: ['nginx'] }, 'reg.io/team/app:2': { command: ['app2'] } })) };
  assert.deepEqual(lookupImage(cfg, 'nginx:1.27')?.command, ['nginx']);
  assert.deepEqual(lookupImage(cfg, 'docker.io/library/nginx@sha256:abc')?.command, ['nginx']);
  assert.deepEqual(lookupImage(cfg, 'reg.io/team/app:2')?.command, ['app2']);
  assert.equal(lookupImage(cfg, 'reg.io/team/other'), undefined);
  assert.deepEqual(lookupImage(cfg, 'busybox:1.36')?.args, ['sh']);
});
