import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../object.js';
import { applyMergePatch } from './merge-patch.js';
import { assertStatus } from './testdata-assert.js';

const cases: Array<[string, unknown, unknown, unknown]> = [
  // RFC 7386 appendix A examples.
  ['replace scalar', { a: 'b' }, { a: 'c' }, { a: 'c' }],
  ['add key', { a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  ['null deletes', { a: 'b' }, { a: null }, {}],
  ['null deletes one of two', { a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  ['array replaces array', { a: ['b'] }, { a: 'c' }, { a: 'c' }],
  ['value replaces array', { a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  ['nested merge with delete', { a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  ['lists are replaced whole', { a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  ['nulls pruned from new objects', {}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ['nulls pruned inside objects held by arrays, null elements kept', {}, { a: [{ x: null, y: 1 }, null] }, { a: [{ y: 1 }, null] }],
  ['kubectl scale', { spec: { replicas: 3, selector: { app: 'x' } } }, { spec: { replicas: 10 } }, { spec: { replicas: 10, selector: { app: 'x' } } }],
  ['kubectl label removal', { metadata: { labels: { a: '1', b: '2' } } }, { metadata: { labels: { a: null } } }, { metadata: { labels: { b: '2' } } }],
];

for (const [name, doc, patch, want] of cases) {
  test(`merge patch: ${name}`, () => {
    const d = deepFreeze(structuredClone(doc));
    assert.deepEqual(applyMergePatch(d, patch), want);
  });
}

test('merge patch: result shares no structure with the input', () => {
  const d = { metadata: { name: 'x' }, spec: { a: 1 } };
  const out = applyMergePatch(d, { spec: { a: 2 } });
  out.metadata.name = 'changed';
  assert.equal(d.metadata.name, 'x');
});

test('merge patch: non-object bodies are 400', () => {
  assert.equal(assertStatus(() => applyMergePatch({}, null), 400, 'BadRequest').message, 'Invalid JSON Patch');
  assert.equal(
    assertStatus(() => applyMergePatch({}, [1]), 400, 'BadRequest').message,
    'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}',
  );
});
