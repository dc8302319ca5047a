import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { deepFreeze } from '../object.js';
import { typeForKind } from '../schema/registry.js';
import { updateManagedFields, managerFromUserAgent, type FieldManagerOptions } from './update-managed-fields.js';
import type { ManagedFieldsEntry } from './managed-fields.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { applyJsonPatch } from './json-patch.js';

const rootType = typeForKind('apps', 'v1', 'Deployment');
const at = (minute: number) => new Date(Date.UTC(2025, 0, 1, 0, minute));
const opts = (manager: string, minute: number, extra: Partial<FieldManagerOptions> = {}): FieldManagerOptions => ({ manager, apiVersion: 'apps/v1', rootType, now: at(minute), ...extra });

const base = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } } },
  status: { replicas: 0 },
});

/** The object as stored after a write: uid set, frozen like a cached object. */
function store(obj: KubeObject): KubeObject {
  return deepFreeze({ ...obj, metadata: { ...obj.metadata, uid: 'u1', resourceVersion: '1' } });
}

const mf = (o: KubeObject) => (o.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
const managers = (o: KubeObject) => mf(o).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`);
const fieldsOf = (o: KubeObject, manager: string) => mf(o).find((e) => e.manager === manager)?.fieldsV1 as Record<string, Record<string, unknown>> | undefined;

function write(live: KubeObject, edit: (o: KubeObject) => void, o: FieldManagerOptions): KubeObject {
  const next = structuredClone(live) as KubeObject;
  edit(next);
  return store(updateManagedFields(live, next, o));
}

test('updates move changed fields to the writer and take them from others', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const scaled = write(created, (o) => ((o.spec as { replicas: number }).replicas = 3), opts('scaler', 1));
  assert.deepEqual(managers(scaled), ['creator/Update', 'scaler/Update']);
  assert.deepEqual(fieldsOf(scaled, 'scaler'), { 'f:spec': { 'f:replicas': {} } });
  assert.ok(!('f:replicas' in (fieldsOf(scaled, 'creator')?.['f:spec'] ?? {})));
  assert.equal(mf(scaled).find((e) => e.manager === 'scaler')?.time, '2025-01-01T00:01:00Z');
  assert.equal(mf(scaled).find((e) => e.manager === 'creator')?.time, '2025-01-01T00:00:00Z');
});

test('a write that changes nothing keeps entries and times untouched', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const next = structuredClone(created);
  const same = updateManagedFields(created, next, opts('creator', 5));
  assert.deepEqual(mf(same), mf(created));
  assert.equal(mf(same)[0], mf(next)[0], 'unchanged entries are reused as they were');
});

test('the writer\'s own entry is merged and its time bumped', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const relabeled = write(created, (o) => ((o.metadata as { labels: Record<string, string> }).labels.tier = 'fe'), opts('creator', 2));
  assert.deepEqual(managers(relabeled), ['creator/Update']);
  assert.deepEqual(fieldsOf(relabeled, 'creator')?.['f:metadata'], { 'f:labels': { '.': {}, 'f:app': {}, 'f:tier': {} } });
  assert.equal(mf(relabeled)[0]?.time, '2025-01-01T00:02:00Z');
});

test('removed fields leave every manager', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const removed = write(created, (o) => delete (o.metadata as { labels?: unknown }).labels, opts('editor', 1));
  assert.equal(fieldsOf(removed, 'creator')?.['f:metadata'], undefined);
  assert.deepEqual(managers(removed), ['creator/Update'], 'a write that only removes records no entry');
});

test('status is nobody\'s on the main resource and the subresource gets its own entry', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0, { resetPaths: [['status']] })));
  assert.equal(fieldsOf(created, 'creator')?.['f:status'], undefined);
  const status = write(created, (o) => ((o.status as { replicas: number }).replicas = 1), opts('deployment-controller', 1, { subresource: 'status', resetPaths: [['spec']] }));
  assert.deepEqual(managers(status), ['creator/Update', 'deployment-controller/Update/status']);
  assert.deepEqual(fieldsOf(status, 'deployment-controller'), { 'f:status': { 'f:replicas': {} } });
});

test('managedFields sent by the client are used when valid, ignored when invalid, reset by [] or [{}]', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const rewritten: ManagedFieldsEntry[] = [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
  // kubectl's csaupgrade: a JSON patch replacing managedFields.
  const upgraded = store(updateManagedFields(created, applyJsonPatch(created, [{ op: 'replace', path: '/metadata/managedFields', value: rewritten }]), opts('kubectl', 1)));
  assert.deepEqual(mf(upgraded), rewritten);

  const invalid = updateManagedFields(created, { ...created, metadata: { ...created.metadata, managedFields: [{ manager: 'x', operation: 'Bogus' } as ManagedFieldsEntry] } }, opts('x', 1));
  assert.deepEqual(mf(invalid), mf(created));

  for (const reset of [[], [{}]]) {
    const cleared = store(updateManagedFields(created, { ...created, metadata: { ...created.metadata, managedFields: reset as ManagedFieldsEntry[] } }, opts('x', 1)));
    assert.equal(cleared.metadata?.managedFields, undefined);
    // An existing untracked object stays untracked until it is applied.
    const later = write(cleared, (o) => ((o.spec as { replicas: number }).replicas = 4), opts('y', 2));
    assert.equal(later.metadata?.managedFields, undefined);
  }
});

test('a subresource write ignores managedFields in the request', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const next = { ...structuredClone(created), metadata: { ...created.metadata, managedFields: [] }, status: { replicas: 2 } } as KubeObject;
  const out = updateManagedFields(created, next, opts('ctrl', 1, { subresource: 'status' }));
  assert.deepEqual(managers(out), ['creator/Update', 'ctrl/Update/status']);
});

test('more than ten Update managers: the oldest are merged into ancient-changes', () => {
  let obj = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  for (let i = 1; i <= 11; i++) obj = write(obj, (o) => ((o.metadata as { labels: Record<string, string> }).labels[`l${i}`] = 'x'), opts(`m${i}`, i));
  const names = managers(obj);
  assert.equal(names.length, 10);
  assert.ok(names.includes('ancient-changes/Update'));
  // Capped after m10 (creator+m1 → bucket) and after m11 (m2 joins it, bucket takes m2's time).
  assert.ok(!names.includes('creator/Update') && !names.includes('m1/Update') && !names.includes('m2/Update'));
  const bucket = mf(obj).find((e) => e.manager === 'ancient-changes');
  assert.equal(bucket?.time, '2025-01-01T00:02:00Z');
  assert.ok('f:l1' in ((bucket?.fieldsV1 as Record<string, Record<string, object>>)['f:metadata']?.['f:labels'] ?? {}));
});

test('strategic merge patch + bookkeeping: kubectl set image only takes the image', () => {
  const created = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const patched = applyStrategicMergePatch(created, { spec: { template: { spec: { containers: [{ name: 'c', image: 'v2' }] } } } }, rootType);
  const out = updateManagedFields(created, patched, opts('kubectl-set', 1));
  assert.deepEqual(fieldsOf(out, 'kubectl-set'), { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } } } });
});

test('never modifies its inputs and never throws', () => {
  const live = store(updateManagedFields(undefined, base(), opts('creator', 0)));
  const next = deepFreeze({ ...structuredClone(live), spec: 'not an object' } as KubeObject);
  const out = updateManagedFields(live, next, opts('weird', 1));
  assert.ok(Array.isArray(out.metadata?.managedFields));
});

test('managerFromUserAgent keeps the product token', () => {
  assert.equal(managerFromUserAgent('kubectl/v1.32.5 (linux/amd64) kubernetes/abc'), 'kubectl');
  assert.equal(managerFromUserAgent('my\u0007tool/1'), 'mytool');
  assert.equal(managerFromUserAgent('x'.repeat(200)).length, 128);
});
