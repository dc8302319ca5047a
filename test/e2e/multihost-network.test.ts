/**
 * Pod networking across machines: two "machines" made of network namespaces on a private bridge
 * (test/helpers/netns.ts) — `skiff server --nodes 1` bound to the first machine's address, and
 * `skiff agent` on the second. The agent reads the cluster's ranges from the control plane, gets
 * its node's pod CIDR from the node IPAM controller, and sets up its bridge, namespaces, service
 * proxy and DNS like the server's local node; each side routes the other's pod CIDR through the
 * other's address (host-gw). A pod on the agent reaches a pod on the server's node at its own
 * address (no address translation in between), the same pod through its Service's ClusterIP by
 * DNS name, and the API server through the `kubernetes` Service; a pod on the server's node
 * reaches a pod on the agent. When the agent stops, nothing it made is left on its machine.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIFF_BIN } from '../helpers/cluster.js';
import { kubectlPath, kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';
import { createLan, netnsUnavailable, type Lan } from '../helpers/netns.js';
import { execOn, startOn, stopProcess, type LanProcess } from '../helpers/lan-process.js';
import { instanceId, nftTable, podNetworkingAvailable, REGISTRY_DIR } from '../../src/agent/network/host-network.js';

const net = await podNetworkingAvailable();
const skip = kubectlUnavailable() || netnsUnavailable() || (net.ok ? false : `pod networking unavailable: ${net.why}`);
const API_PORT = 6443;

/** A pod pinned to a node running a one-line node program. */
function nodePod(name: string, node: string, script: string, extra: Record<string, unknown> = {}): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { nodeName: node, containers: [{ name: 'main', image: 'node', command: ['node', '-e', script], ...extra }] } };
}

const ANSWER = `require('http').createServer((q,r)=>r.end(require('os').hostname()+' '+q.socket.remoteAddress.replace('::ffff:','')+'\\n')).listen(8080)`;
/** Prints `<label> <answer>` for each `label=url` argument, in order. */
const FETCH = `const get=u=>new Promise(r=>require('http').get(u,{agent:false,timeout:5000},s=>{let b='';s.on('data',d=>b+=d);s.on('end',()=>r(b.trim()))}).on('error',e=>r('error '+e.code)).on('timeout',function(){this.destroy(new Error('timeout'))}));(async()=>{for(const a of process.argv.slice(1)){const i=a.indexOf('=');console.log(a.slice(0,i)+' '+await get(a.slice(i+1)))}})()`;

describe('pods on an agent machine and on the server machine reach each other (host-gw)', { skip, timeout: 600_000 }, () => {
  let lan: Lan;
  let server: LanProcess;
  let agent: LanProcess;
  const dirs: Record<string, string> = {};
  const k = (args: string[], input?: string) => execOn(lan, 0, [kubectlPath()!, '--kubeconfig', join(dirs.server!, 'kubeconfig.yaml'), ...args], input === undefined ? {} : { input });
  const podField = async (pod: string, path: string) => (await k(['get', 'pod', pod, '-o', `jsonpath={${path}}`])).trim();

  before(async () => {
    lan = createLan(2);
    for (const d of ['server', 'agent']) dirs[d] = await mkdtemp(join(tmpdir(), `skiff-mhnet-${d}-`));
    server = startOn(lan, 0, [process.execPath, SKIFF_BIN, 'server', '--data-dir', dirs.server!, '--bind-address', lan.addresses[0]!, '--port', String(API_PORT), '--nodes', '1', '--log-level', 'warn']);
    await waitFor(() => server.child.exitCode !== null || /Skiff is running at/.test(server.out()), 60_000, 'the server');
    if (server.child.exitCode !== null) throw new Error(`server exited:\n${server.out()}`);
    const token = (await readFile(join(dirs.server!, 'node-token'), 'utf8')).trim();
    agent = startOn(lan, 1, [
      process.execPath, SKIFF_BIN, 'agent', '--server', `https://${lan.addresses[0]}:${API_PORT}`, '--token', token, '--name', 'remote-1',
      '--node-ip', lan.addresses[1]!, '--data-dir', dirs.agent!, '--log-level', 'warn',
    ]);
    await waitFor(async () => /\sReady\s/.test(await k(['get', 'node', 'remote-1', '--no-headers']).catch(() => '')), 60_000, `remote-1 Ready (agent: ${agent.out()})`);
  });

  after(async () => {
    await stopProcess(agent);
    await stopProcess(server);
    await lan?.destroy();
    for (const d of Object.values(dirs)) await rm(d, { recursive: true, force: true });
  });

  test('each node has its own pod CIDR, and each machine routes the other one through the other machine', async () => {
    const cidrs = Object.fromEntries(
      (await k(['get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR}{"\\n"}{end}']))
        .trim()
        .split('\n')
        .map((l) => l.split('=')),
    ) as Record<string, string>;
    assert.ok(cidrs['node-1'] && cidrs['remote-1'] && cidrs['node-1'] !== cidrs['remote-1'], JSON.stringify(cidrs));
    assert.match(await execOn(lan, 1, ['ip', 'route', 'show', cidrs['node-1']!]), new RegExp(`via ${lan.addresses[0]!.replaceAll('.', '\\.')} `));
    await waitFor(async () => (await execOn(lan, 0, ['ip', 'route', 'show', cidrs['remote-1']!])).includes(`via ${lan.addresses[1]} `), 10_000, 'the server machine routes to the agent pods');
    // The server's node sits at the server's address, so the agent has somewhere to route to.
    assert.equal((await k(['get', 'node', 'node-1', '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'])).trim(), lan.addresses[0]);
  });

  test('a pod on the agent reaches a pod on the server node at its IP, by Service name, and the API server', async () => {
    await k(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      nodePod('srv', 'node-1', ANSWER, { ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'srv' }, spec: { selector: { app: 'srv' }, ports: [{ port: 80, targetPort: 8080 }] } },
    ] }));
    await k(['wait', '--for=condition=Ready', 'pod/srv', '--timeout=60s']);
    const srvIP = await podField('srv', '.status.podIP');
    const curl = 'curl -sS --max-time 10 --cacert /ca/ca.crt https://kubernetes.default.svc/version';
    await k(['create', '-f', '-'], JSON.stringify({
      ...nodePod('client', 'remote-1', `${FETCH}`),
      spec: {
        nodeName: 'remote-1',
        restartPolicy: 'Never',
        volumes: [{ name: 'ca', configMap: { name: 'kube-root-ca.crt' } }],
        containers: [
          { name: 'main', image: 'node', command: ['node', '-e', FETCH, `direct=http://${srvIP}:8080/`, 'service=http://srv.default.svc.cluster.local/'] },
          { name: 'api', image: 'curl', command: ['sh', '-c', curl], volumeMounts: [{ name: 'ca', mountPath: '/ca' }] },
        ],
      },
    }));
    await waitFor(async () => ['Succeeded', 'Failed'].includes(await podField('client', '.status.phase')), 60_000, 'the client pod to finish');
    const clientIP = await podField('client', '.status.podIP');
    const out = await k(['logs', 'client', '-c', 'main']);
    const esc = (s: string) => s.replaceAll('.', '\\.');
    assert.match(out, new RegExp(`^direct srv ${esc(clientIP)}$`, 'm'), `the server pod sees the client's own address (no NAT between machines):\n${out}`);
    assert.match(out, new RegExp(`^service srv ${esc(clientIP)}$`, 'm'), out);
    const version = JSON.parse(await k(['logs', 'client', '-c', 'api'])) as { gitVersion: string };
    assert.match(version.gitVersion, /^v1\.\d+/);
    assert.equal(await podField('client', '.status.phase'), 'Succeeded');
  });

  test('a pod on the server node reaches a pod on the agent', async () => {
    await k(['create', '-f', '-'], JSON.stringify(nodePod('far', 'remote-1', ANSWER, { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } })));
    await k(['wait', '--for=condition=Ready', 'pod/far', '--timeout=60s']);
    const farIP = await podField('far', '.status.podIP');
    await k(['create', '-f', '-'], JSON.stringify({ ...nodePod('near', 'node-1', FETCH), spec: { nodeName: 'node-1', restartPolicy: 'Never', containers: [{ name: 'main', image: 'node', command: ['node', '-e', FETCH, `far=http://${farIP}:8080/`] }] } }));
    await waitFor(async () => (await podField('near', '.status.phase')) === 'Succeeded', 60_000, 'the near pod to finish');
    const nearIP = await podField('near', '.status.podIP');
    assert.equal((await k(['logs', 'near'])).trim(), `far far ${nearIP}`);
  });

  test('when the agent stops, its bridge, namespaces, routes and rules are gone from its machine', async () => {
    const id = instanceId(dirs.agent!);
    agent.child.kill('SIGTERM');
    // The network goes once the pods are stopped, its registry entry last; the process itself
    // is stopped for good after that.
    await waitFor(() => !existsSync(join(REGISTRY_DIR, `${id}.json`)) || agent.child.exitCode !== null, 30_000, `the agent's network released (agent: ${agent.out()})`);
    await stopProcess(agent);
    const links = await execOn(lan, 1, ['ip', '-o', 'link', 'show']);
    assert.ok(!links.includes(`skb${id}`) && !links.includes(`skv${id}`), links);
    const routes = await execOn(lan, 1, ['ip', 'route', 'show']);
    assert.ok(!/ via .* metric 4242/.test(routes) && !routes.includes('unreachable'), routes);
    assert.ok(!(await execOn(lan, 1, ['nft', 'list', 'tables'])).includes(nftTable(id)));
    assert.ok(!(await execOn(lan, 1, ['ip', 'netns', 'list'])).includes(`skiff-${id}-`));
  });
});
