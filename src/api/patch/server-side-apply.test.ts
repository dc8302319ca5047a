import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../object.js';
import { deepFreeze } from '../object.js';
import { typeForKind } from '../schema/registry.js';
import { serverSideApply, parseApplyPatch, buildLastApplied, LAST_APPLIED_ANNOTATION, type ServerSideApplyOptions } from './server-side-apply.js';
import { updateManagedFields } from './update-managed-fields.js';
import type { ManagedFieldsEntry } from './managed-fields.js';
import { assertStatus } from './testdata-assert.js';

const GVK = { group: 'apps', version: 'v1', kind: 'Deployment' };
const rootType = typeForKind('apps', 'v1', 'Deployment');
const T0 = new Date('2025-01-01T00:00:00Z');
const T1 = new Date('2025-01-01T00:01:00Z');
const T2 = new Date('2025-01-01T00:02:00Z');

function deployment(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', ...meta },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } },
      ...spec,
    },
  };
}

/** What the API server would store: the object plus the identity fields the registry sets. */
function stored(obj: KubeObject): KubeObject {
  const meta = { ...(obj.metadata ?? {}) };
  meta.uid ??= 'uid-1';
  meta.resourceVersion = '1';
  return deepFreeze({ ...obj, metadata: meta });
}

function apply(live: KubeObject | undefined, applied: unknown, manager: string, extra: Partial<ServerSideApplyOptions> = {}) {
  return serverSideApply({ live, applied: deepFreeze(structuredClone(applied)), manager, gvk: GVK, rootType, now: T1, ...extra });
}

const entries = (o: KubeObject) => (o.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
const entry = (o: KubeObject, manager: string) => entries(o).find((e) => e.manager === manager);
const spec = (o: KubeObject) => o.spec as Record<string, unknown> & { replicas?: number; template: { spec: { containers: Array<Record<string, unknown>> } } };

test('create through apply records one Apply entry with the fields sent, in fieldsV1 encoding', () => {
  const r = apply(undefined, deployment({ replicas: 2 }), 'kubectl');
  assert.equal(r.changed, true);
  assert.equal(spec(r.object).replicas, 2);
  assert.deepEqual(r.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: '2025-01-01T00:01:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } },
          },
        },
      },
    },
  ]);
  assert.deepEqual(r.object.metadata?.managedFields, r.managedFields);
});

test('create through a write (kubectl-client-side-apply) records an Update entry; maps and new lists carry "."', () => {
  const obj = deployment({ replicas: 2, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } } }, { labels: { app: 'web' } });
  const out = updateManagedFields(undefined, obj, { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', rootType, now: T0 });
  assert.deepEqual(entries(out), [
    {
      manager: 'kubectl-client-side-apply',
      operation: 'Update',
      apiVersion: 'apps/v1',
      time: '2025-01-01T00:00:00Z',
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                '.': {},
                'k:{"name":"nginx"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { '.': {}, 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                },
              },
            },
          },
        },
      },
    },
  ]);
});

test('two appliers on one Deployment\'s replicas: 409 without force, ownership moves with force', () => {
  const first = stored(apply(undefined, deployment({ replicas: 3 }), 'alice').object);
  const err = assertStatus(() => apply(first, deployment({ replicas: 5 }), 'bob'), 409, 'Conflict');
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas');
  assert.deepEqual(err.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.replicas' }]);

  // Same value: shared ownership, no conflict.
  const shared = stored(apply(first, deployment({ replicas: 3 }), 'bob').object);
  assert.ok(entry(shared, 'alice')?.fieldsV1 && 'f:replicas' in (entry(shared, 'alice')?.fieldsV1 as { 'f:spec': object })['f:spec']);

  const forced = stored(apply(first, deployment({ replicas: 5 }), 'bob', { force: true }).object);
  assert.equal(spec(forced).replicas, 5);
  assert.ok(!('f:replicas' in (entry(forced, 'alice')?.fieldsV1 as { 'f:spec': object })['f:spec']));
  assert.ok('f:replicas' in (entry(forced, 'bob')?.fieldsV1 as { 'f:spec': object })['f:spec']);

  // alice no longer owns replicas, so dropping it from her config leaves bob's value alone.
  const { replicas: _, ...aliceSpec } = spec(deployment({ replicas: 3 }));
  const again = apply(forced, { ...deployment(), spec: aliceSpec }, 'alice');
  assert.equal(spec(again.object).replicas, 5);
});

test('several conflicts are grouped by manager in Kubernetes\' wording', () => {
  const first = stored(apply(undefined, deployment({ replicas: 3, minReadySeconds: 1 }), 'alice').object);
  const err = assertStatus(() => apply(first, deployment({ replicas: 5, minReadySeconds: 2 }), 'bob'), 409, 'Conflict');
  assert.equal(err.message, 'Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.minReadySeconds\n- .spec.replicas');
  assert.equal(err.details?.causes?.length, 2);
});

test('client-side apply vs server-side apply: Update owners conflict "using apps/v1"', () => {
  const csa = updateManagedFields(undefined, deployment({ replicas: 2 }), { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', rootType, now: T0 });
  const live = stored(csa);
  const err = assertStatus(() => apply(live, deployment({ replicas: 4 }), 'my-tool'), 409, 'Conflict');
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  assert.deepEqual(err.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
});

test('kubectl apply --server-side takes over fields its last client-side apply set (upgrade path)', () => {
  const manifest = deployment({ replicas: 2 });
  const annotated = { ...manifest, metadata: { ...(manifest.metadata as object), annotations: { [LAST_APPLIED_ANNOTATION]: buildLastApplied(manifest) } } };
  const live = stored(updateManagedFields(undefined, annotated, { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', rootType, now: T0 }));

  const r = apply(live, deployment({ replicas: 4 }), 'kubectl');
  assert.equal(spec(r.object).replicas, 4);
  assert.ok('f:replicas' in (entry(r.object, 'kubectl')?.fieldsV1 as { 'f:spec': object })['f:spec']);
  // LastAppliedUpdater rewrote the annotation to the new configuration.
  const ann = (r.object.metadata?.annotations ?? {})[LAST_APPLIED_ANNOTATION] ?? '';
  assert.equal(JSON.parse(ann).spec.replicas, 4);
  assert.ok(ann.endsWith('\n'));

  // A field changed since the last client-side apply is a real conflict even for kubectl.
  const scaled = stored(updateManagedFields(live, { ...live, spec: { ...spec(live), replicas: 7 } } as KubeObject, { manager: 'kube-scaler', apiVersion: 'apps/v1', rootType, now: T1 }));
  const err = assertStatus(() => apply(scaled, deployment({ replicas: 4 }), 'kubectl'), 409, 'Conflict');
  assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kube-scaler" using apps/v1: .spec.replicas');
});

test('the second kubectl-last-applied apply (annotation only) keeps every other field', () => {
  const manifest = deployment({ replicas: 2 });
  const lastApplied = buildLastApplied(manifest);
  const annotated = { ...manifest, metadata: { ...(manifest.metadata as object), annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } } };
  const live = stored(updateManagedFields(undefined, annotated, { manager: 'kubectl-client-side-apply', apiVersion: 'apps/v1', rootType, now: T0 }));
  const afterSsa = stored(apply(live, deployment({ replicas: 2 }), 'kubectl').object);

  const body = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', annotations: { [LAST_APPLIED_ANNOTATION]: lastApplied } } };
  const r = apply(afterSsa, body, 'kubectl-last-applied');
  assert.deepEqual(r.object.spec, afterSsa.spec);
  assert.deepEqual(entry(r.object, 'kubectl-last-applied')?.fieldsV1, { 'f:metadata': { 'f:annotations': { [`f:${LAST_APPLIED_ANNOTATION}`]: {} } } });
  assert.ok(entry(r.object, 'kubectl'));
  // Re-running it changes nothing.
  const again = apply(stored(r.object), body, 'kubectl-last-applied', { now: T2 });
  assert.equal(again.changed, false);
  assert.deepEqual(again.object.spec, afterSsa.spec);
});

test('fields the applier no longer applies are removed unless someone else owns them', () => {
  const live = stored(apply(undefined, deployment({}, { labels: { a: '1', b: '2', c: '3' } }), 'alice').object);
  // bob (Update) changes label c: he owns it now.
  const touched = stored(updateManagedFields(live, { ...live, metadata: { ...live.metadata, labels: { a: '1', b: '2', c: 'bob' } } }, { manager: 'bob', apiVersion: 'apps/v1', rootType, now: T1 }));
  // carol applies label a as well: shared.
  const shared = stored(apply(touched, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { a: '1' } } }, 'carol').object);
  const r = apply(shared, deployment({}, { labels: {} }), 'alice', { now: T2 });
  assert.deepEqual(r.object.metadata?.labels, { a: '1', c: 'bob' });

  // Removing a container alice applied drops it; removing everything empties the list.
  const two = stored(apply(undefined, deployment({ template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } } }), 'alice').object);
  const one = apply(two, deployment({ template: { spec: { containers: [{ name: 'b', image: 'y' }] } } }), 'alice');
  assert.deepEqual(spec(one.object).template.spec.containers, [{ name: 'b', image: 'y' }]);
});

test('apply merges lists by key and keeps fields it does not mention', () => {
  const live = stored(
    updateManagedFields(undefined, deployment({ replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x', args: ['1'] }, { name: 'b', image: 'y' }] } } }), {
      manager: 'creator',
      apiVersion: 'apps/v1',
      rootType,
      now: T0,
    }),
  );
  const r = apply(live, deployment({ template: { spec: { containers: [{ name: 'b', image: 'y' }, { name: 'c', image: 'z', ports: [{ containerPort: 80 }] }] } } }), 'alice');
  assert.deepEqual(spec(r.object).template.spec.containers, [
    { name: 'a', image: 'x', args: ['1'] },
    { name: 'b', image: 'y' },
    { name: 'c', image: 'z', ports: [{ containerPort: 80 }] },
  ]);
  assert.equal(spec(r.object).replicas, 1);
});

test('an object without managedFields gets before-first-apply on its first apply', () => {
  const live = stored(deployment({ replicas: 1 }) as KubeObject);
  const r = apply(live, deployment({ replicas: 1 }), 'alice');
  const names = entries(r.object).map((e) => `${e.manager}/${e.operation}`);
  assert.deepEqual(names, ['alice/Apply', 'before-first-apply/Update']);
});

test('bad apply bodies', () => {
  assert.equal(assertStatus(() => apply(undefined, { ...deployment(), kind: 'ReplicaSet' }, 'a'), 400, 'BadRequest').message, 'invalid object type: apps/v1, Kind=ReplicaSet');
  assert.equal(assertStatus(() => apply(undefined, { kind: 'Deployment' }, 'a'), 400, 'BadRequest').message, 'invalid object type: /, Kind=Deployment');
  assert.equal(
    assertStatus(() => apply(undefined, deployment({}, { managedFields: [] }), 'a'), 400, 'BadRequest').message,
    'metadata.managedFields must be nil',
  );
  const dup = deployment({ template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } });
  assert.equal(
    assertStatus(() => apply(undefined, dup, 'a'), 500, '').message,
    'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]',
  );
  const noKey = deployment({ template: { spec: { containers: [{ name: 'a', ports: [{ name: 'http' }] }] } } });
  assert.match(
    assertStatus(() => apply(undefined, noKey, 'a'), 500, '').message,
    /\.spec\.template\.spec\.containers\[name="a"\]\.ports: element 0: associative list with keys has an element that omits key field "containerPort" \(and doesn't have default value\)$/,
  );
});

test('parseApplyPatch reads JSON and YAML like sigs.k8s.io/yaml', () => {
  assert.deepEqual(parseApplyPatch('{"kind":"Deployment","spec":{"replicas":2}}'), { kind: 'Deployment', spec: { replicas: 2 } });
  assert.deepEqual(parseApplyPatch('kind: Deployment\nspec:\n  paused: yes\n  replicas: 2\n'), { kind: 'Deployment', spec: { paused: true, replicas: 2 } });
  assertStatus(() => parseApplyPatch('a: [1'), 400, 'BadRequest');
  assertStatus(() => parseApplyPatch('- 1\n- 2\n'), 400, 'BadRequest');
  assertStatus(() => parseApplyPatch('a: 1\na: 2\n', { strict: true }), 400, 'BadRequest');
});
