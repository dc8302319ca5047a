import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze, type KubeObject } from '../../api/object.js';
import { RESOURCES, findResource, type ResourceInfo } from '../../api/resources.js';
import { buildTable, defaultPrinter, printTable, printerFor } from './print-table.js';
import { NOW, ago } from './testdata/helpers.js';

const pods = findResource('', 'v1', 'pods') as ResourceInfo;

const podA: KubeObject = deepFreeze({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'a',
    namespace: 'default',
    uid: 'uid-a',
    resourceVersion: '41',
    creationTimestamp: ago(30),
    labels: { app: 'web' },
    managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1' }],
  },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
  status: { phase: 'Succeeded' },
});

test('every served resource that can be listed has a dedicated printer', () => {
  const listable = RESOURCES.filter((r) => r.verbs.includes('list'));
  const missing = listable.filter((r) => printerFor(r) === defaultPrinter).map((r) => `${r.group}/${r.resource}`);
  assert.deepEqual(missing, []);
  for (const r of listable) {
    const cols = printerFor(r).columns;
    // Exactly one column carries the object's name (kubectl's `format: name`).
    assert.equal(cols.filter((c) => c.format === 'name').length, 1, `${r.resource} name column`);
    for (const c of cols) {
      assert.ok(c.description.length > 0, `${r.resource}/${c.name} has a description`);
      assert.ok(['string', 'integer', 'boolean', 'number', 'date'].includes(c.type), `${r.resource}/${c.name} type ${c.type}`);
    }
  }
});

test('rows carry one cell per column for every printer, even for nearly empty objects', () => {
  for (const r of RESOURCES) {
    const printed = printTable(r, [{ metadata: { name: 'x', creationTimestamp: ago(3) } }, {}], { now: NOW });
    for (const row of printed.rows) assert.equal(row.cells.length, printed.columnDefinitions.length, r.resource);
  }
});

test('resources without a printer get NAME and AGE', () => {
  const fake = { group: 'example.com', resource: 'widgets' };
  const printed = printTable(fake, [{ metadata: { name: 'w1', creationTimestamp: ago(7200) } }, { metadata: { name: 'w2' } }], { now: NOW });
  assert.deepEqual(
    printed.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Age', 'string', '', 0],
    ],
  );
  assert.deepEqual(
    printed.rows.map((r) => r.cells),
    [
      ['w1', '120m'],
      ['w2', '<unknown>'],
    ],
  );
});

test('buildTable: Metadata (default) rows carry PartialObjectMetadata with the full metadata', () => {
  const table = buildTable(pods, [podA], { now: NOW, listMeta: { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 } });
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, { resourceVersion: '42', continue: 'tok', remainingItemCount: 3 });
  assert.deepEqual(Object.keys(table), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  assert.equal(table.columnDefinitions?.length, 9);
  const row = table.rows[0];
  assert.deepEqual(row?.cells, ['a', '0/1', 'Succeeded', '0', '30s', '<none>', '<none>', '<none>', '<none>']);
  assert.deepEqual(row?.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: podA.metadata });
  assert.equal(row?.conditions?.[0]?.type, 'Completed');
});

test('buildTable: Object rows carry the object, None rows none; noHeaders drops columns', () => {
  const full = buildTable(pods, [podA], { now: NOW, includeObject: 'Object' });
  assert.equal(full.rows[0]?.object, podA);
  assert.deepEqual(full.metadata, {});
  const none = buildTable(pods, [podA], { now: NOW, includeObject: 'None', noHeaders: true, listMeta: { resourceVersion: '7' } });
  assert.equal('object' in (none.rows[0] ?? {}), false);
  assert.equal(none.columnDefinitions, undefined);
  assert.deepEqual(Object.keys(none), ['kind', 'apiVersion', 'metadata', 'rows']);
  assert.deepEqual(none.metadata, { resourceVersion: '7' });
});

test('column definitions are copies: callers cannot corrupt the printers', () => {
  const a = printTable(pods, [], { now: NOW });
  a.columnDefinitions.pop();
  assert.equal(printTable(pods, [], { now: NOW }).columnDefinitions.length, 9);
});
