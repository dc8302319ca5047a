import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkObject, pruneUnknownFields, validateFields } from './strict.js';
import { StatusError } from '../errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests poke into untyped JSON fixtures
type Json = any;

const RS = { group: 'apps', version: 'v1', kind: 'ReplicaSet' };
const DEPLOY = { group: 'apps', version: 'v1', kind: 'Deployment' };

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, annotations: { a: 'b' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx',
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: '100m', memory: 128974848 } },
              env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              readinessProbe: { httpGet: { path: '/', port: 'http' } },
            },
          ],
          volumes: [{ name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'k', path: 'p' }] } }],
        },
      },
    },
  };
}

test('a valid Deployment has no unknown fields or type errors (inline VolumeSource, IntOrString, Quantity)', () => {
  assert.deepEqual(checkObject(DEPLOY, deployment()), { unknownFields: [], typeErrors: [] });
});

test('unknown fields are reported with Kubernetes paths, including list indices', () => {
  const d = deployment();
  const spec = d.spec as Record<string, Json>;
  spec.foo = 1;
  spec.template.spec.containers[0].bogus = true;
  spec.template.spec.containers[0].ports[0].containerPorts = 80;
  (d.metadata as Record<string, unknown>).replicas = 3;
  assert.deepEqual(checkObject(DEPLOY, d).unknownFields, [
    'metadata.replicas',
    'spec.template.spec.containers[0].ports[0].containerPorts',
    'spec.template.spec.containers[0].bogus',
    'spec.foo', // document order, as the decoder meets them
  ]);
});

test('Strict mode: 400 with the upstream message, several fields joined with ", "', () => {
  const d = deployment();
  (d.spec as Record<string, unknown>).replicass = 1;
  (d.spec as Record<string, unknown>).foo = 1;
  assert.throws(
    () => validateFields(DEPLOY, d, 'Strict'),
    (err: unknown) =>
      err instanceof StatusError &&
      err.code === 400 &&
      err.reason === 'BadRequest' &&
      err.message ===
        'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicass", unknown field "spec.foo"',
  );
});

test('Warn mode prunes and returns warnings; Ignore prunes silently', () => {
  const d = deployment();
  (d.spec as Record<string, unknown>).foo = 1;
  assert.deepEqual(validateFields(DEPLOY, d, 'Warn'), { warnings: ['unknown field "spec.foo"'] });
  assert.equal('foo' in (d.spec as object), false);
  const e = deployment();
  (e.spec as Record<string, unknown>).foo = 1;
  assert.deepEqual(validateFields(DEPLOY, e, 'Ignore'), { warnings: [] });
  assert.equal('foo' in (e.spec as object), false);
});

test('type errors are 400 in every mode, worded like Go encoding/json', () => {
  const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'x' }, spec: { replicas: 'three', selector: {} } };
  assert.deepEqual(checkObject(RS, rs).typeErrors, [
    'json: cannot unmarshal string into Go struct field ReplicaSetSpec.spec.replicas of type int32',
  ]);
  for (const mode of ['Ignore', 'Warn', 'Strict'] as const) {
    assert.throws(
      () => validateFields(RS, structuredClone(rs), mode),
      (err: unknown) =>
        err instanceof StatusError &&
        err.code === 400 &&
        err.message ===
          'ReplicaSet in version "v1" cannot be handled as a ReplicaSet: json: cannot unmarshal string into Go struct field ReplicaSetSpec.spec.replicas of type int32',
    );
  }
  const pod = { metadata: { labels: ['x'] }, spec: { containers: { name: 'a' }, hostNetwork: 'yes', activeDeadlineSeconds: 1.5 } };
  assert.deepEqual(checkObject({ group: '', version: 'v1', kind: 'Pod' }, pod).typeErrors, [
    'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string',
    'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container',
    'json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool',
    'json: cannot unmarshal number 1.5 into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64',
  ]);
});

test('metadata, apiVersion/kind and open types (RawExtension, FieldsV1) are handled', () => {
  const rev = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'r', managedFields: [{ manager: 'm', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:anything': {} } } }] },
    data: { spec: { template: { whatever: true } } },
    revision: 1,
  };
  assert.deepEqual(checkObject({ group: 'apps', version: 'v1', kind: 'ControllerRevision' }, rev), { unknownFields: [], typeErrors: [] });
  // Embedded kinds carry TypeMeta too (StatefulSet volumeClaimTemplates are PersistentVolumeClaims).
  const sts = { spec: { selector: {}, template: {}, volumeClaimTemplates: [{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'd' }, nope: 1 }] } };
  assert.deepEqual(checkObject({ group: 'apps', version: 'v1', kind: 'StatefulSet' }, sts).unknownFields, ['spec.volumeClaimTemplates[0].nope']);
});

test('pruneUnknownFields removes unknown keys in place and keeps known ones', () => {
  const d = deployment();
  (d.spec as Record<string, Json>).template.spec.containers[0].bogus = 1;
  const out = pruneUnknownFields(DEPLOY, d);
  assert.equal(out, d);
  assert.deepEqual(out, deployment());
});

test('checkObject is fast enough for every write', () => {
  const d = deployment();
  const n = 20000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) checkObject(DEPLOY, d);
  const perCall = (performance.now() - t0) / n;
  assert.ok(perCall < 0.2, `checkObject took ${perCall.toFixed(4)} ms per Deployment`);
});
