import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clone, deepFreeze, deepFreezeSharing } from './object.js';

test('clone copies JSON values deeply, as structuredClone does', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { app: 'a' }, ownerReferences: [{ uid: 'u', controller: true }] },
    spec: { containers: [{ name: 'c', command: ['sleep', '1'], resources: {} }], nodeName: undefined },
    status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null }], hostIP: '' },
    n: [1, 2.5, -0, [true, false, null]],
  };
  const copy = clone(pod);
  assert.deepStrictEqual(copy, structuredClone(pod));
  assert.ok('nodeName' in copy.spec, 'undefined properties are kept, as structuredClone keeps them');
  assert.notEqual(copy.metadata, pod.metadata);
  assert.notEqual(copy.spec.containers[0], pod.spec.containers[0]);
  copy.spec.containers[0]!.command.push('x');
  copy.metadata.labels.app = 'b';
  assert.deepEqual(pod.spec.containers[0]!.command, ['sleep', '1']);
  assert.equal(pod.metadata.labels.app, 'a');
});

test('clone of a frozen cached object is a mutable copy', () => {
  const cached = deepFreeze({ metadata: { name: 'x', annotations: { a: '1' } }, items: [{ k: 1 }] });
  const copy = clone(cached);
  copy.metadata.annotations.a = '2';
  copy.items.push({ k: 2 });
  assert.equal(cached.metadata.annotations.a, '1');
  assert.equal(Object.isFrozen(copy.metadata), false);
});

test('clone keeps a "__proto__" key as data and does not touch prototypes', () => {
  const parsed = JSON.parse('{"data":{"__proto__":{"polluted":true},"b":"2"}}') as { data: Record<string, unknown> };
  const copy = clone(parsed);
  assert.deepEqual(Object.keys(copy.data), ['__proto__', 'b']);
  assert.deepEqual(Object.getOwnPropertyDescriptor(copy.data, '__proto__')?.value, { polluted: true });
  assert.equal(Object.getPrototypeOf(copy.data), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('clone hands values that are not plain data to structuredClone', () => {
  const when = new Date(0);
  const bytes = new Uint8Array([1, 2, 3]);
  const copy = clone({ when, bytes, m: new Map([['k', 1]]) });
  assert.ok(copy.when instanceof Date && copy.when !== when && copy.when.getTime() === 0);
  assert.ok(copy.bytes instanceof Uint8Array && copy.bytes !== bytes);
  assert.deepEqual([...copy.bytes], [1, 2, 3]);
  assert.equal(copy.m.get('k'), 1);
  assert.equal(clone(null), null);
  assert.equal(clone('s'), 's');
});

test('deepFreezeSharing freezes everything and shares one empty object for every {} leaf', () => {
  type Doc = { metadata: { managedFields: Array<{ fieldsV1: { 'f:spec': Record<string, Record<string, unknown>> } }> }; list: object[]; empty: object };
  const text = '{"metadata":{"managedFields":[{"fieldsV1":{"f:spec":{"f:image":{},"f:ports":{"k:{\\"port\\":80}":{}}}}}]},"list":[{},{"x":1}],"empty":{}}';
  const a = JSON.parse(text) as Doc;
  const b = JSON.parse('{"other":{}}') as { other: object };
  assert.equal(deepFreezeSharing(a), a);
  deepFreezeSharing(b);
  const spec = a.metadata.managedFields[0]!.fieldsV1['f:spec'];
  assert.equal(spec['f:image'], b.other, 'one shared {}');
  assert.equal(spec['f:ports']!['k:{"port":80}'], a.empty);
  assert.equal(a.list[0], a.empty);
  assert.ok(Object.isFrozen(a) && Object.isFrozen(spec) && Object.isFrozen(a.list[1]));
  assert.equal(JSON.stringify(a), text);
});
