/**
 * Bad input gets a clear Kubernetes-style error — never a crash, a hang or a 500: malformed
 * bodies, wrong content types, oversized bodies, garbage paths and query strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:https';
import { startCluster } from '../helpers/cluster.js';

interface Reply {
  status: number;
  body: string;
}

test('malformed requests are answered with 4xx Status bodies and the server keeps serving', async (t) => {
  const c = await startCluster();
  t.after(() => c.stop());
  const ca = await readFile(join(c.dataDir, 'tls', 'ca.crt'), 'utf8');
  const token = (await readFile(join(c.dataDir, 'admin-token'), 'utf8')).trim();
  const send = (method: string, path: string, body?: Buffer | string, contentType = 'application/json', extra: Record<string, string> = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(body);
      const req = request(
        `${c.url}${path}`,
        {
          method,
          ca,
          headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': contentType, 'content-length': String(payload.length) } : {}), ...extra },
        },
        (res) => {
          let data = '';
          res.on('data', (d: Buffer) => (data += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const reason = (r: Reply) => (JSON.parse(r.body) as { kind: string; reason: string }).reason;

  const cases: Array<{ what: string; req: () => Promise<Reply>; status: number; reason?: string }> = [
    { what: 'invalid JSON', req: () => send('POST', '/api/v1/namespaces/default/configmaps', '{"apiVersion": "v1", kind'), status: 400, reason: 'BadRequest' },
    { what: 'a JSON array', req: () => send('POST', '/api/v1/namespaces/default/configmaps', '[1,2]'), status: 400, reason: 'BadRequest' },
    { what: 'invalid YAML', req: () => send('POST', '/api/v1/namespaces/default/configmaps', 'a: [b', 'application/yaml'), status: 400, reason: 'BadRequest' },
    { what: 'an unknown content type', req: () => send('POST', '/api/v1/namespaces/default/configmaps', '<x/>', 'application/xml'), status: 415, reason: 'UnsupportedMediaType' },
    { what: 'garbage protobuf', req: () => send('POST', '/api/v1/namespaces/default/configmaps', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff]), 'application/vnd.kubernetes.protobuf'), status: 400, reason: 'BadRequest' },
    { what: 'a 4 MiB body', req: () => send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ data: { a: 'x'.repeat(4 * 1024 * 1024) } })), status: 413, reason: 'RequestEntityTooLarge' },
    { what: 'a wrong kind', req: () => send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })), status: 400, reason: 'BadRequest' },
    { what: 'a missing name', req: () => send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap' })), status: 422, reason: 'Invalid' },
    { what: 'an invalid name', req: () => send('POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } })), status: 422, reason: 'Invalid' },
    { what: 'a string for replicas', req: () => send('POST', '/apis/apps/v1/namespaces/default/replicasets', JSON.stringify({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'x' }, spec: { replicas: 'three' } })), status: 400, reason: 'BadRequest' },
    { what: 'an unknown resource', req: () => send('GET', '/api/v1/namespaces/default/widgets'), status: 404, reason: 'NotFound' },
    { what: 'an unknown group', req: () => send('GET', '/apis/nope.example.com/v1/things'), status: 404, reason: 'NotFound' },
    { what: 'a bad escape in the path', req: () => send('GET', '/api/v1/namespaces/%zz/pods'), status: 404, reason: 'NotFound' },
    { what: 'a bad label selector', req: () => send('GET', '/api/v1/pods?labelSelector=a%20in%20(b'), status: 400, reason: 'BadRequest' },
    { what: 'a bad field selector', req: () => send('GET', '/api/v1/pods?fieldSelector=spec.bogus%3D1'), status: 400, reason: 'BadRequest' },
    { what: 'a bad limit', req: () => send('GET', '/api/v1/pods?limit=abc'), status: 400, reason: 'BadRequest' },
    { what: 'a bad continue token', req: () => send('GET', '/api/v1/pods?limit=1&continue=garbage'), status: 400, reason: 'BadRequest' },
    { what: 'a bad resourceVersion', req: () => send('GET', '/api/v1/pods?resourceVersion=abc'), status: 400, reason: 'BadRequest' },
    { what: 'a bad fieldValidation', req: () => send('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Loose', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'y' } })), status: 400, reason: 'BadRequest' },
    { what: 'a bad patch type', req: () => send('PATCH', '/api/v1/namespaces/default/configmaps/x', '{}', 'text/plain'), status: 415, reason: 'UnsupportedMediaType' },
    { what: 'a json patch that is not a list', req: () => send('PATCH', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt', '{"op":"add"}', 'application/json-patch+json'), status: 400, reason: 'BadRequest' },
    { what: 'POST on an object path', req: () => send('POST', '/api/v1/namespaces/default/configmaps/x', '{}'), status: 405, reason: 'MethodNotAllowed' },
    { what: 'delete options with an unknown policy', req: () => send('DELETE', '/api/v1/namespaces/default/configmaps/kube-root-ca.crt', JSON.stringify({ propagationPolicy: 'Sideways' })), status: 422, reason: 'Invalid' },
    { what: 'a create in a missing namespace', req: () => send('POST', '/api/v1/namespaces/nope/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'z' } })), status: 404, reason: 'NotFound' },
  ];
  for (const tc of cases) {
    const r = await tc.req();
    assert.equal(r.status, tc.status, `${tc.what}: expected ${tc.status}, got ${r.status}: ${r.body.slice(0, 300)}`);
    if (tc.reason) assert.equal(reason(r), tc.reason, `${tc.what}: ${r.body.slice(0, 300)}`);
  }
  // Still serving.
  assert.equal((await send('GET', '/api/v1/namespaces/default/configmaps')).status, 200);
  assert.equal(c.process.exitCode, null);
});
