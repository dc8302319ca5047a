/**
 * Pod networking beyond Services, with the real kubectl on `skiff server --nodes 2`:
 *
 * - `hostPort`: the machine's port reaches the pod (127.0.0.1 and the node address); local nodes
 *   share this machine's addresses, so a second pod asking for the same host port on the other
 *   node waits with an event naming the holder and takes the port over when the holder is
 *   deleted; the port closes with the last pod;
 * - pods reach the API server through the `kubernetes` Service, as in-cluster clients do: curl
 *   https://kubernetes.default.svc/version and https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT
 *   verified against the cluster CA from the `kube-root-ca.crt` ConfigMap mounted as a volume,
 *   although the API server listens on 127.0.0.1 only.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';
import { get, tryConnect } from '../helpers/net.js';
import { instanceId, podNetworkingAvailable } from '../../src/agent/network/host-network.js';
import { defaultNodeIP } from '../../src/agent/machine-info.js';

const net = await podNetworkingAvailable();
const skip = kubectlUnavailable() || (net.ok ? false : `pod networking unavailable: ${net.why}`);

describe('host ports and the API server from pods, with kubectl on two nodes', { skip, timeout: 300_000 }, () => {
  let c: TestCluster;
  const marker = `skiff-hp-${randomBytes(4).toString('hex')}`;
  const hostPort = 20000 + (parseInt(marker.slice(-4), 16) % 10000);
  const pod = (name: string, node: string) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeName: node,
        containers: [
          {
            name: 'web',
            image: 'node',
            command: ['node', '-e', `require('http').createServer((q,r)=>r.end(require('os').hostname()+'\\n')).listen(8080) /* ${marker} */`],
            ports: [{ containerPort: 8080, hostPort }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    });

  before(async () => {
    c = await startCluster({ args: ['--nodes', '2'] });
  });

  after(async () => {
    await c?.stop();
  });

  test('a hostPort reaches the pod on 127.0.0.1 and the node address', async () => {
    await c.k(['create', '-f', '-'], { input: pod('hp-a', 'node-1') });
    await c.k(['wait', '--for=condition=Ready', 'pod/hp-a', '--timeout=60s']);
    assert.equal(await get(`http://127.0.0.1:${hostPort}/`), 'hp-a');
    const hostIP = defaultNodeIP();
    if (hostIP !== '127.0.0.1') assert.equal(await get(`http://${hostIP}:${hostPort}/`), 'hp-a');
    // The pod keeps its own address; the host port is a mapping onto it.
    assert.match((await c.k(['get', 'pod', 'hp-a', '-o', 'jsonpath={.status.podIP}'])).trim(), /^10\./);
  });

  test('the same host port on the other local node waits for the holder, then takes it over; it closes with the last pod', async () => {
    await c.k(['create', '-f', '-'], { input: pod('hp-b', 'node-2') });
    const message = await waitFor(
      async () => (await c.k(['get', 'events', '--field-selector', 'involvedObject.name=hp-b,reason=FailedCreatePodSandBox', '-o', 'jsonpath={.items[*].message}'])).trim() || undefined,
      30_000,
      'a sandbox failure event for hp-b',
    );
    assert.match(message, new RegExp(`cannot open hostPort 0\\.0\\.0\\.0:${hostPort}/TCP for pod default/hp-b: it is mapped to pod default/hp-a on node node-1, which shares this machine's addresses`));
    assert.equal((await c.k(['get', 'pod', 'hp-b', '-o', 'jsonpath={.status.containerStatuses[0].state.waiting.reason}'])).trim(), 'ContainerCreating');
    await c.k(['delete', 'pod', 'hp-a', '--wait=true']);
    await c.k(['wait', '--for=condition=Ready', 'pod/hp-b', '--timeout=60s']);
    assert.equal(await get(`http://127.0.0.1:${hostPort}/`), 'hp-b');
    await c.k(['delete', 'pod', 'hp-b', '--wait=true']);
    await waitFor(async () => (await tryConnect('127.0.0.1', hostPort)).outcome === 'ECONNREFUSED', 10_000, 'the host port refused once no pod holds it');
  });

  test('a finished pod gives its network namespace and host port back, as a stopped sandbox does', async () => {
    await c.k(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'once' },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'web', image: 'node', command: ['node', '-e', `require('net').createServer().listen(8080,()=>setTimeout(()=>process.exit(0),1500)) /* ${marker} */`], ports: [{ containerPort: 8080, hostPort: hostPort + 1 }] }],
        },
      }),
    });
    await c.k(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/once', '--timeout=60s']);
    const uid = (await c.k(['get', 'pod', 'once', '-o', 'jsonpath={.metadata.uid}'])).trim();
    await waitFor(() => !execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`skiff-${instanceId(c.dataDir)}-${uid}`), 10_000, 'the finished pod network namespace removed');
    assert.equal((await tryConnect('127.0.0.1', hostPort + 1)).outcome, 'ECONNREFUSED');
    // The status keeps the address the pod had, as kubelet's does.
    assert.match((await c.k(['get', 'pod', 'once', '-o', 'jsonpath={.status.podIP}'])).trim(), /^10\./);
  });

  test('a pod reaches the API server through the kubernetes Service and verifies it with the cluster CA', async () => {
    const curl = 'curl -sS --max-time 10 --cacert /ca/ca.crt';
    await c.k(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'in-cluster' },
        spec: {
          restartPolicy: 'Never',
          volumes: [{ name: 'ca', configMap: { name: 'kube-root-ca.crt' } }],
          containers: [
            {
              name: 'curl',
              image: 'curlimages/curl',
              command: ['sh', '-c', `${curl} https://kubernetes.default.svc/version && ${curl} https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/version # ${marker}`],
              volumeMounts: [{ name: 'ca', mountPath: '/ca' }],
            },
          ],
        },
      }),
    });
    const phase = await waitFor(
      async () => {
        const p = (await c.k(['get', 'pod', 'in-cluster', '-o', 'jsonpath={.status.phase}'])).trim();
        return p === 'Succeeded' || p === 'Failed' ? p : undefined;
      },
      60_000,
      'the in-cluster pod to finish',
    );
    const logs = await c.k(['logs', 'in-cluster']);
    assert.equal(phase, 'Succeeded', logs);
    // Two JSON documents, back to back.
    const answers = JSON.parse(`[${logs.trim().replace(/}\s*{/g, '},{')}]`) as Array<{ gitVersion: string }>;
    assert.equal(answers.length, 2, logs);
    for (const a of answers) assert.match(a.gitVersion, /^v1\.\d+\.\d+/);
    // The Service points at the API server where it listens: loopback, which pods reach through their bridge.
    assert.match(await c.k(['get', 'endpoints', 'kubernetes', '-o', 'jsonpath={.subsets[0].addresses[0].ip}']), /^127\.0\.0\.1$/);
  });
});
