import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StatusError } from '../errors.js';
import { decodeProtobufObject } from './decode.js';
import { ProtoWriter } from './writer.js';

// Fixtures are request bodies captured from kubectl 1.32 and 1.33 (scripts/gen-protobuf-fixtures.mjs).
const FIXTURES = new URL('../../../../src/api/protobuf/fixtures/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(name, FIXTURES))));

/** What kubectl ≤1.31 sends as JSON for the same commands (status/creationTimestamp included). */
const EXPECTED: Record<string, unknown> = {
  'create-job-from-cronjob': {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'manual-1',
      creationTimestamp: null,
      labels: { job: 'hello' },
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: '5b0a3f55-8c0a-4a5e-9d1e-2f0a9d6c1b11', controller: true }],
    },
    spec: {
      activeDeadlineSeconds: 60,
      backoffLimit: 2,
      template: {
        metadata: { creationTimestamp: null, labels: { job: 'hello' } },
        spec: {
          containers: [
            {
              name: 'hello',
              image: 'busybox:1.36',
              command: ['sh', '-c', 'date; echo Hello'],
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
              env: [{ name: 'A', value: '1' }],
              resources: { limits: { cpu: '100m', memory: '64Mi' } },
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              imagePullPolicy: 'IfNotPresent',
            },
          ],
          restartPolicy: 'OnFailure',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          securityContext: { runAsUser: 0 }, // a pointer: zero is kept
          schedulerName: 'default-scheduler',
        },
      },
    },
    status: {},
  },
  'create-deployment': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }] },
      },
      strategy: {},
    },
    status: {},
  },
  'create-deployment-zero-replicas': {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'idle', creationTimestamp: null, labels: { app: 'idle' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'idle' } },
      template: { metadata: { creationTimestamp: null, labels: { app: 'idle' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
      strategy: {},
    },
    status: {},
  },
  'create-namespace': { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', creationTimestamp: null }, spec: {}, status: {} },
  'create-configmap': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', creationTimestamp: null }, data: { level: '3', mode: 'fast' } },
  'create-secret-generic': {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', creationTimestamp: null },
    data: { pass: Buffer.from('s3cr3t').toString('base64'), user: Buffer.from('admin').toString('base64') },
  },
  'create-service-clusterip': {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', creationTimestamp: null, labels: { app: 'api' } },
    spec: {
      ports: [
        { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: '443-8443', protocol: 'TCP', port: 443, targetPort: 8443 },
      ],
      selector: { app: 'api' },
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  },
};

for (const version of ['1.32', '1.33']) {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    test(`kubectl ${version} ${name}: protobuf body decodes to the JSON object`, () => {
      assert.deepEqual(decodeProtobufObject(fixture(`${version}-${name}.pb`)), expected);
    });
  }
}

function envelope(apiVersion: string, kind: string, raw: Uint8Array): Uint8Array {
  const unknown = new ProtoWriter().message(1, new ProtoWriter().string(1, apiVersion).string(2, kind)).bytes(2, raw).finish();
  return Uint8Array.of(0x6b, 0x38, 0x73, 0x00, ...unknown);
}

test('well-known types: Time, IntOrString strings, Quantity, packed repeated ints, inline VolumeSource', () => {
  const meta = new ProtoWriter()
    .string(1, 'p')
    .message(8, new ProtoWriter().uint(1, 1767323045)) // creationTimestamp 2026-01-02T03:04:05Z
    .message(11, new ProtoWriter().string(1, 'app').string(2, 'x')); // labels entry
  const probe = new ProtoWriter().message(1, new ProtoWriter().message(2, new ProtoWriter().message(2, new ProtoWriter().uint(1, 1).string(3, 'http'))));
  const container = new ProtoWriter().string(1, 'c').message(10, probe);
  const secCtx = new ProtoWriter().bytes(4, Uint8Array.of(1, 2, 0x80, 0x01)); // supplementalGroups, packed
  const volume = new ProtoWriter().string(1, 'scratch').message(2, new ProtoWriter().message(2, new ProtoWriter().string(1, 'Memory').message(2, new ProtoWriter().string(1, '64Mi'))));
  const spec = new ProtoWriter().message(1, volume).message(2, container).message(14, secCtx);
  const pod = new ProtoWriter().message(1, meta).message(2, spec).finish();
  assert.deepEqual(decodeProtobufObject(envelope('v1', 'Pod', pod)), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', creationTimestamp: '2026-01-02T03:04:05Z', labels: { app: 'x' } },
    spec: {
      volumes: [{ name: 'scratch', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } }],
      containers: [{ name: 'c', livenessProbe: { httpGet: { port: 'http' } } }],
      securityContext: { supplementalGroups: [1, 2, 128] },
    },
  });
});

function assertBadRequest(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => decodeProtobufObject(bytes),
    (err: unknown) => err instanceof StatusError && err.code === 400 && err.reason === 'BadRequest' && pattern.test(err.message),
  );
}

test('malformed bodies are 400 BadRequest with a clear message', () => {
  assertBadRequest(new TextEncoder().encode('{"kind":"Pod"}'), /does not start with the "k8s\\x00" prefix/);
  const good = fixture('1.33-create-deployment.pb');
  assertBadRequest(good.subarray(0, good.length - 7), /unable to decode the protobuf body: .*overruns the message|unexpected end/);
  assertBadRequest(envelope('v1', 'Frobnicator', new Uint8Array()), /no kind "Frobnicator" is registered for version "v1"/);
  // metadata.name sent as a varint instead of a string
  assertBadRequest(envelope('v1', 'ConfigMap', new ProtoWriter().message(1, new ProtoWriter().uint(1, 5)).finish()), /name: wire type 0, expected 2/);
  assertBadRequest(Uint8Array.of(0x6b, 0x38, 0x73, 0x00, 0x0f), /unsupported wire type 7|invalid field number/);
});
