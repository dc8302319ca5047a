import { test } from 'node:test';
import assert from 'node:assert/strict';
import { typeForKind } from '../schema/registry.js';
import { applyPatch, parsePatchBody, patchTypeOf } from './index.js';
import { assertStatus } from './testdata-assert.js';

test('patch types from Content-Type', () => {
  assert.equal(patchTypeOf('application/strategic-merge-patch+json; charset=utf-8'), 'strategic');
  assert.equal(patchTypeOf('application/apply-patch+yaml'), 'apply');
  assert.equal(patchTypeOf('application/json-patch+json'), 'json');
  assert.equal(patchTypeOf('application/merge-patch+json'), 'merge');
  assert.equal(patchTypeOf('application/json'), undefined);
});

test('applyPatch dispatches on the patch type', () => {
  const rs = typeForKind('apps', 'v1', 'ReplicaSet');
  const doc = { spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: '1' }] } } } };
  assert.equal(applyPatch('merge', doc, { spec: { replicas: 3 } }).spec.replicas, 3);
  assert.equal(applyPatch('json', doc, [{ op: 'replace', path: '/spec/replicas', value: 4 }]).spec.replicas, 4);
  const smp = applyPatch('strategic', doc, { spec: { template: { spec: { containers: [{ name: 'b' }] } } } }, { rootType: rs });
  assert.deepEqual(smp.spec.template.spec.containers.map((c) => c.name), ['b', 'a']);
});

test('parsePatchBody: syntax errors are 400', () => {
  assert.deepEqual(parsePatchBody('merge', '{"a":1}'), { a: 1 });
  assert.match(assertStatus(() => parsePatchBody('merge', '{'), 400, 'BadRequest').message, /^error decoding patch: /);
  assertStatus(() => parsePatchBody('json', Buffer.from('[')), 400, 'BadRequest');
});
