/**
 * The dependency graph on its own: events in, queued UIDs and reports out (no API server).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ObjectLike } from '../../client/types.js';
import { AbsentOwnerCache } from './absent-owner-cache.js';
import { alternateOwnerIdentity, GraphNode } from './graph.js';
import { GraphBuilder, referencesDiff, type EventSource } from './graph-builder.js';

const CM: EventSource = { apiVersion: 'v1', kind: 'ConfigMap' };
const RS: EventSource = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
const POD: EventSource = { apiVersion: 'v1', kind: 'Pod' };
const NODE: EventSource = { apiVersion: 'v1', kind: 'Node' };

function obj(name: string, uid: string, opts: { namespace?: string; owners?: OwnerReference[]; deleting?: boolean; finalizers?: string[] } = {}): ObjectLike {
  return {
    metadata: {
      name,
      uid,
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : { namespace: 'default' }),
      ...(opts.owners ? { ownerReferences: opts.owners } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
      ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
    },
  };
}

const ref = (src: EventSource, name: string, uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: src.apiVersion, kind: src.kind, name, uid, ...extra });

function recorder() {
  const calls = { del: [] as string[], delLimited: [] as string[], orphan: [] as string[], invalid: [] as Array<{ dep: string; message: string }> };
  const graph = new GraphBuilder({
    attemptToDelete: (uid) => calls.del.push(uid),
    attemptToDeleteRateLimited: (uid) => calls.delLimited.push(uid),
    attemptToOrphan: (uid) => calls.orphan.push(uid),
    reportInvalidNamespaceOwnerRef: (dep, _r, message) => calls.invalid.push({ dep: dep.uid, message }),
  });
  return { graph, calls };
}

describe('graph builder', () => {
  test('a dependent seen before its owner makes a virtual owner node, which the real object replaces', () => {
    const { graph, calls } = recorder();
    graph.observe(POD, obj('p', 'pod-1', { owners: [ref(RS, 'rs', 'rs-1', { controller: true, blockOwnerDeletion: true })] }));
    const virtual = graph.node('rs-1')!;
    assert.equal(virtual.observed, false);
    assert.deepEqual(virtual.identity, { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-1', namespace: 'default' });
    assert.deepEqual(calls.del, ['rs-1'], 'the virtual owner is verified');
    graph.observe(RS, obj('rs', 'rs-1'));
    assert.equal(graph.node('rs-1'), virtual);
    assert.equal(virtual.observed, true);
    assert.deepEqual([...virtual.dependents].map((d) => d.uid), ['pod-1']);
    assert.deepEqual(virtual.blockingDependents().map((d) => d.uid), ['pod-1']);
    assert.equal(calls.invalid.length, 0);
  });

  test('deleting an owner queues its dependents and records it absent', () => {
    const { graph, calls } = recorder();
    graph.observe(RS, obj('rs', 'rs-1'));
    graph.observe(POD, obj('a', 'pod-a', { owners: [ref(RS, 'rs', 'rs-1')] }));
    graph.observe(POD, obj('b', 'pod-b', { owners: [ref(RS, 'rs', 'rs-1')] }));
    graph.observeDelete(RS, obj('rs', 'rs-1'));
    assert.equal(graph.node('rs-1'), undefined);
    assert.deepEqual(calls.del.sort(), ['pod-a', 'pod-b']);
    assert.ok(graph.absentOwnerCache.has({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-1', namespace: 'default' }));
  });

  test('deletion transitions: orphan and foreground, also when first seen (restart)', () => {
    const { graph, calls } = recorder();
    graph.observe(RS, obj('rs', 'rs-1', { deleting: true, finalizers: ['orphan'] }));
    assert.deepEqual(calls.orphan, ['rs-1']);
    graph.observe(RS, obj('rs', 'rs-1', { deleting: true, finalizers: ['orphan'] }), obj('rs', 'rs-1', { deleting: true, finalizers: ['orphan'] }));
    assert.deepEqual(calls.orphan, ['rs-1'], 'no second start');

    graph.observe(RS, obj('fg', 'rs-2'));
    graph.observe(POD, obj('p', 'pod-1', { owners: [ref(RS, 'fg', 'rs-2', { blockOwnerDeletion: true })] }));
    calls.del.length = 0;
    graph.observe(RS, obj('fg', 'rs-2', { deleting: true, finalizers: ['foregroundDeletion'] }), obj('fg', 'rs-2'));
    assert.equal(graph.node('rs-2')!.deletingDependents, true);
    assert.deepEqual(calls.del, ['pod-1', 'rs-2']);
  });

  test('a dependent that stops blocking wakes its foreground-deleting owner', () => {
    const { graph, calls } = recorder();
    graph.observe(RS, obj('fg', 'rs-2', { deleting: true, finalizers: ['foregroundDeletion'] }));
    graph.observe(POD, obj('p', 'pod-1', { owners: [ref(RS, 'fg', 'rs-2', { blockOwnerDeletion: true })] }));
    calls.del.length = 0;
    graph.observe(POD, obj('p', 'pod-1', { owners: [ref(RS, 'fg', 'rs-2', { blockOwnerDeletion: false })] }), obj('p', 'pod-1', { owners: [ref(RS, 'fg', 'rs-2', { blockOwnerDeletion: true })] }));
    assert.deepEqual(calls.del, ['rs-2']);
    calls.del.length = 0;
    graph.observeDelete(POD, obj('p', 'pod-1'));
    assert.deepEqual(calls.del, ['rs-2'], 'the owner re-checks when a dependent goes');
  });

  test('an owner observed in another namespace than its dependent is reported and the dependent verified', () => {
    const { graph, calls } = recorder();
    graph.observe(CM, obj('owner', 'cm-1', { namespace: 'a' }));
    graph.observe(CM, obj('child', 'cm-2', { namespace: 'b', owners: [ref(CM, 'owner', 'cm-1')] }));
    assert.deepEqual(calls.invalid, [{ dep: 'cm-2', message: 'ownerRef [v1/ConfigMap, namespace: b, name: owner, uid: cm-1] does not exist in namespace "b"' }]);
    assert.deepEqual(calls.del, ['cm-2']);
  });

  test('the child seen first: observing the owner elsewhere reports it then', () => {
    const { graph, calls } = recorder();
    graph.observe(CM, obj('child', 'cm-2', { namespace: 'b', owners: [ref(CM, 'owner', 'cm-1')] }));
    calls.del.length = 0;
    graph.observe(CM, obj('owner', 'cm-1', { namespace: 'a' }));
    assert.equal(calls.invalid.length, 1);
    assert.deepEqual(calls.del, ['cm-2']);
    assert.equal(graph.node('cm-1')!.identity.namespace, 'a');
  });

  test('cluster-scoped owners may own objects in any namespace', () => {
    const { graph, calls } = recorder();
    graph.observe(NODE, obj('n1', 'node-1', { namespace: '' }));
    graph.observe(POD, obj('p', 'pod-1', { namespace: 'x', owners: [ref(NODE, 'n1', 'node-1')] }));
    graph.observe(POD, obj('q', 'pod-2', { namespace: 'y', owners: [ref(NODE, 'n1', 'node-1')] }));
    assert.equal(calls.invalid.length, 0);
    assert.equal(calls.del.length, 0);
  });

  test('a virtual delete keeps a virtual node that other dependents know under other coordinates', () => {
    const { graph, calls } = recorder();
    graph.observe(POD, obj('a', 'pod-a', { namespace: 'x', owners: [ref(RS, 'rs', 'rs-1')] }));
    graph.observe(POD, obj('b', 'pod-b', { namespace: 'y', owners: [ref(RS, 'rs', 'rs-1')] }));
    const node = graph.node('rs-1')!;
    assert.equal(node.identity.namespace, 'x');
    calls.del.length = 0;
    graph.virtualDelete({ ...node.identity });
    assert.equal(graph.node('rs-1'), node, 'kept for pod-b');
    assert.deepEqual(calls.del, ['pod-a']);
    assert.equal(node.identity.namespace, 'y');
    assert.deepEqual(calls.delLimited, ['rs-1']);
    // pod-a is collected (its owner is verified absent); then the other identity is checked too.
    graph.observeDelete(POD, obj('a', 'pod-a', { namespace: 'x' }));
    graph.virtualDelete({ ...node.identity });
    assert.equal(graph.node('rs-1'), undefined);
    assert.deepEqual(calls.del.sort(), ['pod-a', 'pod-b']);
  });

  test('a virtual delete with other coordinates than the observed object only dangles those references', () => {
    const { graph, calls } = recorder();
    graph.observe(CM, obj('owner', 'u-1'));
    graph.observe(POD, obj('a', 'pod-a', { owners: [ref(CM, 'owner', 'u-1')] }));
    graph.observe(POD, obj('b', 'pod-b', { owners: [ref(CM, 'someone-else', 'u-1')] }));
    calls.del.length = 0;
    graph.virtualDelete({ apiVersion: 'v1', kind: 'ConfigMap', name: 'someone-else', uid: 'u-1', namespace: 'default' });
    assert.ok(graph.node('u-1'));
    assert.deepEqual(calls.del, ['pod-b']);
  });

  test('ownerReference diffs and alternate identities', () => {
    const a = ref(RS, 'a', '1', { blockOwnerDeletion: true });
    const b = ref(RS, 'b', '2');
    const c = ref(RS, 'c', '3');
    const d = referencesDiff([a, b], [{ ...a, blockOwnerDeletion: false }, c]);
    assert.deepEqual(d.added, [c]);
    assert.deepEqual(d.removed, [b]);
    assert.equal(d.changed.length, 1);

    const dep1 = new GraphNode({ apiVersion: 'v1', kind: 'Pod', name: 'p1', uid: 'p1', namespace: 'ns1' }, { observed: true });
    dep1.owners = [ref(CM, 'x', 'u')];
    const dep2 = new GraphNode({ apiVersion: 'v1', kind: 'Pod', name: 'p2', uid: 'p2', namespace: 'ns2' }, { observed: true });
    dep2.owners = [ref(CM, 'x', 'u')];
    const alt = alternateOwnerIdentity([dep1, dep2], { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u', namespace: 'ns1' });
    assert.deepEqual(alt, { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u', namespace: 'ns2' });
  });

  test('the absent-owner cache forgets the least recently used entry', () => {
    const cache = new AbsentOwnerCache(2);
    const id = (uid: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid, namespace: 'default' });
    cache.add(id('a'));
    cache.add(id('b'));
    assert.ok(cache.has(id('a')));
    cache.add(id('c'));
    assert.ok(cache.has(id('a')));
    assert.ok(!cache.has(id('b')));
    assert.ok(cache.has(id('c')));
    assert.ok(!cache.has({ ...id('a'), apiVersion: 'v2' }), 'other coordinates are another entry');
  });
});
