import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../object.js';
import { typeForKind } from '../schema/registry.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { FIXTURE_SCHEMA, WIDGET } from './testdata-schema.js';
import { assertStatus } from './testdata-assert.js';

const smp = (doc: unknown, patch: unknown) => applyStrategicMergePatch(deepFreeze(structuredClone(doc)), patch, WIDGET, FIXTURE_SCHEMA);

const c = (name: string, image?: string, extra: Record<string, unknown> = {}) => ({ name, ...(image ? { image } : {}), ...extra });

const cases: Array<[string, unknown, unknown, unknown]> = [
  ['maps merge, null deletes', { metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { a: null, c: '3' } } }, { metadata: { labels: { b: '2', c: '3' } } }],
  ['null for a missing key is ignored', { spec: {} }, { spec: { replicas: null } }, { spec: {} }],
  ['nulls inside new subtrees are dropped', {}, { spec: { strategy: { type: 'X', rollingUpdate: null } } }, { spec: { strategy: { type: 'X' } } }],
  [
    'merge list by key: change one, keep others, new items first',
    { spec: { containers: [c('a', 'v1'), c('b', 'v1')] } },
    { spec: { containers: [c('b', 'v2'), c('z', 'v1')] } },
    { spec: { containers: [c('a', 'v1'), c('b', 'v2'), c('z', 'v1')] } },
  ],
  [
    'new item with no anchor goes first',
    { spec: { containers: [c('a', 'v1'), c('b', 'v1')] } },
    { spec: { containers: [c('z', 'v1')] } },
    { spec: { containers: [c('z', 'v1'), c('a', 'v1'), c('b', 'v1')] } },
  ],
  [
    '$patch: delete removes an element',
    { spec: { containers: [c('a', 'v1'), c('b', 'v1')] } },
    { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
    { spec: { containers: [c('b', 'v1')] } },
  ],
  [
    '$patch: replace in a list replaces the list',
    { spec: { containers: [c('a', 'v1'), c('b', 'v1')] } },
    { spec: { containers: [c('c', 'v3'), { $patch: 'replace' }] } },
    { spec: { containers: [c('c', 'v3')] } },
  ],
  ['$patch: replace in a map replaces the map', { metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { $patch: 'replace', c: '3' } } }, { metadata: { labels: { c: '3' } } }],
  ['$patch: delete in a map empties it', { spec: { strategy: { type: 'Recreate' } } }, { spec: { strategy: { $patch: 'delete' } } }, { spec: { strategy: {} } }],
  ['lists without merge strategy are replaced', { spec: { args: ['a', 'b'] } }, { spec: { args: ['c'] } }, { spec: { args: ['c'] } }],
  ['primitive merge list (finalizers) unions', { metadata: { finalizers: ['a', 'b'] } }, { metadata: { finalizers: ['b', 'c'] } }, { metadata: { finalizers: ['a', 'b', 'c'] } }],
  [
    '$deleteFromPrimitiveList removes primitives',
    { metadata: { finalizers: ['a', 'b', 'c'] } },
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'x'] } },
    { metadata: { finalizers: ['a', 'c'] } },
  ],
  [
    '$setElementOrder orders a merged list',
    { spec: { containers: [c('a', 'v1'), c('b', 'v1'), c('c', 'v1')] } },
    { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [c('a', 'v2')] } },
    { spec: { containers: [c('c', 'v1'), c('a', 'v2'), c('b', 'v1')] } },
  ],
  [
    '$setElementOrder without the list reorders the live list',
    { spec: { containers: [c('a'), c('b')] } },
    { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } },
    { spec: { containers: [c('b'), c('a')] } },
  ],
  [
    '$setElementOrder for a primitive list',
    { metadata: { finalizers: ['a', 'b'] } },
    { metadata: { '$setElementOrder/finalizers': ['c', 'b', 'a'], finalizers: ['c'] } },
    { metadata: { finalizers: ['c', 'b', 'a'] } },
  ],
  [
    '$retainKeys clears unlisted keys (Deployment strategy switch)',
    { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    { spec: { strategy: { type: 'Recreate' } } },
  ],
  [
    '$retainKeys on an inline volume source',
    { spec: { volumes: [{ name: 'v', emptyDir: {} }] } },
    { spec: { volumes: [{ name: 'v', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/x' } }] } },
    { spec: { volumes: [{ name: 'v', hostPath: { path: '/x' } }] } },
  ],
  [
    'nested merge lists (env inside containers)',
    { spec: { containers: [c('a', 'v1', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] })] } },
    { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }] }] } },
    { spec: { containers: [c('a', 'v1', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }] })] } },
  ],
  [
    'directives in a subtree the live object lacks are honoured',
    { spec: {} },
    { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [c('a', 'v1'), { name: 'gone', $patch: 'delete' }] } },
    { spec: { containers: [c('a', 'v1')] } },
  ],
  ['type change replaces', { spec: { nodeSelector: { a: 'b' } } }, { spec: { nodeSelector: 'x' } }, { spec: { nodeSelector: 'x' } }],
  ['$patch: replace at the root replaces the object', { spec: { replicas: 1 }, metadata: { name: 'x' } }, { $patch: 'replace', spec: { replicas: 2 } }, { spec: { replicas: 2 } }],
];

for (const [name, doc, patch, want] of cases) {
  test(`strategic merge patch: ${name}`, () => {
    assert.deepEqual(smp(doc, patch), want);
  });
}

test('strategic merge patch: kubectl client-side apply 3-way patch (kubectl-wire §2.8) on a Deployment', () => {
  const deployment = typeForKind('apps', 'v1', 'Deployment');
  assert.ok(deployment);
  const live = deepFreeze({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', team: 'x' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n' } },
    spec: {
      replicas: 2,
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'a', image: 'nginx:1.27', env: [{ name: 'FOO', value: '1' }, { name: 'BAR', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
            { name: 'b', image: 'busybox' },
          ],
        },
      },
    },
  });
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}\n' }, labels: { team: null } },
    spec: {
      template: {
        spec: {
          '$setElementOrder/containers': [{ name: 'a' }],
          containers: [{ '$setElementOrder/env': [{ name: 'BAR' }], env: [{ $patch: 'delete', name: 'FOO' }], image: 'nginx:1.28', name: 'a' }, { $patch: 'delete', name: 'b' }],
        },
      },
    },
  };
  const out = applyStrategicMergePatch(live, patch, deployment) as typeof live;
  assert.deepEqual(out.metadata.labels, { app: 'web' });
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{"new":true}\n');
  assert.deepEqual(out.spec.template.spec.containers, [
    { name: 'a', image: 'nginx:1.28', env: [{ name: 'BAR', value: '2' }], ports: [{ containerPort: 80, protocol: 'TCP' }] },
  ]);
  assert.equal(out.spec.replicas, 2);
});

test('strategic merge patch: kubectl rollout restart and set image on a Deployment', () => {
  const deployment = typeForKind('apps', 'v1', 'Deployment');
  const live = { spec: { template: { metadata: { annotations: { a: 'b' } }, spec: { containers: [{ name: 'x', image: 'v1' }, { name: 'y', image: 'v1' }] } } } };
  const restarted = applyStrategicMergePatch(live, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } } } } }, deployment);
  assert.deepEqual(restarted.spec.template.metadata.annotations, { a: 'b', 'kubectl.kubernetes.io/restartedAt': 'now' });
  const imaged = applyStrategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'y', image: 'v2' }] } } } }, deployment);
  assert.deepEqual(imaged.spec.template.spec.containers, [{ name: 'x', image: 'v1' }, { name: 'y', image: 'v2' }]);
});

test('strategic merge patch: unknown types fall back to JSON merge semantics for maps and replace for lists', () => {
  const out = applyStrategicMergePatch({ a: { b: 1, c: [1, 2] } }, { a: { c: [3], d: null } }, undefined);
  assert.deepEqual(out, { a: { b: 1, c: [3] } });
});

const errors: Array<[string, unknown, unknown, number, string, string?]> = [
  ['$patch: merge in a map', { spec: { strategy: {} } }, { spec: { strategy: { $patch: 'merge' } } }, 500, '', 'unknown patch type: merge in map: map[$patch:merge]'],
  ['$patch: merge in a list', { spec: { containers: [c('a')] } }, { spec: { containers: [{ name: 'a', $patch: 'merge' }] } }, 500, '', 'merging lists cannot yet be specified in the patch'],
  ['$patch: delete without the merge key', { spec: { containers: [c('a')] } }, { spec: { containers: [{ $patch: 'delete' }] } }, 500, '', 'map: map[$patch:delete] does not contain declared merge key: name'],
  ['merge item without the merge key', { spec: { containers: [c('a')] } }, { spec: { containers: [{ image: 'x' }] } }, 500, '', 'map: map[image:x] does not contain declared merge key: name'],
  ['$retainKeys not a list', { spec: { strategy: {} } }, { spec: { strategy: { $retainKeys: 'type' } } }, 400, 'BadRequest', 'invalid patch format of retainKeys'],
  ['patch keys outside $retainKeys', { spec: { strategy: {} } }, { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, 422, 'Invalid'],
  ['$deleteFromPrimitiveList without a list name', { metadata: {} }, { metadata: { $deleteFromPrimitiveList: ['a'] } }, 400, 'BadRequest', 'invalid patch format of primitive list'],
  ['$setElementOrder without a list name', { spec: {} }, { spec: { $setElementOrder: [] } }, 400, 'BadRequest', 'invalid patch format of setElementOrder list'],
  ['lists of lists', { metadata: { finalizers: [['a']] } }, { metadata: { finalizers: [['b']] } }, 422, 'Invalid'],
  ['patch that is not an object', {}, [1], 400, 'BadRequest', 'json: cannot unmarshal array into Go value of type map[string]interface {}'],
];

for (const [name, doc, patch, code, reason, message] of errors) {
  test(`strategic merge patch error: ${name}`, () => {
    const err = assertStatus(() => smp(doc, patch), code, reason);
    if (message) assert.equal(err.message, message);
  });
}
