/**
 * Services and pod networking as a user meets them, with the real kubectl on `skiff server
 * --nodes 2` (issue 6's "done when"): a Deployment of 3 replicas all listening on 8080 gets 3 pod
 * IPs and is Ready; its NodePort answers on 127.0.0.1 and the node address and balances across the
 * replicas; a pod on the other node reaches the Service by its DNS name and sees its environment
 * variables; `kubectl get svc,endpoints -o wide` read as on a real cluster; scaling down removes
 * endpoints within a second; taken node ports and cluster IPs are refused with Kubernetes'
 * messages and freed on delete; throughput through the ClusterIP is measured against the pod
 * directly; and after `skiff server` stops no namespace, link, rule or pod process is left.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';
import { instanceId, nftTable, podNetworkingAvailable } from '../../src/agent/network/host-network.js';
import { defaultNodeIP } from '../../src/agent/machine-info.js';
import { processesWith } from '../helpers/processes.js';
import { webApp } from '../helpers/web-app.js';
import { get, throughput } from '../helpers/net.js';

const net = await podNetworkingAvailable();
const skip = kubectlUnavailable() || (net.ok ? false : `pod networking unavailable: ${net.why}`);

describe('services and pod networking with kubectl on two nodes', { skip, timeout: 300_000 }, () => {
  let c: TestCluster;
  let id: string;
  const marker = `skiff-net-${randomBytes(4).toString('hex')}`;
  const server = `require('http').createServer((q,r)=>r.end(require('os').hostname()+'\\n')).listen(8080) /* ${marker} */`;

  before(async () => {
    c = await startCluster({ args: ['--nodes', '2'] });
    id = instanceId(c.dataDir);
    await c.k(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: webApp(server, marker),
      }),
    });
  });

  after(async () => {
    await c?.stop();
  });

  test('three replicas on one port get three pod IPs and are Ready', async () => {
    await c.k(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const ips = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.podIP}'])).trim().split(' ');
    assert.equal(ips.length, 3);
    assert.equal(new Set(ips).size, 3, `distinct pod IPs: ${ips.join(' ')}`);
    const cidrs = (await c.k(['get', 'nodes', '-o', 'jsonpath={.items[*].spec.podCIDR}'])).trim().split(' ');
    assert.equal(new Set(cidrs).size, 2, `each node has its own pod CIDR: ${cidrs.join(' ')}`);
    for (const ip of ips) assert.ok(cidrs.some((cidr) => ip.startsWith(cidr.split('.').slice(0, 3).join('.') + '.')), `${ip} is inside a node pod CIDR`);
    const ready = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}'])).trim().split(' ');
    assert.deepEqual(ready, ['True', 'True', 'True']);
  });

  test('the NodePort answers on 127.0.0.1 and the node address and balances across the replicas', async () => {
    const nodePort = Number(await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.ok(nodePort >= 30000 && nodePort <= 32767);
    const pods = new Set((await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' '));
    const seen = new Set<string>();
    // Rules follow endpoints within moments of the rollout: keep asking for a few seconds.
    const until = Date.now() + 5000;
    while (seen.size < 3 && Date.now() < until) seen.add(await get(`http://127.0.0.1:${nodePort}/`));
    const endpoints = await c.k(['get', 'endpoints', 'web', '-o', 'yaml']);
    assert.deepEqual([...seen].sort(), [...pods].sort(), `every replica answers through 127.0.0.1:nodePort (endpoints: ${endpoints})`);
    const hostIP = defaultNodeIP();
    if (hostIP !== '127.0.0.1') assert.ok(pods.has(await get(`http://${hostIP}:${nodePort}/`)), `the NodePort answers on ${hostIP}`);
    const clusterIP = (await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.ok(pods.has(await get(`http://${clusterIP}/`)), 'the ClusterIP answers from the host');
  });

  test('a pod on the other node reaches the Service by its DNS name and has its environment variables', async () => {
    const nodes = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.nodeName}'])).trim().split(' ');
    const other = nodes.filter((n) => n === 'node-1').length >= nodes.filter((n) => n === 'node-2').length ? 'node-2' : 'node-1';
    const script = `const dns=require('dns');dns.lookup('web',(e,a)=>{console.log('lookup '+(e?e.code:a));require('http').get('http://web.default.svc.cluster.local/',r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log('answer '+b.trim()))}).on('error',e=>console.log('error '+e.message))}); /* ${marker} */`;
    await c.k(['run', 'client', '--image=node', '--restart=Never', `--overrides=${JSON.stringify({ spec: { nodeName: other } })}`, '--command', '--', 'node', '-e', script]);
    await c.k(['wait', '--for=jsonpath={.status.phase}=Succeeded', 'pod/client', '--timeout=60s']);
    const logs = await c.k(['logs', 'client']);
    const clusterIP = (await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.match(logs, new RegExp(`lookup ${clusterIP.replaceAll('.', '\\.')}`), logs);
    assert.match(logs, /answer web-[a-z0-9]+-[a-z0-9]+/, logs);
    const env = await c.k(['exec', 'deploy/web', '-c', 'web', '--', 'sh', '-c', 'env | grep -E "^(WEB|KUBERNETES)_SERVICE" | sort']);
    assert.match(env, new RegExp(`WEB_SERVICE_HOST=${clusterIP.replaceAll('.', '\\.')}`));
    assert.match(env, /WEB_SERVICE_PORT=80\n/);
    assert.match(env, /WEB_SERVICE_PORT_SINK=9000/);
    assert.match(env, /KUBERNETES_SERVICE_HOST=10\.\d+\.0\.1\n/);
    const resolv = await c.k(['exec', 'deploy/web', '-c', 'web', '--', 'cat', '/etc/resolv.conf']);
    assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local/m);
    assert.match(resolv, /^options ndots:5$/m);
  });

  test('kubectl get svc,endpoints -o wide and endpointslices read as on a real cluster', async () => {
    const out = await waitFor(async () => {
      const o = await c.k(['get', 'svc,endpoints', '-o', 'wide']);
      return o.includes('endpoints/web ') ? o : undefined;
    }, 10_000, `endpoints/web listed (server log: ${c.logs().slice(-3000)})`);
    assert.match(out, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m);
    assert.match(out, /^service\/kubernetes\s+ClusterIP\s+10\.\d+\.0\.1\s+<none>\s+443\/TCP\s+\S+\s+<none>$/m);
    assert.match(out, /^service\/web\s+NodePort\s+10\.[\d.]+\s+<none>\s+80:3\d{4}\/TCP,9000:3\d{4}\/TCP\s+\S+\s+app=web$/m);
    assert.match(out, /^NAME\s+ENDPOINTS\s+AGE$/m);
    assert.match(out, /^endpoints\/web\s+(\d+\.\d+\.\d+\.\d+:(8080|9000),){2}\d+\.\d+\.\d+\.\d+:(8080|9000) \+ 3 more\.\.\.\s+\S+$/m);
    const slices = await c.k(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    assert.match(slices, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/m);
    assert.match(slices, /^web-[a-z0-9]{5}\s+IPv4\s+(8080,9000|9000,8080)\s+[\d.]+,[\d.]+,[\d.]+\s+\S+$/m);
    const dns = await c.k(['get', 'svc', 'kube-dns', '-n', 'kube-system']);
    assert.match(dns, /kube-dns\s+ClusterIP\s+10\.\d+\.0\.10\s+<none>\s+53\/UDP,53\/TCP/);
  });

  test('throughput through the ClusterIP is measured against the pod directly', async () => {
    const podIP = (await c.k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].status.podIP}'])).trim();
    const clusterIP = (await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const size = 256 * 1024 * 1024;
    await throughput(podIP, 9000, 16 << 20); // warm up
    const direct = Math.max(await throughput(podIP, 9000, size), await throughput(podIP, 9000, size));
    const viaService = Math.max(await throughput(clusterIP, 9000, size), await throughput(clusterIP, 9000, size));
    const ratio = viaService / direct;
    process.stdout.write(`# service proxy throughput: direct ${direct.toFixed(0)} MB/s, via ClusterIP ${viaService.toFixed(0)} MB/s, ratio ${ratio.toFixed(2)}\n`);
    assert.ok(ratio >= 0.5, `ClusterIP throughput ${viaService.toFixed(0)} MB/s is below half of direct ${direct.toFixed(0)} MB/s`);
  });

  test('scaling down removes endpoints within a second', async () => {
    await c.k(['scale', 'deployment/web', '--replicas=1']);
    const started = Date.now();
    await waitFor(async () => (await c.k(['get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[*].addresses[*].ip}'])).trim().split(' ').length === 1, 5000, 'one endpoint left');
    const took = Date.now() - started;
    assert.ok(took < 1500, `endpoints followed the scale-down in ${took} ms (kubectl round trips included)`);
  });

  test('taken node ports and cluster IPs are refused with Kubernetes messages; deleting a Service frees them', async () => {
    const nodePort = Number(await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const clusterIP = (await c.k(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const svcYaml = (spec: object) => JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'other' }, spec: { ports: [{ port: 80, targetPort: 8080 }], ...spec } });
    const taken = await c.kubectl(['create', '-f', '-'], { input: svcYaml({ type: 'NodePort', ports: [{ port: 80, targetPort: 8080, nodePort }] }) });
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, new RegExp(`^The Service "other" is invalid: spec.ports\\[0\\].nodePort: Invalid value: ${nodePort}: provided port is already allocated`, 'm'));
    const ipTaken = await c.kubectl(['create', '-f', '-'], { input: svcYaml({ clusterIP }) });
    const ipRe = clusterIP.replaceAll('.', '\\.');
    assert.match(ipTaken.stderr, new RegExp(`^The Service "other" is invalid: spec.clusterIPs: Invalid value: \\[\\]string\\{"${ipRe}"\\}: failed to allocate IP ${ipRe}: provided IP is already allocated`, 'm'));
    const outside = await c.kubectl(['create', '-f', '-'], { input: svcYaml({ type: 'NodePort', ports: [{ port: 80, targetPort: 8080, nodePort: 8080 }] }) });
    assert.match(outside.stderr, /nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767/);
    await c.k(['delete', 'svc', 'web']);
    await c.k(['create', 'service', 'nodeport', 'other', '--tcp=80:8080', `--node-port=${nodePort}`]);
    await c.k(['create', 'service', 'clusterip', 'again', '--tcp=80:8080', `--clusterip=${clusterIP}`]);
    assert.equal((await c.k(['get', 'svc', 'again', '-o', 'jsonpath={.spec.clusterIP}'])).trim(), clusterIP);
    // A Service without ready endpoints refuses connections at once.
    const started = Date.now();
    const err = await fetch(`http://${clusterIP}/`, { signal: AbortSignal.timeout(3000) }).then(() => 'answered', (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.name);
    assert.equal(err, 'ECONNREFUSED');
    assert.ok(Date.now() - started < 1000);
  });

  test('after skiff server stops, no namespace, link, rule or pod process is left', async () => {
    const plan = JSON.parse(readFileSync(`${c.dataDir}/network.json`, 'utf8')) as { clusterCIDR: string };
    await c.stop();
    const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.ok(!netns.includes(`skiff-${id}-`), netns);
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.ok(!links.includes(`skb${id}`) && !links.includes(`skv${id}`), links);
    const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
    assert.ok(!tables.includes(nftTable(id)), tables);
    assert.deepEqual(processesWith(marker), []);
    const routes = execFileSync('ip', ['route'], { encoding: 'utf8' });
    assert.ok(!routes.includes(plan.clusterCIDR.split('/')[0]!.split('.').slice(0, 2).join('.') + '.'), routes);
  });
});
