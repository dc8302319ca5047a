import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/object.js';
import { create, resourceOf, update, updateStatus } from './test-helpers.js';

const RS = resourceOf('apps', 'ReplicaSet');
const DEPLOY = resourceOf('apps', 'Deployment');
const STS = resourceOf('apps', 'StatefulSet');
const DS = resourceOf('apps', 'DaemonSet');
const CR = resourceOf('apps', 'ControllerRevision');

const template = (labels: Record<string, string> = { app: 'web' }, spec: Record<string, unknown> = {}) => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }], ...spec },
});
const workload = (kind: string, spec: Record<string, unknown>, name = 'web'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec },
});

test('Deployment defaults and create preparation', () => {
  const { obj, errors } = create(DEPLOY, workload('Deployment', {}));
  assert.deepEqual(errors, []);
  const spec = obj.spec as Record<string, unknown> & { template: { spec: Record<string, unknown> & { containers: Array<Record<string, unknown>> } } };
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.equal(spec.template.spec.restartPolicy, 'Always');
  assert.equal(spec.template.spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.template.spec.enableServiceLinks, undefined, 'templates do not get pod-only defaults');
  assert.equal(spec.template.spec.serviceAccountName, undefined, 'no service account admission for templates');
  assert.equal(spec.template.spec.containers[0]?.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(obj.status, {});
  assert.equal(obj.metadata?.generation, 1);
  const recreate = create(DEPLOY, workload('Deployment', { strategy: { type: 'Recreate' } })).obj;
  assert.deepEqual((recreate.spec as { strategy: unknown }).strategy, { type: 'Recreate' });
});

test('StatefulSet, DaemonSet, ReplicaSet defaults', () => {
  const sts = create(STS, workload('StatefulSet', { serviceName: 'web', volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } }] }));
  assert.deepEqual(sts.errors, []);
  const s = sts.obj.spec as Record<string, unknown>;
  assert.equal(s.podManagementPolicy, 'OrderedReady');
  assert.deepEqual(s.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
  assert.deepEqual(s.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
  assert.equal(s.replicas, 1);
  assert.equal(s.revisionHistoryLimit, 10);
  assert.deepEqual(s.volumeClaimTemplates, [
    { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } },
  ]);
  const onDelete = create(STS, workload('StatefulSet', { updateStrategy: { type: 'OnDelete' } })).obj;
  assert.deepEqual((onDelete.spec as { updateStrategy: unknown }).updateStrategy, { type: 'OnDelete' });

  const ds = create(DS, workload('DaemonSet', {}));
  assert.deepEqual(ds.errors, []);
  assert.deepEqual((ds.obj.spec as { updateStrategy: unknown }).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal((ds.obj.spec as { revisionHistoryLimit: number }).revisionHistoryLimit, 10);
  assert.equal(ds.obj.metadata?.annotations?.['deprecated.daemonset.template.generation'], '1');

  const rs = create(RS, workload('ReplicaSet', {}));
  assert.deepEqual(rs.errors, []);
  assert.equal((rs.obj.spec as { replicas: number }).replicas, 1);
});

test('workload validation messages', () => {
  const cases: Array<[KubeObject, string[]]> = [
    [
      workload('Deployment', { template: template({ app: 'x' }) }),
      ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`'],
    ],
    // A nil selector selects nothing, so upstream also reports the template mismatch.
    [
      workload('Deployment', { selector: undefined }),
      ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`'],
    ],
    [
      workload('Deployment', { selector: {}, template: template() }),
      ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment'],
    ],
    [workload('Deployment', { replicas: -1 }), ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    [workload('Deployment', { template: template({ app: 'web' }, { restartPolicy: 'Never' }) }), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
    [
      workload('Deployment', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
    ],
    [
      workload('Deployment', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } }),
      ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%'],
    ],
    [
      workload('Deployment', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'lots' } } }),
      ["spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"lots\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"],
    ],
    [workload('Deployment', { strategy: { type: 'Recreate', rollingUpdate: {} } }), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]],
    [workload('Deployment', { progressDeadlineSeconds: 5, minReadySeconds: 10 }), ['spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds']],
    [workload('ReplicaSet', { template: template({ app: 'web' }, { activeDeadlineSeconds: 5 }) }), ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported']],
    [workload('StatefulSet', { podManagementPolicy: 'Random' }), ["spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"]],
    [
      workload('StatefulSet', { persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep', whenScaled: 'Retain' } }),
      ['spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"'],
    ],
    [workload('DaemonSet', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } }), ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero']],
    [workload('DaemonSet', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } }), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']],
    [workload('DaemonSet', { template: template({ app: 'web' }, { restartPolicy: 'OnFailure' }) }), ['spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"']],
    [workload('DaemonSet', { template: template({ app: 'web' }, { activeDeadlineSeconds: 5 }) }), ['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported']],
    [workload('DaemonSet', { selector: undefined }), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']],
  ];
  for (const [obj, want] of cases) {
    const r = resourceOf('apps', obj.kind ?? '');
    assert.deepEqual(create(r, obj).errors, want, `${obj.kind} ${JSON.stringify(obj.spec)}`);
  }
  assert.match(create(STS, workload('StatefulSet', {}, 'web.v1')).errors[0] ?? '', /^metadata\.name: Invalid value: "web\.v1": must not contain dots$/);
});

test('selectors are immutable; generation follows spec (and Deployment annotations)', () => {
  const old = create(DEPLOY, workload('Deployment', {})).obj;
  const moved = structuredClone(old);
  (moved.spec as { selector: unknown; template: unknown }).selector = { matchLabels: { app: 'y' } };
  (moved.spec as { template: unknown }).template = template({ app: 'y' });
  assert.deepEqual(update(DEPLOY, old, moved).errors, [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const scaled = structuredClone(old);
  (scaled.spec as { replicas: number }).replicas = 3;
  scaled.status = { replicas: 99 };
  const r = update(DEPLOY, old, scaled);
  assert.deepEqual(r.errors, []);
  assert.equal(r.obj.metadata?.generation, 2);
  assert.deepEqual(r.obj.status, {}, 'status kept from the stored object');
  const annotated = structuredClone(old);
  (annotated.metadata ??= {}).annotations = { note: 'x' };
  assert.equal(update(DEPLOY, old, annotated).generationBumped, true);
  const labelled = structuredClone(old);
  (labelled.metadata ??= {}).labels = { team: 'a' };
  assert.equal(update(DEPLOY, old, labelled).generationBumped, false);

  const rsOld = create(RS, workload('ReplicaSet', {})).obj;
  const rsAnnotated = structuredClone(rsOld);
  (rsAnnotated.metadata ??= {}).annotations = { note: 'x' };
  assert.equal(update(RS, rsOld, rsAnnotated).generationBumped, false, 'ReplicaSets bump on spec only');
});

test('StatefulSet updates are limited to the mutable fields', () => {
  const old = create(STS, workload('StatefulSet', { serviceName: 'web' })).obj;
  const ok = structuredClone(old);
  Object.assign(ok.spec as object, { replicas: 5, minReadySeconds: 3, updateStrategy: { type: 'OnDelete' }, template: template({ app: 'web' }, { containers: [{ name: 'c', image: 'nginx:2' }] }) });
  assert.deepEqual(update(STS, old, ok).errors, []);
  const bad = structuredClone(old);
  (bad.spec as { serviceName: string }).serviceName = 'other';
  assert.deepEqual(update(STS, old, bad).errors, [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test('DaemonSet template generation advances only with the template', () => {
  const old = create(DS, workload('DaemonSet', {})).obj;
  (old.metadata ??= {}).generation = 1;
  const same = structuredClone(old);
  (same.metadata ??= {}).annotations = { 'deprecated.daemonset.template.generation': '7' };
  (same.spec as { minReadySeconds: number }).minReadySeconds = 5;
  const a = update(DS, old, same);
  assert.equal(a.obj.metadata?.annotations?.['deprecated.daemonset.template.generation'], '1');
  assert.equal(a.obj.metadata?.generation, 2);
  const changed = structuredClone(old);
  (changed.spec as { template: unknown }).template = template({ app: 'web' }, { containers: [{ name: 'c', image: 'nginx:2' }] });
  const b = update(DS, old, changed);
  assert.equal(b.obj.metadata?.annotations?.['deprecated.daemonset.template.generation'], '2');
  assert.equal(b.generationBumped, true);
  assert.deepEqual(b.errors, []);
});

test('status subresource: spec kept, counters validated', () => {
  const old = create(RS, workload('ReplicaSet', { replicas: 2 })).obj;
  const next = structuredClone(old);
  (next.spec as { replicas: number }).replicas = 10;
  next.status = { replicas: 2, readyReplicas: 3, availableReplicas: 1, observedGeneration: 1 };
  const r = updateStatus(RS, old, next);
  assert.equal((r.obj.spec as { replicas: number }).replicas, 2);
  assert.deepEqual(r.errors, ['status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas']);
  const dOld = create(DEPLOY, workload('Deployment', {})).obj;
  dOld.status = { collisionCount: 2 };
  const dNext = structuredClone(dOld);
  dNext.status = { collisionCount: 1 };
  (dNext.metadata ??= {}).labels = { changed: 'yes' };
  const d = updateStatus(DEPLOY, dOld, dNext);
  assert.deepEqual(d.errors, ['status.collisionCount: Invalid value: 1: cannot be decremented']);
  assert.equal(d.obj.metadata?.labels, undefined, 'Deployment status writes do not change labels');
});

test('ControllerRevision: data immutable, revision may change', () => {
  const old = create(CR, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-abc' }, data: { spec: { template: {} } }, revision: 1 });
  assert.deepEqual(old.errors, []);
  assert.deepEqual(create(CR, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'x' }, revision: 1 }).errors, ['data: Required value: data is mandatory']);
  const renumbered = { ...structuredClone(old.obj), revision: 5 };
  assert.deepEqual(update(CR, old.obj, renumbered).errors, []);
  const edited = { ...structuredClone(old.obj), data: { spec: { template: { x: 1 } } } };
  assert.match(update(CR, old.obj, edited).errors[0] ?? '', /^data: Invalid value: .*: field is immutable$/);
});
