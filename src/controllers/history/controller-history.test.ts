/**
 * Revision data, hashing, naming and ordering shared by the DaemonSet and StatefulSet controllers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import { controllerRevisionName, equalRevision, findEqualRevisions, hashControllerRevision, newControllerRevision, nextRevision, revisionDataBytes, sortControllerRevisions } from './controller-history.js';
import { templateFromRevisionData, templateRevisionData } from './revision-data.js';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', command: ['sh', '-c', 'a > b && c < d'] }] } };

test('revision data is the template patch Go would write (sorted keys, Go zero fields, HTML escaping)', () => {
  const data = templateRevisionData(template);
  assert.equal(
    revisionDataBytes(data),
    '{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"command":["sh","-c","a \\u003e b \\u0026\\u0026 c \\u003c d"],"image":"nginx:1.25","name":"nginx","resources":{}}]}}}}',
  );
  // The object itself serialises in sorted order too, so the API server stores those bytes.
  assert.ok(JSON.stringify(data).startsWith('{"spec":{"template":{"$patch":"replace","metadata":{"creationTimestamp":null'));
  const back = templateFromRevisionData(data)!;
  assert.deepEqual(back.metadata, { labels: { app: 'web' } });
  assert.equal(back.spec?.containers[0]?.image, 'nginx:1.25');
  assert.equal((back as Record<string, unknown>).$patch, undefined);
  assert.equal(templateFromRevisionData({ nope: 1 }), undefined);
});

test('hashes: stable, key-order independent, changed by the collision count, safe alphabet', () => {
  const a = templateRevisionData(template);
  const b = templateRevisionData(JSON.parse(JSON.stringify({ spec: template.spec, metadata: template.metadata })) as typeof template);
  assert.equal(hashControllerRevision(a), hashControllerRevision(b));
  assert.notEqual(hashControllerRevision(a), hashControllerRevision(a, 1));
  assert.notEqual(hashControllerRevision(a, 1), hashControllerRevision(a, 2));
  assert.match(hashControllerRevision(a), /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(controllerRevisionName('x'.repeat(300), 'h').length, 225);
});

test('new revisions, equality, ordering and numbering', () => {
  const owner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', namespace: 'default' };
  const r1 = newControllerRevision(owner, { app: 'web' }, templateRevisionData(template), 1);
  assert.match(r1.metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(r1.metadata!.labels!['controller.kubernetes.io/hash'], r1.metadata!.name!.slice(4));
  assert.equal(r1.metadata!.labels!.app, 'web');
  assert.deepEqual(r1.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  const r2 = newControllerRevision(owner, { app: 'web' }, templateRevisionData({ ...template, metadata: { labels: { app: 'web', v: '2' } } }), 2);
  const r1again = { ...newControllerRevision(owner, { app: 'web' }, templateRevisionData(template), 3) };
  assert.ok(equalRevision(r1, r1again));
  assert.ok(!equalRevision(r1, r2));
  assert.deepEqual(findEqualRevisions([r1, r2], r1again), [r1]);
  const rs: ControllerRevision[] = [
    { ...r2, revision: 2, metadata: { ...r2.metadata, name: 'b', creationTimestamp: '2026-01-01T00:00:01Z' } },
    { ...r1, revision: 2, metadata: { ...r1.metadata, name: 'a', creationTimestamp: '2026-01-01T00:00:01Z' } },
    { ...r1, revision: 1 },
  ];
  assert.deepEqual(sortControllerRevisions(rs).map((r) => `${r.revision}${r.metadata!.name!.length === 1 ? r.metadata!.name : ''}`), ['1', '2a', '2b']);
  assert.equal(nextRevision(rs), 3);
  assert.equal(nextRevision([]), 1);
});
