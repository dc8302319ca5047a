import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../object.js';
import {
  comparePathElements,
  difference,
  hasPath,
  intersection,
  isEmptySet,
  memberPaths,
  pathToString,
  sortFields,
  union,
  validateFieldsV1,
  withPath,
  withoutPrefixes,
  type FieldsTree,
} from './fieldpath.js';

const a: FieldsTree = deepFreeze({
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': { 'f:replicas': {}, 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {} } } },
});

test('fieldpath: membership follows the fieldsV1 encoding', () => {
  assert.ok(hasPath(a, ['f:spec', 'f:replicas']));
  assert.ok(hasPath(a, ['f:metadata', 'f:labels']), '"." marks a member with children');
  assert.ok(!hasPath(a, ['f:spec']), 'a node with children and no "." is only a prefix');
  assert.ok(hasPath(a, ['f:spec', 'f:containers', 'k:{"name":"a"}']));
});

test('fieldpath: difference removes exact members and prunes emptied nodes', () => {
  const d = difference(a, { 'f:spec': { 'f:replicas': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } });
  assert.deepEqual(d, {
    'f:metadata': { 'f:labels': {} },
    'f:spec': { 'f:containers': { 'k:{"name":"a"}': { '.': {}, 'f:image': {} } } },
  });
  assert.ok(hasPath(d, ['f:metadata', 'f:labels']), 'labels stays a member');
  assert.equal(difference(a, { 'f:status': {} }), a, 'unchanged sets are returned as is');
  assert.ok(isEmptySet(difference(a, a)));
});

test('fieldpath: union and intersection', () => {
  const b = { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } };
  const u = union(a, b);
  assert.ok(hasPath(u, ['f:spec', 'f:paused']) && hasPath(u, ['f:metadata', 'f:labels', 'f:app']));
  assert.deepEqual(intersection(a, b), { 'f:spec': { 'f:replicas': {} } });
  assert.equal(union(a, {}), a);
  assert.deepEqual(withPath({}, ['f:spec', 'f:replicas']), { 'f:spec': { 'f:replicas': {} } });
  assert.deepEqual(withoutPrefixes(a, [['spec']]), { 'f:metadata': a['f:metadata'] });
});

test('fieldpath: path elements sort as structured-merge-diff sorts them', () => {
  const keys = ['i:1', 'v:"b"', 'k:{"port":80,"protocol":"UDP"}', 'v:2', 'f:b', 'k:{"name":"z"}', 'k:{"port":80,"protocol":"TCP"}', 'f:a', 'v:10'];
  assert.deepEqual([...keys].sort(comparePathElements), [
    'f:a',
    'f:b',
    'k:{"name":"z"}',
    'k:{"port":80,"protocol":"TCP"}',
    'k:{"port":80,"protocol":"UDP"}',
    'v:2',
    'v:10',
    'v:"b"',
    'i:1',
  ]);
  const sorted = sortFields({ 'f:z': {}, 'f:a': { 'f:y': {}, '.': {}, 'f:b': {} } });
  assert.deepEqual(Object.keys(sorted), ['f:a', 'f:z']);
  assert.deepEqual(Object.keys(sorted['f:a'] ?? {}), ['.', 'f:b', 'f:y']);
  const once = sortFields(a);
  assert.deepEqual(Object.keys(once['f:spec'] ?? {}), ['f:containers', 'f:replicas']);
  assert.equal(sortFields(once), once, 'sorted sets are returned as is');
});

test('fieldpath: paths print as Path.String()', () => {
  assert.equal(pathToString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image']), '.spec.template.spec.containers[name="nginx"].image');
  assert.equal(pathToString(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']), '.spec.ports[port=80,protocol="TCP"]');
  assert.equal(pathToString(['f:metadata', 'f:finalizers', 'v:"foo"']), '.metadata.finalizers[="foo"]');
  assert.equal(pathToString(['f:x', 'i:3']), '.x[3]');
  assert.deepEqual(memberPaths(a).map(pathToString), ['.metadata.labels', '.metadata.labels.app', '.spec.replicas', '.spec.containers[name="a"]', '.spec.containers[name="a"].image']);
});

test('fieldpath: validation rejects malformed fieldsV1', () => {
  assert.equal(validateFieldsV1(a), a);
  assert.throws(() => validateFieldsV1({ 'x:foo': {} }), /unknown path element type/);
  assert.throws(() => validateFieldsV1({ 'k:{bad': {} }), /parsing JSON/);
  assert.throws(() => validateFieldsV1({ 'f:a': 'leaf' }), /expected an object/);
  assert.throws(() => validateFieldsV1({ 'i:x': {} }), /parsing index/);
});
