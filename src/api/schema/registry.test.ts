import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES } from '../resources.js';
import { allTypes, effectiveListType, fieldOf, getType, protoFieldsOf, typeForKind, walkPath } from './registry.js';

test('every served kind and list kind has a schema with metadata', () => {
  for (const r of RESOURCES) {
    for (const kind of r.verbs.includes('list') ? [r.kind, r.listKind] : [r.kind]) {
      const t = typeForKind(r.group, r.version, kind);
      assert.ok(t, `no schema for ${r.group}/${r.version} ${kind}`);
      assert.ok(fieldOf(t, 'metadata'), `${kind} has no metadata field`);
      assert.ok(t.gvk?.some((g) => g.kind === kind && g.group === r.group));
    }
  }
  assert.equal(typeForKind('autoscaling', 'v1', 'Scale')?.name, 'io.k8s.api.autoscaling.v1.Scale');
  assert.equal(typeForKind('policy', 'v1', 'Eviction')?.name, 'io.k8s.api.policy.v1.Eviction');
  assert.equal(typeForKind('batch', 'v1', 'DeleteOptions')?.name, 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
});

test('wire facts: protobuf numbers and JSON names match upstream for well-known fields', () => {
  const podSpec = 'io.k8s.api.core.v1.PodSpec';
  assert.equal(fieldOf(podSpec, 'containers')?.tag, 2);
  assert.equal(fieldOf(podSpec, 'initContainers')?.tag, 20);
  assert.equal(fieldOf(podSpec, 'resources')?.tag, 40); // pod-level resources (1.32+)
  assert.equal(fieldOf('io.k8s.api.core.v1.Lifecycle', 'stopSignal')?.tag, 3); // 1.33
  assert.equal(fieldOf('io.k8s.api.core.v1.ServiceSpec', 'trafficDistribution')?.tag, 23);
  const om = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
  assert.deepEqual(
    ['name', 'generateName', 'namespace', 'annotations', 'ownerReferences'].map((n) => fieldOf(om, n)?.tag),
    [1, 2, 3, 12, 13],
  );
  assert.equal(fieldOf('io.k8s.api.core.v1.DaemonEndpoint', 'Port')?.tag, 1); // upstream's capitalised JSON name
});

test('inline embeddings are flattened for JSON and nested for protobuf', () => {
  const vol = 'io.k8s.api.core.v1.Volume';
  assert.equal(fieldOf(vol, 'emptyDir')?.type, 'io.k8s.api.core.v1.EmptyDirVolumeSource');
  assert.equal(fieldOf(vol, 'volumeSource'), undefined);
  assert.equal(protoFieldsOf(vol).get(2)?.inline, true);
  assert.equal(fieldOf('io.k8s.api.core.v1.Probe', 'httpGet')?.type, 'io.k8s.api.core.v1.HTTPGetAction');
  assert.equal(fieldOf('io.k8s.api.core.v1.ConfigMapKeySelector', 'name')?.type, 'string');
  assert.equal(fieldOf('io.k8s.api.core.v1.EphemeralContainer', 'targetContainerName')?.tag, 2);
});

test('patch strategies, merge keys and list types', () => {
  const c = 'io.k8s.api.core.v1.Container';
  assert.deepEqual(
    { s: fieldOf(c, 'env')?.patchStrategy, k: fieldOf(c, 'env')?.patchMergeKey },
    { s: 'merge', k: 'name' },
  );
  assert.deepEqual(effectiveListType(fieldOf(c, 'ports')!), { listType: 'map', keys: ['containerPort', 'protocol'] });
  assert.equal(fieldOf('io.k8s.api.core.v1.PodSpec', 'volumes')?.patchStrategy, 'merge,retainKeys');
  assert.equal(fieldOf('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')?.patchStrategy, 'retainKeys');
  assert.deepEqual(effectiveListType(fieldOf('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')!), { listType: 'set', keys: [] });
  assert.deepEqual(effectiveListType(fieldOf('io.k8s.api.core.v1.PodSpec', 'tolerations')!), { listType: 'atomic', keys: [] });
  assert.equal(getType('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector')?.mapType, 'atomic');
  assert.equal(fieldOf('io.k8s.api.core.v1.PodSpec', 'nodeSelector')?.mapType, 'atomic');
});

test('walkPath follows JSON names through lists, maps and inline types', () => {
  const d = 'io.k8s.api.apps.v1.Deployment';
  const r = walkPath(d, ['spec', 'template', 'spec', 'containers', 0, 'ports']);
  assert.equal(r?.field?.patchMergeKey, 'containerPort');
  assert.equal(r?.node.kind, 'list');
  const v = walkPath(d, ['spec', 'template', 'spec', 'volumes', 0, 'configMap', 'items']);
  assert.equal(v?.node.kind === 'list' && v.node.element.kind === 'object' ? v.node.element.type.name : '', 'io.k8s.api.core.v1.KeyToPath');
  const q = walkPath(d, ['spec', 'template', 'spec', 'containers', 0, 'resources', 'limits', 'cpu']);
  assert.deepEqual(q?.node, { kind: 'scalar', type: 'Quantity' });
  assert.equal(walkPath(d, ['spec', 'nope']), undefined);
});

test('tables are internally consistent: unique tags and JSON names per type', () => {
  for (const t of allTypes()) {
    const tags = new Set<number>();
    const names = new Set<string>();
    for (const f of t.fields) {
      assert.ok(!tags.has(f.tag), `${t.name}: duplicate tag ${f.tag}`);
      assert.ok(!names.has(f.name), `${t.name}: duplicate field ${f.name}`);
      tags.add(f.tag);
      names.add(f.name);
      if (f.listMapKeys) assert.ok(f.list, `${t.name}.${f.name}: list-map keys on a non-list`);
    }
  }
});
