import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../object.js';
import { resolverFor } from './patch-schema.js';
import { TypedOps } from './typed.js';
import { FIXTURE_SCHEMA, WIDGET } from './testdata-schema.js';

const resolver = resolverFor(FIXTURE_SCHEMA);
const ops = new TypedOps(resolver);
const shape = resolver.root(WIDGET);

test('typed: field sets of applied configurations', () => {
  const set = ops.fieldSet(
    {
      metadata: { labels: { a: 'b' }, finalizers: ['x'] },
      spec: { args: ['1'], selector: { matchLabels: { a: 'b' } }, containers: [{ name: 'c', ports: [{ containerPort: 80 }], resources: {} }], strategy: null },
      extra: { free: { form: 1 } },
    },
    shape,
    { allowDuplicates: false },
  );
  assert.deepEqual(set, {
    'f:metadata': { 'f:labels': { 'f:a': {} }, 'f:finalizers': { 'v:"x"': {} } },
    'f:spec': {
      'f:args': {},
      'f:selector': {},
      'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } }, 'f:resources': {} } },
      'f:strategy': {},
    },
    'f:extra': { '.': {}, 'f:free': { '.': {}, 'f:form': {} } },
  });
});

test('typed: merge keeps live-only list items in place and follows the applied order for the rest', () => {
  const live = deepFreeze({ spec: { containers: [{ name: 'a' }, { name: 'b', image: '1' }, { name: 'c' }] } });
  const merged = ops.merge(live, { spec: { containers: [{ name: 'c', image: 'x' }, { name: 'b' }, { name: 'd' }] } }, shape);
  assert.deepEqual(merged, { spec: { containers: [{ name: 'a' }, { name: 'c', image: 'x' }, { name: 'b', image: '1' }, { name: 'd' }] } });
});

test('typed: atomic lists and structs are replaced, maps merged, set lists unioned', () => {
  const live = { spec: { args: ['1', '2'], selector: { matchLabels: { a: 'b', c: 'd' } }, nodeSelector: { x: '1' } }, metadata: { finalizers: ['f1'] } };
  const merged = ops.merge(live, { spec: { args: ['3'], selector: { matchLabels: { e: 'f' } }, nodeSelector: { y: '2' } }, metadata: { finalizers: ['f2'] } }, shape);
  assert.deepEqual(merged, { spec: { args: ['3'], selector: { matchLabels: { e: 'f' } }, nodeSelector: { x: '1', y: '2' } }, metadata: { finalizers: ['f1', 'f2'] } });
});

test('typed: compare reports added, modified and removed paths', () => {
  const d = ops.compare({ spec: { replicas: 1, args: ['a'], containers: [{ name: 'a', image: '1' }] } }, { spec: { replicas: 2, containers: [{ name: 'a', image: '1' }, { name: 'b' }] }, metadata: { labels: { x: 'y' } } }, shape);
  assert.deepEqual(d.modified, { 'f:spec': { 'f:replicas': {} } });
  assert.deepEqual(d.removed, { 'f:spec': { 'f:args': {} } });
  assert.deepEqual(d.added, { 'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:name': {} } } }, 'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } } });
});

test('typed: removeItems drops members with their subtrees and empties', () => {
  const v = { spec: { replicas: 1, containers: [{ name: 'a', image: '1' }, { name: 'b' }] }, metadata: { labels: { x: 'y' } } };
  const out = ops.removeItems(v, { 'f:spec': { 'f:containers': { 'k:{"name":"a"}': {} } }, 'f:metadata': { 'f:labels': { 'f:x': {} } } }, shape);
  assert.deepEqual(out, { spec: { replicas: 1, containers: [{ name: 'b' }] } });
});
