#!/usr/bin/env node
// Fixture generator (run by hand, needs kubectl.1.32/1.33 and openssl): captures the protobuf request
// bodies kubectl sends for typed-client creates, by pointing it at a tiny logging HTTPS server, and
// writes them to src/api/protobuf/fixtures/<version>-<name>.pb. Usage: npm run build && node scripts/gen-protobuf-fixtures.mjs
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { RESOURCES } = await import(join(root, 'dist/src/api/resources.js'));
const outDir = join(root, 'src/api/protobuf/fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'skiff-pb-'));

execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(tmp, 'key.pem'), '-out', join(tmp, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });

const CRONJOB = {
  apiVersion: 'batch/v1', kind: 'CronJob',
  metadata: { name: 'hello', namespace: 'default', uid: '5b0a3f55-8c0a-4a5e-9d1e-2f0a9d6c1b11', resourceVersion: '42', creationTimestamp: '2026-01-02T03:04:05Z' },
  spec: {
    schedule: '*/1 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
    jobTemplate: { metadata: { labels: { job: 'hello' } }, spec: { backoffLimit: 2, activeDeadlineSeconds: 60, template: { metadata: { labels: { job: 'hello' } }, spec: {
      restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', securityContext: { runAsUser: 0 },
      containers: [{ name: 'hello', image: 'busybox:1.36', command: ['sh', '-c', 'date; echo Hello'], imagePullPolicy: 'IfNotPresent',
        resources: { limits: { cpu: '100m', memory: '64Mi' } }, env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8080, protocol: 'TCP' }],
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }] } } } },
  },
  status: {},
};

function discovery(core, version) {
  const groups = new Map();
  for (const r of RESOURCES) if ((r.group === '') === core) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items: [...groups].map(([g, rs]) => ({ metadata: { name: g }, versions: [{ version: rs[0].version,
    resources: rs.map((r) => ({ resource: r.resource, responseKind: { group: r.group, version: r.version, kind: r.kind }, scope: r.namespaced ? 'Namespaced' : 'Cluster', singularResource: r.singular, verbs: r.verbs })) }] })) };
}

let captured;
const server = createServer({ key: readFileSync(join(tmp, 'key.pem')), cert: readFileSync(join(tmp, 'cert.pem')) }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url, 'https://x');
    const json = (code, obj, type = 'application/json') => { res.writeHead(code, { 'Content-Type': type }); res.end(JSON.stringify(obj)); };
    if (url.pathname === '/api' || url.pathname === '/apis') {
      const v = (req.headers.accept ?? '').includes('v=v2;') ? 'v2' : 'v2beta1';
      return json(200, discovery(url.pathname === '/api', v), `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`);
    }
    if (url.pathname === '/apis/batch/v1/namespaces/default/cronjobs/hello') return json(200, CRONJOB);
    if (req.method === 'POST') {
      captured = { contentType: req.headers['content-type'], body: Buffer.concat(chunks) };
      return json(201, { apiVersion: 'v1', kind: 'Status', status: 'Success', metadata: {} });
    }
    json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const kubeconfig = join(tmp, 'kubeconfig');
writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: https://127.0.0.1:${server.address().port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: t\n  context: {cluster: t, user: u, namespace: default}\nusers:\n- name: u\n  user: {token: fixture}\ncurrent-context: t\n`);

const COMMANDS = {
  'create-job-from-cronjob': ['create', 'job', 'manual-1', '--from=cronjob/hello'],
  'create-deployment': ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=80'],
  'create-deployment-zero-replicas': ['create', 'deployment', 'idle', '--image=nginx', '--replicas=0'],
  'create-namespace': ['create', 'namespace', 'team-a'],
  'create-configmap': ['create', 'configmap', 'settings', '--from-literal=mode=fast', '--from-literal=level=3'],
  'create-secret-generic': ['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=pass=s3cr3t'],
  'create-service-clusterip': ['create', 'service', 'clusterip', 'api', '--tcp=80:8080', '--tcp=443:8443'],
};
const kubectlDir = dirname(realpathSync(execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim()));
mkdirSync(outDir, { recursive: true });
for (const version of ['1.32', '1.33']) {
  const bin = join(kubectlDir, `kubectl.${version}`);
  if (!existsSync(bin)) { console.warn(`skip ${version}: ${bin} missing`); continue; }
  for (const [name, args] of Object.entries(COMMANDS)) {
    captured = undefined;
    try {
      // Async: the server runs in this process and must keep answering while kubectl waits.
      await run(bin, ['--kubeconfig', kubeconfig, '--cache-dir', join(tmp, `cache-${version}`), ...args], { env: { ...process.env, HOME: tmp } });
    } catch (err) { if (process.env.DEBUG) console.error(String(err.stderr)); }
    if (!captured || !String(captured.contentType).startsWith('application/vnd.kubernetes.protobuf')) {
      console.warn(`${version} ${name}: no protobuf body captured (${captured?.contentType})`);
      continue;
    }
    writeFileSync(join(outDir, `${version}-${name}.pb`), captured.body);
    console.log(`${version} ${name}: ${captured.body.length} bytes`);
  }
}
server.close();
rmSync(tmp, { recursive: true, force: true });
