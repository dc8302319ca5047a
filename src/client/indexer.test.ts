import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Indexer, indexByControllerUid, indexByNodeName, indexByOwnerUid, keyOf } from './indexer.js';
import { captureLogger } from './log.js';

function p(name: string, ns: string, labels: Record<string, string>, extra: Partial<Pod> = {}): Pod {
  return { metadata: { name, namespace: ns, labels, ...(extra.metadata ?? {}) }, ...(extra.spec ? { spec: extra.spec } : {}) };
}

test('indexes follow updates and deletes; index values never leak', () => {
  const idx = new Indexer<Pod>({ byNode: indexByNodeName });
  idx.set('a/x', p('x', 'a', {}, { spec: { containers: [], nodeName: 'n1' } }));
  idx.set('a/y', p('y', 'a', {}, { spec: { containers: [], nodeName: 'n1' } }));
  idx.set('b/z', p('z', 'b', {}));
  assert.deepEqual(idx.indexKeys('byNode', 'n1').sort(), ['a/x', 'a/y']);
  idx.set('a/x', p('x', 'a', {}, { spec: { containers: [], nodeName: 'n2' } }));
  assert.deepEqual(idx.indexKeys('byNode', 'n1'), ['a/y']);
  assert.deepEqual(idx.indexKeys('byNode', 'n2'), ['a/x']);
  idx.delete('a/y');
  assert.deepEqual(idx.indexValues('byNode'), ['n2']);
  assert.deepEqual(idx.listByNamespace('b').map((o) => o.metadata?.name), ['z']);
  assert.equal(idx.getByName('a', 'x')?.spec?.nodeName, 'n2');
  assert.throws(() => idx.byIndex('nope', 'v'), /no index named "nope"/);
});

test('indexes added later are built from the contents; owner indexes', () => {
  const idx = new Indexer<Pod>();
  const owned = p('x', 'a', {}, { metadata: { name: 'x', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'u2' }] } });
  idx.set(keyOf(owned), owned);
  idx.addIndexers({ byOwner: indexByOwnerUid, byController: indexByControllerUid });
  assert.deepEqual(idx.indexKeys('byOwner', 'u2'), ['a/x']);
  assert.deepEqual(idx.indexKeys('byController', 'u1'), ['a/x']);
  assert.deepEqual(idx.indexKeys('byController', 'u2'), []);
  assert.throws(() => idx.addIndexers({ byOwner: () => [] }), /already exists/);
});

test('a throwing index function is logged and the object left out of that index only', () => {
  const logger = captureLogger();
  const idx = new Indexer<Pod>({ bad: () => { throw new Error('boom'); } }, logger);
  idx.set('a/x', p('x', 'a', {}));
  assert.equal(idx.get('a/x')?.metadata?.name, 'x');
  assert.deepEqual(idx.indexValues('bad'), []);
  assert.ok(logger.entries.some((e) => e.level === 'error' && e.fields['index'] === 'bad'));
});

test('select matches label selectors in every form, optionally within a namespace', () => {
  const idx = new Indexer<Pod>();
  for (const o of [p('a', 'n1', { app: 'web', tier: 'fe' }), p('b', 'n1', { app: 'web', tier: 'be' }), p('c', 'n2', { app: 'web' }), p('d', 'n1', { app: 'db' })]) idx.set(keyOf(o), o);
  const names = (os: Pod[]): string[] => os.map((o) => o.metadata?.name ?? '').sort();
  assert.deepEqual(names(idx.select('app=web')), ['a', 'b', 'c']);
  assert.deepEqual(names(idx.select({ app: 'web' }, 'n1')), ['a', 'b']);
  assert.deepEqual(names(idx.select({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['be'] }] }, 'n1')), ['a']);
  assert.deepEqual(names(idx.select({}, 'n1')), ['a', 'b', 'd'], 'an empty LabelSelector selects everything');
  assert.deepEqual(names(idx.select('tier')), ['a', 'b']);
});
