import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES } from '../../api/resources.js';
import { ProtoReader } from '../../api/protobuf/reader.js';
import { groupVersionKey, openApiV2, openApiV2Protobuf, openApiV3Document, openApiV3Root, resetOpenApiCache, setSchemaDocs } from './index.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => v as Json;

test('every resource PATCH advertises its GVK and fieldValidation (what kubectl checks)', () => {
  for (const r of RESOURCES.filter((x) => x.verbs.includes('patch'))) {
    const doc = openApiV3Document(groupVersionKey(r.group, r.version));
    assert.ok(doc);
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const path = `${base}/${r.namespaced ? 'namespaces/{namespace}/' : ''}${r.resource}/{name}`;
    const patch = obj(obj(obj(doc.json.paths)[path]).patch);
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: r.group, kind: r.kind, version: r.version }, path);
    assert.ok((patch.parameters as Json[]).some((p) => p.name === 'fieldValidation' && p.in === 'query'), path);
  }
});

test('v3 components carry GVKs, $ref via allOf, list/patch extensions and required fields', () => {
  const schemas = obj(obj(openApiV3Document('apis/apps/v1')?.json.components).schemas);
  const deploy = obj(schemas['io.k8s.api.apps.v1.Deployment']);
  assert.deepEqual(deploy['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  const props = obj(deploy.properties);
  assert.deepEqual(Object.keys(props), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  assert.deepEqual(obj(props.spec).allOf, [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }]);
  assert.deepEqual(obj(schemas['io.k8s.api.apps.v1.DeploymentSpec']).required, ['selector', 'template']);
  const ports = obj(obj(obj(schemas['io.k8s.api.core.v1.Container']).properties).ports);
  assert.equal(ports['x-kubernetes-list-type'], 'map');
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(ports['x-kubernetes-patch-merge-key'], 'containerPort');
  assert.equal(obj(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector'])['x-kubernetes-map-type'], 'atomic');
  assert.ok(schemas['io.k8s.api.autoscaling.v1.Scale'], 'scale subresource kind is defined');
  assert.equal(obj(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'])['x-kubernetes-int-or-string'], true);
});

test('documents are cached, hashes are stable, and missing docs are tolerated', () => {
  const a = openApiV3Root();
  assert.equal(openApiV3Root(), a, 'cached per process');
  const hash = openApiV3Document('api/v1')?.doc.hash;
  resetOpenApiCache();
  assert.equal(openApiV3Document('api/v1')?.doc.hash, hash, 'same content, same hash');
  setSchemaDocs({});
  resetOpenApiCache();
  const bare = openApiV3Document('api/v1');
  const pod = obj(obj(obj(bare?.json.components).schemas)['io.k8s.api.core.v1.Pod']);
  assert.equal(pod.description, undefined);
  assert.ok(pod.properties, 'the schema is complete without descriptions');
  setSchemaDocs(undefined);
  resetOpenApiCache();
  assert.equal(openApiV3Document('apis/nope/v1'), undefined);
});

test('v2 protobuf is a gnostic Document: swagger, info, paths and definitions', () => {
  const bytes = openApiV2Protobuf().body;
  const seen = new Map<number, number>();
  const r = new ProtoReader(bytes);
  let swagger = '';
  let definitions = 0;
  while (!r.done) {
    const { field, value } = r.next();
    seen.set(field, (seen.get(field) ?? 0) + 1);
    if (field === 1) swagger = Buffer.from(value.value as Uint8Array).toString();
    if (field === 9) {
      const d = new ProtoReader(value.value as Uint8Array);
      while (!d.done) if (d.next().field === 1) definitions++;
    }
  }
  assert.equal(swagger, '2.0');
  assert.deepEqual([...seen.keys()].sort((x, y) => x - y), [1, 2, 8, 9, 12, 13]);
  assert.equal(definitions, Object.keys(obj(openApiV2().json.definitions)).length);
});
