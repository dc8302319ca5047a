/**
 * The OpenAPI documents against the real kubectl: a throwaway loopback server serves aggregated
 * discovery (from the resource table) and the documents, and kubectl 1.27 (v2 protobuf) and 1.33
 * (v3) run explain and create with validation against it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { validateFields } from '../../api/schema/strict.js';
import { StatusError } from '../../api/errors.js';
import { encodeOpenApiV2, groupVersionKey, openApiV2, openApiV2Protobuf, openApiV3Document, openApiV3Root } from './index.js';

function kubectlBinary(version: string): string | undefined {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, 'kubectl');
    if (existsSync(p)) candidates.push(join(dirname(realpathSync(p)), `kubectl.${version}`), join(dir, `kubectl.${version}`));
  }
  return candidates.find((c) => existsSync(c));
}

function discoveryItem(group: string, resources: ResourceInfo[]): Record<string, unknown> {
  const versions = [...new Set(resources.map((r) => r.version))];
  return {
    metadata: { name: group },
    versions: versions.map((version) => ({
      version,
      resources: resources
        .filter((r) => r.version === version)
        .map((r) => ({
          resource: r.resource,
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs,
          ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
          ...(r.categories.length ? { categories: r.categories } : {}),
        })),
      freshness: 'Current',
    })),
  };
}

function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1'): Record<string, unknown> {
  const groups = new Map<string, ResourceInfo[]>();
  for (const r of RESOURCES) if ((r.group === '') === core) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: [...groups].map(([g, rs]) => discoveryItem(g, rs)),
  };
}

interface Seen {
  method: string;
  url: string;
}

/** A minimal API server: discovery, OpenAPI, and POST with server-side field validation. */
function startServer(opts: { v3: boolean; v2FieldValidation: boolean }): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ method: req.method ?? '', url: req.url ?? '' });
    const json = (code: number, obj: unknown, type = 'application/json') => {
      res.writeHead(code, { 'Content-Type': type });
      res.end(JSON.stringify(obj));
    };
    if (url.pathname === '/version') return json(200, { major: '1', minor: '33', gitVersion: 'v1.33.0' });
    if (url.pathname === '/api' || url.pathname === '/apis') {
      const accept = req.headers.accept ?? '';
      const version = accept.includes('v=v2;') || accept.includes('v=v2,') ? 'v2' : accept.includes('v=v2beta1') ? 'v2beta1' : undefined;
      if (!version) return json(406, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 406 });
      return json(200, aggregatedDiscovery(url.pathname === '/api', version), `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`);
    }
    if (url.pathname === '/openapi/v2') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      return res.end(opts.v2FieldValidation ? openApiV2Protobuf().body : v2WithoutFieldValidation());
    }
    if (url.pathname === '/openapi/v3' && opts.v3) return json(200, openApiV3Root().json);
    if (url.pathname.startsWith('/openapi/v3/') && opts.v3) {
      const doc = openApiV3Document(url.pathname.slice('/openapi/v3/'.length));
      if (doc) {
        res.writeHead(200, { 'Content-Type': 'application/json', ETag: doc.doc.etag });
        return res.end(doc.doc.body);
      }
    }
    if (req.method === 'POST') {
      const r = RESOURCES.find((x) => url.pathname.endsWith(`/${x.resource}`));
      if (r) {
        try {
          const obj = JSON.parse(body) as Record<string, unknown>;
          const mode = (url.searchParams.get('fieldValidation') ?? 'Strict') as 'Ignore' | 'Warn' | 'Strict';
          validateFields({ group: r.group, version: r.version, kind: r.kind }, obj, mode);
          return json(201, obj);
        } catch (err) {
          if (err instanceof StatusError) return json(err.code, err.toStatus());
          throw err;
        }
      }
    }
    json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' });
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString()));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}`, seen });
    });
  });
}

/**
 * The v2 document as a server without server-side field validation would publish it: kubectl then
 * validates manifests itself against the v2 definitions, which exercises their encoding.
 */
function v2WithoutFieldValidation(): Uint8Array {
  const json = structuredClone(openApiV2().json) as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }> }>> };
  for (const item of Object.values(json.paths)) {
    for (const op of Object.values(item)) if (Array.isArray(op.parameters)) op.parameters = op.parameters.filter((p) => p.name !== 'fieldValidation');
  }
  return encodeOpenApiV2(json);
}

let dir = '';
const servers: Array<{ server: Server; url: string; seen: Seen[]; kubeconfig: string }> = [];

async function cluster(v3: boolean, v2FieldValidation = true): Promise<{ url: string; seen: Seen[]; kubeconfig: string }> {
  const s = await startServer({ v3, v2FieldValidation });
  const kubeconfig = join(dir, `kubeconfig-${servers.length}`);
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: ${s.url}\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: u\n    namespace: default\nusers:\n- name: u\n  user: {}\ncurrent-context: t\n`,
  );
  const entry = { ...s, kubeconfig };
  servers.push(entry);
  return entry;
}

function kubectl(bin: string, kubeconfig: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, `cache-${Math.random().toString(36).slice(2)}`), ...args],
      { timeout: 60_000, env: { ...process.env, HOME: dir, KUBECTL_KUBERC: 'false' } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
`;
const BAD_DEPLOYMENT = DEPLOYMENT.replace('  replicas: 2\n', '  replicas: 2\n  foo: bar\n').replace('        image: nginx\n', '        image: nginx\n        bogus: 1\n');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-openapi-'));
  writeFileSync(join(dir, 'good.yaml'), DEPLOYMENT);
  writeFileSync(join(dir, 'bad.yaml'), BAD_DEPLOYMENT);
});

after(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))));
  rmSync(dir, { recursive: true, force: true });
});

const k133 = kubectlBinary('1.33');
const k127 = kubectlBinary('1.27');

test('v3 root lists every served group-version with a hashed URL', () => {
  const root = openApiV3Root().json as { paths: Record<string, { serverRelativeURL: string }> };
  for (const r of RESOURCES) {
    const key = groupVersionKey(r.group, r.version);
    const entry = root.paths[key];
    assert.ok(entry, `v3 root misses ${key}`);
    assert.equal(entry.serverRelativeURL, `/openapi/v3/${key}?hash=${openApiV3Document(key)?.doc.hash}`);
  }
});

test('kubectl 1.33 explain pod.spec.containers (OpenAPI v3)', { skip: !k133 && 'kubectl 1.33 not installed' }, async () => {
  const { kubeconfig } = await cluster(true);
  const r = await kubectl(k133 as string, kubeconfig, ['explain', 'pod.spec.containers']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /KIND:\s+Pod\nVERSION:\s+v1/);
  assert.match(r.stdout, /FIELD: containers <\[\]Container>/);
  assert.match(r.stdout, /FIELDS:\n/);
  assert.match(r.stdout, /\n {2}name\t<string> -required-\n/);
  assert.match(r.stdout, /\n {2}image\t<string>\n/);
  assert.match(r.stdout, /\n {2}ports\t<\[\]ContainerPort>\n/);
  assert.match(r.stdout, /\n {2}imagePullPolicy\t<string>\n {2}enum: Always, IfNotPresent, Never\n/);
});

test('kubectl 1.33 explain deployment.spec.strategy', { skip: !k133 && 'kubectl 1.33 not installed' }, async () => {
  const { kubeconfig } = await cluster(true);
  const r = await kubectl(k133 as string, kubeconfig, ['explain', 'deployment.spec.strategy']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1/);
  assert.match(r.stdout, /FIELD: strategy <DeploymentStrategy>/);
  assert.match(r.stdout, /\n {2}rollingUpdate\t<RollingUpdateDeployment>\n/);
  assert.match(r.stdout, /\n {2}type\t<string>\n {2}enum: Recreate, RollingUpdate\n/);
});

test('kubectl 1.27 explain pod.spec.containers (OpenAPI v2 protobuf)', { skip: !k127 && 'kubectl 1.27 not installed' }, async () => {
  // With /openapi/v3 absent, kubectl 1.27 explains from the v2 protobuf document.
  const { kubeconfig, seen } = await cluster(false);
  const r = await kubectl(k127 as string, kubeconfig, ['explain', 'pod.spec.containers']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(seen.some((s) => s.url.startsWith('/openapi/v2')), 'kubectl 1.27 did not read /openapi/v2');
  assert.match(r.stdout, /KIND:\s+Pod\nVERSION:\s+v1/);
  assert.match(r.stdout, /RESOURCE: containers <\[\]Object>/);
  assert.match(r.stdout, /\n {3}name\t<string> -required-\n/);
  assert.match(r.stdout, /\n {3}image\t<string>\n/);
});

test('kubectl 1.33 finds fieldValidation on PATCH and defers to server-side strict validation', { skip: !k133 && 'kubectl 1.33 not installed' }, async () => {
  const { kubeconfig, seen } = await cluster(true);
  const ok = await kubectl(k133 as string, kubeconfig, ['create', '-f', join(dir, 'good.yaml'), '--dry-run=server', '-o', 'name']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'deployment.apps/web');
  const post = seen.find((s) => s.method === 'POST');
  assert.match(post?.url ?? '', /fieldValidation=Strict/);

  const bad = await kubectl(k133 as string, kubeconfig, ['create', '-f', join(dir, 'bad.yaml'), '--dry-run=server', '-o', 'name']);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /Error from server \(BadRequest\): error when creating ".*bad\.yaml": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.foo", unknown field "spec\.template\.spec\.containers\[0\]\.bogus"/,
  );
});

test('without v3, kubectl 1.33 finds fieldValidation in the v2 protobuf paths', { skip: !k133 && 'kubectl 1.33 not installed' }, async () => {
  const { kubeconfig, seen } = await cluster(false);
  const ok = await kubectl(k133 as string, kubeconfig, ['create', '-f', join(dir, 'good.yaml'), '--dry-run=server', '-o', 'name']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(seen.some((s) => s.url.startsWith('/openapi/v2')));
  assert.match(seen.find((s) => s.method === 'POST')?.url ?? '', /fieldValidation=Strict/);
});

test('kubectl 1.33 validates client-side against the v2 protobuf definitions', { skip: !k133 && 'kubectl 1.33 not installed' }, async () => {
  const { kubeconfig } = await cluster(false, false);
  const ok = await kubectl(k133 as string, kubeconfig, ['create', '-f', join(dir, 'good.yaml'), '--dry-run=client', '-o', 'name']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'deployment.apps/web');
  const bad = await kubectl(k133 as string, kubeconfig, ['create', '-f', join(dir, 'bad.yaml'), '--dry-run=client', '-o', 'name']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown field "foo" in io\.k8s\.api\.apps\.v1\.DeploymentSpec/);
  assert.match(bad.stderr, /unknown field "bogus" in io\.k8s\.api\.core\.v1\.Container/);
});

test('kubectl 1.27 create with validation against v2 + v3', { skip: !k127 && 'kubectl 1.27 not installed' }, async () => {
  const { kubeconfig, seen } = await cluster(true);
  const ok = await kubectl(k127 as string, kubeconfig, ['create', '-f', join(dir, 'good.yaml'), '--dry-run=server', '-o', 'name']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'deployment.apps/web');
  assert.ok(seen.some((s) => s.url.startsWith('/openapi/v2')));
  assert.match(seen.find((s) => s.method === 'POST')?.url ?? '', /fieldValidation=Strict/);
});
