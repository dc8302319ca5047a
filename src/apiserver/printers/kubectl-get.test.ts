/**
 * End-to-end check of the printers with the real kubectl: a throwaway server answers discovery
 * and Table lists, and the text kubectl prints must be what a real cluster shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeObject } from '../../api/object.js';
import { NOW, ago } from './testdata/helpers.js';
import { startTableServer, type TableServer } from './testdata/table-server.js';

const run = promisify(execFile);

/** kubectl binaries to try: `$KUBECTL`, else the versioned binaries beside `kubectl` on PATH. */
function findKubectls(): Map<string, string> {
  const found = new Map<string, string>();
  if (process.env['KUBECTL']) {
    found.set('KUBECTL', process.env['KUBECTL']);
    return found;
  }
  const onPath = (process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'kubectl')).find((p) => existsSync(p));
  if (!onPath) return found;
  const dir = dirname(realpathSync(onPath));
  for (const v of ['1.32', '1.27', '1.33']) {
    const p = join(dir, `kubectl.${v}`);
    if (existsSync(p)) found.set(v, p);
  }
  if (found.size === 0) found.set('PATH', onPath);
  return found;
}

const KUBECTLS = findKubectls();
const PRIMARY = KUBECTLS.values().next().value as string | undefined;

const running = { ready: true, restartCount: 0, started: true, image: 'nginx:1.27', imageID: '', state: { running: { startedAt: ago(500) } } };

function pod(name: string, namespace: string, ageSeconds: number, spec: Record<string, unknown>, status: Record<string, unknown>, extraMeta: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, uid: `uid-${name}`, resourceVersion: '10', creationTimestamp: ago(ageSeconds), labels: { app: name.split('-')[0] ?? name }, ...extraMeta },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], ...spec },
    status,
  };
}

const PODS: KubeObject[] = [
  pod('nginx-7c5ddbdf54-2xk4p', 'default', 600, { nodeName: 'node-1' }, { phase: 'Running', podIP: '10.244.1.7', podIPs: [{ ip: '10.244.1.7' }], containerStatuses: [{ name: 'app', ...running }] }),
  pod(
    'crashy',
    'default',
    900,
    { nodeName: 'node-2' },
    {
      phase: 'Running',
      podIP: '10.244.2.3',
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 5, image: 'busybox', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(45) } } },
      ],
    },
  ),
  pod('pi-x7k2q', 'default', 7200, { nodeName: 'node-1' }, { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'perl', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
  pod(
    'db-0',
    'default',
    30,
    { nodeName: 'node-2', initContainers: [{ name: 'migrate', image: 'db' }] },
    {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'migrate', ...running, ready: false }],
      containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'nginx:1.27', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }],
    },
  ),
  pod(
    'gated',
    'default',
    86400 * 3,
    { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
    { phase: 'Pending', nominatedNodeName: 'node-3', conditions: [{ type: 'example.com/lb', status: 'True' }] },
  ),
  pod('leaving', 'default', 120, { nodeName: 'node-1' }, { phase: 'Running', podIP: '10.244.1.9', containerStatuses: [{ name: 'app', ...running }] }, { deletionTimestamp: ago(3) }),
  pod('coredns-5d78c9869d-abcde', 'kube-system', 86400 * 40, { nodeName: 'node-1' }, { phase: 'Running', podIP: '10.244.1.2', containerStatuses: [{ name: 'app', ...running }] }),
];

function job(name: string, spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '11', creationTimestamp: ago(3600) },
    spec: {
      completions: 1,
      parallelism: 1,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': `uid-${name}` } },
      template: { spec: { restartPolicy: 'Never', containers: [{ name, image: 'perl:5.34' }] } },
      ...spec,
    },
    status,
  };
}
const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: ago(60) });

const JOBS: KubeObject[] = [
  job('pi', {}, { startTime: ago(3590), completionTime: ago(3590 - 312), succeeded: 1, conditions: [condition('SuccessCriteriaMet'), condition('Complete')] }),
  job('queue', { completions: undefined, parallelism: 3 }, { startTime: ago(95), active: 3 }),
  job('broken', { backoffLimit: 0 }, { startTime: ago(1500), failed: 1, conditions: [condition('FailureTarget'), condition('Failed')] }),
];

const NODES: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', uid: 'n1', creationTimestamp: ago(86400 * 2 + 3600 * 5), labels: { 'node-role.kubernetes.io/control-plane': '' } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '10.0.0.11' }],
      nodeInfo: { kubeletVersion: 'v1.32.0-skiff', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0-18-amd64', containerRuntimeVersion: 'skiff://0.1.0' },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-2', uid: 'n2', creationTimestamp: ago(600) },
    status: { conditions: [{ type: 'Ready', status: 'Unknown' }], addresses: [{ type: 'InternalIP', address: '10.0.0.12' }, { type: 'ExternalIP', address: '203.0.113.7' }] },
  },
];

const SERVICES: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', uid: 's1', creationTimestamp: ago(86400 * 2) },
    spec: { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 's2', creationTimestamp: ago(300) },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.7.7', selector: { app: 'nginx' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] },
  },
];

const EVENTS: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'crashy.181a2b3c4d5e6f70', namespace: 'default', uid: 'e1', creationTimestamp: ago(900) },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'crashy', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app in pod crashy_default(uid-crashy)',
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-2' },
    firstTimestamp: ago(880),
    lastTimestamp: ago(45),
    count: 62,
  },
];

let server: TableServer;
let dir: string;

before(async () => {
  server = await startTableServer({
    now: NOW,
    objects: new Map([
      ['/pods', PODS],
      ['batch/jobs', JOBS],
      ['/nodes', NODES],
      ['/services', SERVICES],
      ['/events', EVENTS],
    ]),
  });
  dir = mkdtempSync(join(tmpdir(), 'skiff-printers-kubectl-'));
  writeFileSync(
    join(dir, 'kubeconfig'),
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: test',
      `  cluster: {server: "${server.url}"}`,
      'users:',
      '- name: test',
      '  user: {token: unused}',
      'contexts:',
      '- name: test',
      '  context: {cluster: test, user: test, namespace: default}',
      'current-context: test',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function kubectl(bin: string, ...args: string[]): Promise<string> {
  const cacheDir = join(dir, `cache-${bin.replace(/[^a-z0-9.]/gi, '_')}`);
  const { stdout } = await run(bin, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', cacheDir, ...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: dir },
    timeout: 30_000,
  });
  return stdout;
}

const skip = PRIMARY ? false : 'kubectl is not installed';

const lines = (...l: string[]) => l.map((x) => `${x}\n`).join('');

const PODS_WIDE = lines(
  'NAME                     READY   STATUS             RESTARTS      AGE    IP           NODE     NOMINATED NODE   READINESS GATES',
  'nginx-7c5ddbdf54-2xk4p   1/1     Running            0             10m    10.244.1.7   node-1   <none>           <none>',
  'crashy                   0/1     CrashLoopBackOff   5 (45s ago)   15m    10.244.2.3   node-2   <none>           <none>',
  'pi-x7k2q                 0/1     Completed          0             120m   <none>       node-1   <none>           <none>',
  'db-0                     0/1     Init:0/1           0             30s    <none>       node-2   <none>           <none>',
  'gated                    0/1     Pending            0             3d     <none>       <none>   node-3           1/2',
  'leaving                  1/1     Terminating        0             2m     10.244.1.9   node-1   <none>           <none>',
);

test('kubectl get pods', { skip }, async () => {
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'pods'),
    lines(
      'NAME                     READY   STATUS             RESTARTS      AGE',
      'nginx-7c5ddbdf54-2xk4p   1/1     Running            0             10m',
      'crashy                   0/1     CrashLoopBackOff   5 (45s ago)   15m',
      'pi-x7k2q                 0/1     Completed          0             120m',
      'db-0                     0/1     Init:0/1           0             30s',
      'gated                    0/1     Pending            0             3d',
      'leaving                  1/1     Terminating        0             2m',
    ),
  );
  // One Table list with the Table Accept header, after discovery.
  const lists = server.requests.filter((r) => r.startsWith('GET /api/v1/namespaces/default/pods'));
  assert.ok(lists.length > 0 && lists.every((r) => r.includes('limit=500')), lists.join(', '));
});

for (const [version, bin] of KUBECTLS) {
  test(`kubectl ${version} get pods -o wide`, async () => {
    assert.equal(await kubectl(bin, 'get', 'pods', '-o', 'wide'), PODS_WIDE);
  });
}

test('kubectl get pods -A --show-labels (namespace and labels from row metadata)', { skip }, async () => {
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'pods', '-A', '--show-labels'),
    lines(
      'NAMESPACE     NAME                       READY   STATUS             RESTARTS      AGE    LABELS',
      'default       nginx-7c5ddbdf54-2xk4p     1/1     Running            0             10m    app=nginx',
      'default       crashy                     0/1     CrashLoopBackOff   5 (45s ago)   15m    app=crashy',
      'default       pi-x7k2q                   0/1     Completed          0             120m   app=pi',
      'default       db-0                       0/1     Init:0/1           0             30s    app=db',
      'default       gated                      0/1     Pending            0             3d     app=gated',
      'default       leaving                    1/1     Terminating        0             2m     app=leaving',
      'kube-system   coredns-5d78c9869d-abcde   1/1     Running            0             40d    app=coredns',
    ),
  );
});

test('kubectl get jobs and -o wide', { skip }, async () => {
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'jobs'),
    lines(
      'NAME     STATUS     COMPLETIONS   DURATION   AGE',
      'pi       Complete   1/1           5m12s      60m',
      'queue    Running    0/1 of 3      95s        60m',
      'broken   Failed     0/1           25m        60m',
    ),
  );
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'jobs', '-o', 'wide'),
    lines(
      'NAME     STATUS     COMPLETIONS   DURATION   AGE   CONTAINERS   IMAGES      SELECTOR',
      'pi       Complete   1/1           5m12s      60m   pi           perl:5.34   batch.kubernetes.io/controller-uid=uid-pi',
      'queue    Running    0/1 of 3      95s        60m   queue        perl:5.34   batch.kubernetes.io/controller-uid=uid-queue',
      'broken   Failed     0/1           25m        60m   broken       perl:5.34   batch.kubernetes.io/controller-uid=uid-broken',
    ),
  );
});

test('kubectl get pods,jobs prefixes names with the kind', { skip }, async () => {
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'pods,jobs'),
    lines(
      'NAME                         READY   STATUS             RESTARTS      AGE',
      'pod/nginx-7c5ddbdf54-2xk4p   1/1     Running            0             10m',
      'pod/crashy                   0/1     CrashLoopBackOff   5 (45s ago)   15m',
      'pod/pi-x7k2q                 0/1     Completed          0             120m',
      'pod/db-0                     0/1     Init:0/1           0             30s',
      'pod/gated                    0/1     Pending            0             3d',
      'pod/leaving                  1/1     Terminating        0             2m',
      '',
      'NAME               STATUS     COMPLETIONS   DURATION   AGE',
      'job.batch/pi       Complete   1/1           5m12s      60m',
      'job.batch/queue    Running    0/1 of 3      95s        60m',
      'job.batch/broken   Failed     0/1           25m        60m',
    ),
  );
});

test('kubectl get nodes -o wide, services and events', { skip }, async () => {
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'nodes', '-o', 'wide'),
    lines(
      'NAME     STATUS                     ROLES           AGE    VERSION         INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION   CONTAINER-RUNTIME',
      'node-1   Ready,SchedulingDisabled   control-plane   2d5h   v1.32.0-skiff   10.0.0.11     <none>        Debian GNU/Linux 12 (bookworm)   6.1.0-18-amd64   skiff://0.1.0',
      'node-2   NotReady                   <none>          10m                    10.0.0.12     203.0.113.7   <unknown>                        <unknown>        <unknown>',
    ),
  );
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'svc'),
    lines(
      'NAME         TYPE           CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE',
      'kubernetes   ClusterIP      10.96.0.1    <none>        443/TCP        2d',
      'web          LoadBalancer   10.96.7.7    <pending>     80:30080/TCP   5m',
    ),
  );
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'events'),
    lines(
      'LAST SEEN   TYPE      REASON    OBJECT       MESSAGE',
      '45s         Warning   BackOff   pod/crashy   Back-off restarting failed container app in pod crashy_default(uid-crashy)',
    ),
  );
  assert.equal(
    await kubectl(PRIMARY as string, 'get', 'events', '-o', 'wide'),
    lines(
      'LAST SEEN   TYPE      REASON    OBJECT       SUBOBJECT              SOURCE            MESSAGE                                                                      FIRST SEEN   COUNT   NAME',
      '45s         Warning   BackOff   pod/crashy   spec.containers{app}   kubelet, node-2   Back-off restarting failed container app in pod crashy_default(uid-crashy)   14m          62      crashy.181a2b3c4d5e6f70',
    ),
  );
});
