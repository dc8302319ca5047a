import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../object.js';
import { applyJsonPatch, JSON_PATCH_INVALID_MESSAGE, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
import { assertStatus } from './testdata-assert.js';

const doc = () =>
  deepFreeze({
    metadata: { name: 'web', labels: { app: 'web', 'a/b': 'x', 'm~n': 'y' } },
    spec: { replicas: 3, args: ['a', 'b', 'c'], nil: null as unknown },
  });

const ok: Array<[string, unknown[], (d: ReturnType<typeof doc>) => unknown]> = [
  ['add a map key', [{ op: 'add', path: '/metadata/labels/tier', value: 'fe' }], (d) => ({ ...d, metadata: { ...d.metadata, labels: { ...d.metadata.labels, tier: 'fe' } } })],
  ['add overwrites an existing key', [{ op: 'add', path: '/spec/replicas', value: 5 }], (d) => ({ ...d, spec: { ...d.spec, replicas: 5 } })],
  ['add with - appends', [{ op: 'add', path: '/spec/args/-', value: 'd' }], (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'b', 'c', 'd'] } })],
  ['add inserts at an index', [{ op: 'add', path: '/spec/args/1', value: 'x' }], (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'x', 'b', 'c'] } })],
  ['add at len appends', [{ op: 'add', path: '/spec/args/3', value: 'x' }], (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'b', 'c', 'x'] } })],
  ['negative index counts from the end (v4)', [{ op: 'add', path: '/spec/args/-1', value: 'x' }], (d) => ({ ...d, spec: { ...d.spec, args: ['a', 'b', 'c', 'x'] } })],
  ['~1 and ~0 unescape', [{ op: 'remove', path: '/metadata/labels/a~1b' }, { op: 'replace', path: '/metadata/labels/m~0n', value: 'z' }], (d) => ({ ...d, metadata: { ...d.metadata, labels: { app: 'web', 'm~n': 'z' } } })],
  ['remove an array element', [{ op: 'remove', path: '/spec/args/0' }], (d) => ({ ...d, spec: { ...d.spec, args: ['b', 'c'] } })],
  ['replace of a missing object key adds it (v4 quirk)', [{ op: 'replace', path: '/spec/paused', value: true }], (d) => ({ ...d, spec: { ...d.spec, paused: true } })],
  ['move', [{ op: 'move', from: '/metadata/labels/app', path: '/metadata/labels/name' }], (d) => ({ ...d, metadata: { ...d.metadata, labels: { 'a/b': 'x', 'm~n': 'y', name: 'web' } } })],
  ['copy', [{ op: 'copy', from: '/spec/args', path: '/spec/args2' }], (d) => ({ ...d, spec: { ...d.spec, args2: ['a', 'b', 'c'] } })],
  ['test passes then replace', [{ op: 'test', path: '/spec/replicas', value: 3 }, { op: 'replace', path: '/spec/replicas', value: 1 }], (d) => ({ ...d, spec: { ...d.spec, replicas: 1 } })],
  ['test null matches a missing key', [{ op: 'test', path: '/spec/missing', value: null }], (d) => d],
  ['test null matches a null value', [{ op: 'test', path: '/spec/nil', value: null }], (d) => d],
  ['test compares objects structurally', [{ op: 'test', path: '/metadata/labels', value: { 'm~n': 'y', app: 'web', 'a/b': 'x' } }], (d) => d],
  ['null body is an empty patch', null as unknown as unknown[], (d) => d],
  ['replace of the whole document (empty path)', [{ op: 'replace', path: '', value: { a: 1 } }], () => ({ a: 1 })],
  ['test of the whole document', [{ op: 'test', path: '', value: doc() }], (d) => d],
  ['v4 test ignores extra keys in the expected object', [{ op: 'test', path: '/metadata/labels', value: { app: 'web', 'a/b': 'x', 'm~n': 'y', extra: 1 } }], (d) => d],
];

for (const [name, ops, want] of ok) {
  test(`json patch: ${name}`, () => {
    const d = doc();
    assert.deepEqual(applyJsonPatch(d, ops), want(d));
  });
}

const failing: Array<[string, unknown[]]> = [
  ['failed test', [{ op: 'test', path: '/spec/replicas', value: 4 }]],
  ['test of a missing key against a value', [{ op: 'test', path: '/spec/nope', value: 1 }]],
  ['remove of a missing key', [{ op: 'remove', path: '/metadata/labels/nope' }]],
  ['add under a missing parent', [{ op: 'add', path: '/spec/template/metadata', value: {} }]],
  ['add past the end of a list', [{ op: 'add', path: '/spec/args/5', value: 'x' }]],
  ['non-numeric array index', [{ op: 'add', path: '/spec/args/x', value: 'x' }]],
  ['replace past the end of a list', [{ op: 'replace', path: '/spec/args/3', value: 'x' }]],
  ['move from a missing key', [{ op: 'move', from: '/spec/nope', path: '/spec/x' }]],
  ['unknown op', [{ op: 'frobnicate', path: '/spec' }]],
  ['missing op', [{ path: '/spec' }]],
  ['missing path', [{ op: 'add', value: 1 }]],
  ['whole-document replace with a scalar', [{ op: 'replace', path: '', value: 1 }]],
  ['add at the whole-document path', [{ op: 'add', path: '', value: {} }]],
  ['test missing a key of the document value', [{ op: 'test', path: '/metadata/labels', value: { app: 'web' } }]],
];

for (const [name, ops] of failing) {
  test(`json patch: ${name} → 422 with Kubernetes' generic message`, () => {
    const err = assertStatus(() => applyJsonPatch(doc(), ops), 422, 'Invalid');
    assert.equal(err.message, JSON_PATCH_INVALID_MESSAGE);
    assert.deepEqual(err.toStatus().details, {});
    assert.ok(err.cause instanceof Error && err.cause.message.length > 0);
  });
}

test('json patch: a failed operation leaves the input and applies nothing', () => {
  const d = doc();
  assertStatus(() => applyJsonPatch(d, [{ op: 'add', path: '/spec/replicas', value: 9 }, { op: 'test', path: '/spec/replicas', value: 3 }]), 422, 'Invalid');
  assert.equal(d.spec.replicas, 3);
});

test('json patch: malformed bodies are 400 with the decoder wording', () => {
  const e1 = assertStatus(() => applyJsonPatch(doc(), { op: 'add' } as unknown as unknown[]), 400, 'BadRequest');
  assert.equal(e1.message, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  const e2 = assertStatus(() => applyJsonPatch(doc(), ['add']), 400, 'BadRequest');
  assert.equal(e2.message, 'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
});

test('json patch: more than 10000 operations is 413', () => {
  const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({ op: 'test', path: '/spec/replicas', value: 3 }));
  const err = assertStatus(() => applyJsonPatch(doc(), ops), 413, 'RequestEntityTooLarge');
  assert.equal(err.message, 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
});

test('json patch: kubectl rollout undo style replace of a whole spec template', () => {
  const d = { spec: { template: { spec: { containers: [{ name: 'a', image: 'v2' }] } } } };
  const out = applyJsonPatch(d, [{ op: 'replace', path: '/spec/template', value: { spec: { containers: [{ name: 'a', image: 'v1' }] } } }]);
  assert.equal(out.spec.template.spec.containers[0]?.image, 'v1');
  assert.equal(d.spec.template.spec.containers[0]?.image, 'v2');
});

