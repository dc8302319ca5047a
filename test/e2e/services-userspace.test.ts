/**
 * The userspace service proxy, with the real kubectl:
 *
 * - forced with `--proxy-mode userspace` on a machine that has nftables (pods keep their network
 *   namespaces): NodePort on 127.0.0.1 and ClusterIP from the host and from pods balanced over
 *   the replicas, the DNS name from a pod, ClientIP affinity, refusal at once without endpoints,
 *   no service rules in the kernel, throughput against the pod directly, and no address, route,
 *   rule or process left after stop;
 * - the fallback of a server without root: pods share the host's network (and say so in an
 *   event), NodePorts on 127.0.0.1 are served by the userspace proxy, balanced over pods that
 *   listen on different ports behind one named target port, and a host port differing from the
 *   container port is forwarded. Cluster IPs are not reachable without root (documented; the
 *   server says so).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';
import { bestThroughput, get, tryConnect } from '../helpers/net.js';
import { clusterIPLabel, instanceId, nftTable, podNetworkingAvailable } from '../../src/agent/network/host-network.js';
import { processesWith } from '../helpers/processes.js';
import { webApp } from '../helpers/web-app.js';

const net = await podNetworkingAvailable();
const kubectlSkip = kubectlUnavailable();
const isRoot = process.getuid?.() === 0;

describe('userspace service proxy (--proxy-mode userspace) with pod namespaces', { skip: kubectlSkip || (net.ok ? false : `pod networking unavailable: ${net.why}`), timeout: 300_000 }, () => {
  let c: TestCluster;
  let id: string;
  const marker = `skiff-us-${randomBytes(4).toString('hex')}`;
  const server = `require('http').createServer((q,r)=>r.end(require('os').hostname()+' '+q.socket.remoteAddress+'\\n')).listen(8080) /* ${marker} */`;

  before(async () => {
    c = await startCluster({ args: ['--nodes', '2', '--proxy-mode', 'userspace'] });
    id = instanceId(c.dataDir);
    await c.k(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          ...webApp(server, marker),
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'sticky' }, spec: { selector: { app: 'web' }, sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 8080 }] } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'nobody' }, spec: { type: 'NodePort', selector: { app: 'none' }, ports: [{ port: 80, targetPort: 8080 }] } },
        ],
      }),
    });
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
  });

  after(async () => {
    await c?.stop();
  });

  test('NodePort on 127.0.0.1 and the ClusterIP from the host are balanced over the replicas by the proxy process', async () => {
    const pods = new Set((await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' '));
    const nodePort = Number(await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const clusterIP = (await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    for (const url of [`http://127.0.0.1:${nodePort}/`, `http://${clusterIP}/`]) {
      const seen = new Set<string>();
      const until = Date.now() + 5000;
      while (seen.size < 3 && Date.now() < until) seen.add((await get(url)).split(' ')[0]!);
      assert.deepEqual([...seen].sort(), [...pods].sort(), `every replica answers through ${url}`);
    }
    // The pods see the proxy's connections, from the node gateways: nothing is DNAT'ed.
    assert.match(await get(`http://${clusterIP}/`), /^web-\S+ (::ffff:)?10\.\d+\.\d+\.1$/);
    const map = execFileSync('nft', ['list', 'map', 'ip', nftTable(id), 'service-ips'], { encoding: 'utf8' });
    assert.ok(!map.includes('elements'), `no service rules in the kernel in userspace mode:\n${map}`);
    const addrs = execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
    assert.ok(addrs.includes(`${clusterIP}/32`) && addrs.includes(clusterIPLabel(id)), `the cluster IP is bound on loopback:\n${addrs}`);
  });

  test('a pod reaches the Service by DNS name; ClientIP affinity keeps it on one replica', async () => {
    const script = `const get=(u)=>new Promise(r=>require('http').get(u,{agent:false},s=>{let b='';s.on('data',d=>b+=d);s.on('end',()=>r(b.split(' ')[0]))}).on('error',e=>r('error '+e.code)));(async()=>{const web=new Set(),sticky=new Set();for(let i=0;i<12;i++){web.add(await get('http://web.default.svc.cluster.local/'));sticky.add(await get('http://sticky/'))}console.log('web '+web.size+' sticky '+sticky.size+' '+[...sticky].join(','))})() /* ${marker} */`;
    await c.k(['run', 'client', '--image=node', '--restart=Never', '--command', '--', 'node', '-e', script]);
    await c.k(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/client', '--timeout=60s']);
    const logs = (await c.k(['logs', 'client'])).trim();
    assert.match(logs, /^web [23] sticky 1 web-\S+$/, logs);
  });

  test('a Service without endpoints is refused at once, on its ClusterIP and its NodePort', async () => {
    const clusterIP = (await c.k(['get', 'svc', 'nobody', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const nodePort = Number(await c.k(['get', 'svc', 'nobody', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    for (const [host, port] of [[clusterIP, 80], ['127.0.0.1', nodePort]] as const) {
      const r = await tryConnect(host, port);
      assert.equal(r.outcome, 'ECONNREFUSED', `${host}:${port}`);
      assert.ok(r.ms < 500, `refused in ${r.ms.toFixed(0)} ms`);
    }
  });

  test('throughput through the userspace proxy is measured against the pod directly', async () => {
    const podIP = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].status.podIP}'])).trim();
    const clusterIP = (await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const size = 256 << 20;
    const direct = await bestThroughput(podIP, 9000, size);
    const viaService = await bestThroughput(clusterIP, 9000, size);
    const ratio = viaService / direct;
    process.stdout.write(`# userspace proxy throughput: direct ${direct.toFixed(0)} MB/s, via ClusterIP ${viaService.toFixed(0)} MB/s, ratio ${ratio.toFixed(2)}\n`);
    // A copy through one process costs more than the kernel's forwarding; it must stay usable.
    assert.ok(ratio >= 0.2, `userspace ClusterIP throughput ${viaService.toFixed(0)} MB/s is below a fifth of direct ${direct.toFixed(0)} MB/s`);
  });

  test('after skiff server stops, no cluster IP address, route, rule or pod process is left', async () => {
    const plan = JSON.parse(readFileSync(`${c.dataDir}/network.json`, 'utf8')) as { serviceCIDR: string };
    await c.stop();
    const addrs = execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });
    assert.ok(!addrs.includes(clusterIPLabel(id)), addrs);
    const routes = execFileSync('ip', ['route'], { encoding: 'utf8' });
    assert.ok(!routes.includes(plan.serviceCIDR), routes);
    assert.ok(!execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).includes(nftTable(id)));
    assert.deepEqual(processesWith(marker), []);
  });
});

describe('userspace proxy fallback of a server without root (pods on the host network)', { skip: kubectlSkip || (isRoot ? false : 'needs root to start the server as another user'), timeout: 300_000 }, () => {
  let c: TestCluster;
  const marker = `skiff-hn-${randomBytes(4).toString('hex')}`;
  // Ports of pods that share the host's network: chosen per run to stay clear of other tests.
  const base = 20000 + (parseInt(marker.slice(-4), 16) % 5000) * 2;
  const listen = (port: number) => `require('http').createServer((q,r)=>r.end(process.env.HOSTNAME+'\\n')).listen(${port}) /* ${marker} */`;

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'skiff-nonroot-'));
    chownSync(dataDir, 65534, 65534);
    c = await startCluster({ dataDir, wrap: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${dataDir}`], args: ['--nodes', '1', '--log-level', 'info'] });
    const deployment = (name: string, port: number) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'hn', which: name } },
        template: {
          metadata: { labels: { app: 'hn', which: name } },
          spec: { containers: [{ name: 'web', image: 'node', command: ['node', '-e', listen(port)], ports: [{ name: 'http', containerPort: port }], readinessProbe: { tcpSocket: { port }, periodSeconds: 1 } }] },
        },
      },
    });
    await c.k(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          deployment('one', base),
          deployment('two', base + 1),
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hn' }, spec: { type: 'NodePort', selector: { app: 'hn' }, ports: [{ port: 80, targetPort: 'http' }] } },
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'mapped' },
            spec: { containers: [{ name: 'web', image: 'node', command: ['node', '-e', listen(base + 2)], ports: [{ containerPort: base + 2, hostPort: base + 3 }], readinessProbe: { tcpSocket: { port: base + 2 }, periodSeconds: 1 } }] },
          },
        ],
      }),
    });
    await c.k(['rollout', 'status', 'deployment/one', '--timeout=90s']);
    await c.k(['rollout', 'status', 'deployment/two', '--timeout=90s']);
    await c.k(['wait', '--for=condition=Ready', 'pod/mapped', '--timeout=60s']);
  });

  after(async () => {
    await c?.stop();
  });

  test('pods share the host network and say so', async () => {
    const ips = (await c.k(['get', 'pods', '-l', 'app=hn', '-o', 'jsonpath={.items[*].status.podIP}'])).trim().split(' ');
    assert.deepEqual(ips, ['127.0.0.1', '127.0.0.1']);
    const events = await c.k(['get', 'events', '--field-selector', 'reason=HostNetworkFallback', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /Pod networking is not available on node node-1 \(network namespaces need root: pods share the host's network\); the pod uses the host's network/);
    assert.match(c.logs(), /cluster IPs are not reachable from this machine: the userspace proxy needs root to bind them/);
  });

  test("the NodePort answers on 127.0.0.1, balanced over pods listening on different ports behind one named target port", async () => {
    const nodePort = Number(await c.k(['get', 'svc', 'hn', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const endpoints = (await c.k(['get', 'endpoints', 'hn', '-o', 'jsonpath={.subsets[*].ports[*].port}'])).trim().split(' ').sort();
    assert.deepEqual(endpoints, [String(base), String(base + 1)]);
    const seen = new Set<string>();
    const until = Date.now() + 5000;
    while (seen.size < 2 && Date.now() < until) seen.add(await get(`http://127.0.0.1:${nodePort}/`));
    assert.equal(seen.size, 2, `both pods answer through the NodePort: ${[...seen].join(', ')}`);
    await c.k(['scale', 'deployment/one', 'deployment/two', '--replicas=0']);
    await waitFor(async () => (await tryConnect('127.0.0.1', nodePort)).outcome === 'ECONNREFUSED', 10_000, 'the NodePort refuses once no pod is left');
  });

  test('a host port differing from the container port is forwarded to the pod', async () => {
    assert.equal(await get(`http://127.0.0.1:${base + 3}/`), 'mapped');
    await c.k(['delete', 'pod', 'mapped', '--wait=true']);
    await waitFor(async () => (await tryConnect('127.0.0.1', base + 3)).outcome === 'ECONNREFUSED', 10_000, 'the host port is closed with the pod');
  });

  test('after the server stops no pod process is left', async () => {
    await c.stop();
    assert.deepEqual(processesWith(marker), []);
  });
});
