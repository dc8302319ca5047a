/**
 * Node agents from the command line: `skiff agent` (join this machine to a cluster) and the
 * local agents `skiff server --nodes N` runs in its own process (`node-1` … `node-N`, each with
 * its own data dir under the server's, talking to the API server in-process as its node user so
 * the node authorizer applies to it as to any remote agent).
 *
 * `simulated` nodes share one pod informer and spread their heartbeats, so one process holds
 * thousands of them.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { setMaxListeners } from 'node:events';
import { get as httpsGet } from 'node:https';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ApiHandler } from '../api/http.js';
import { Client } from '../client/client.js';
import { inProcessTransport } from '../client/in-process-transport.js';
import { httpTransport } from '../client/http-transport.js';
import { FailoverTransport } from '../client/failover-transport.js';
import type { Transport } from '../client/transport.js';
import { createLogger, type Logger, type LogLevel } from '../client/log.js';
import { NodeAgent } from '../agent/node-agent.js';
import { loadNodeConfig, type NodeConfig } from '../agent/node-config.js';
import { ProcessRuntime } from '../agent/runtime/process/process-runtime.js';
import { SimulatedRuntime } from '../agent/runtime/simulated-runtime.js';
import type { ContainerRuntime } from '../agent/runtime/runtime.js';
import { SharedPodSource } from '../agent/pod-source.js';
import { PersistentVolumeSource } from '../agent/local-volumes.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { machineInfo, defaultNodeIP } from '../agent/machine-info.js';
import { KubeletServer } from '../agent/kubelet-server.js';
import { loadOrCreateServingCert } from '../agent/serving-cert.js';
import { AgentStreamsBackend, type StreamsBackend } from '../agent/streams-backend.js';
import { SKIFF_VERSION } from './version.js';
import { HostNetworking } from '../proxy/host-networking.js';
import type { ProxyMode } from '../proxy/service-proxy.js';
import { adoptClusterNetwork, DEFAULT_CLUSTER_CIDR, DEFAULT_SERVICE_CIDR, podNetworkingAvailable } from '../agent/network/host-network.js';
import { readClusterNetworkConfig } from '../agent/network/cluster-network-config.js';

export type RuntimeKind = 'process' | 'simulated';

/** Default port of `skiff agent`'s kubelet endpoint. */
export const DEFAULT_KUBELET_PORT = 10250;

/** Hook for the pod-streams handlers: given the backend, mounts them on the kubelet server. */
export type StreamsMount = (server: KubeletServer, backend: StreamsBackend, logger: Logger) => void;

let streamsMount: StreamsMount | undefined;
/** Registers how streams handlers are mounted on every agent started afterwards. */
export function setStreamsMount(mount: StreamsMount): void {
  streamsMount = mount;
}

export interface RunningNodes {
  names: string[];
  agents: NodeAgent[];
  stop(): Promise<void>;
}

interface AgentSetup {
  name: string;
  client: Client;
  dataDir: string;
  runtimeKind: RuntimeKind;
  nodeIP: string;
  bindAddress: string;
  kubeletPort: number;
  joinSecret: string;
  configPath?: string;
  logger: Logger;
  /** Pod networking of this machine (local nodes of `skiff server`). */
  networking?: HostNetworking;
}

/** Creates one process-runtime agent with its kubelet server (not started). */
async function processAgent(s: AgentSetup): Promise<{ agent: NodeAgent; server: KubeletServer }> {
  await mkdir(s.dataDir, { recursive: true, mode: 0o700 });
  const nodeConfig = await loadNodeConfig(s.configPath ?? join(s.dataDir, 'config.yaml'));
  const runtime = await ProcessRuntime.create({ dir: join(s.dataDir, 'runtime'), nodeName: s.name, version: SKIFF_VERSION, logger: s.logger });
  const cert = await loadOrCreateServingCert(s.dataDir, s.name, [...new Set([s.nodeIP, '127.0.0.1', 'localhost', s.name])]);
  const server = new KubeletServer({ certPem: cert.certPem, keyPem: cert.keyPem, joinSecret: s.joinSecret, logger: s.logger });
  const port = await server.listen(s.kubeletPort, s.bindAddress);
  const network = await s.networking?.forNode(s.name, s.client, s.dataDir);
  const agent = new NodeAgent({ name: s.name, client: s.client, runtime, dataDir: s.dataDir, version: SKIFF_VERSION, nodeIP: s.nodeIP, kubeletPort: port, servingCertSha256: cert.sha256, nodeConfig, logger: s.logger, ...(network ? { network } : {}) });
  const backend = new AgentStreamsBackend({ runtime, pod: (ns, n) => agent.podByName(ns, n), podIP: (pod) => network?.podIP(pod.metadata?.uid ?? '') ?? s.nodeIP, ...(network ? { dial: (pod: Pod, port: number) => network.dial(pod, port) } : {}) });
  streamsMount?.(server, backend, s.logger);
  return { agent, server };
}

export interface LocalNodesOptions {
  handler: ApiHandler;
  count: number;
  runtime: RuntimeKind;
  /** The server's data dir; nodes live in `<dir>/nodes/<name>`. */
  dataDir: string;
  joinSecret: string;
  leavePodsRunning?: boolean;
  logger: Logger;
  /** Pod networking of this machine, shared by the local process nodes. */
  networking?: HostNetworking;
  /** Node names (default `node-1` … `node-<count>`); servers sharing an etcd need their own. */
  names?: string[];
  /** InternalIP of the process nodes, and where their kubelet endpoints listen (default 127.0.0.1). */
  nodeIP?: string;
}

/** Node names of local agents: stable for a data dir, readable. */
export function localNodeName(i: number): string {
  return `node-${i}`;
}

/** Starts `count` local node agents in this process. */
export async function startLocalNodes(opts: LocalNodesOptions): Promise<RunningNodes> {
  const stop = new AbortController();
  // Every agent waits on this one signal (loops, informers): not a leak.
  setMaxListeners(0, stop.signal);
  const names = opts.names ?? Array.from({ length: opts.count }, (_, i) => localNodeName(i + 1));
  const clientFor = (name: string): Client =>
    new Client({
      transport: inProcessTransport(opts.handler, { name: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] }),
      fieldManager: 'kubelet',
      userAgent: `kubelet/v1.33.0-skiff.${SKIFF_VERSION} (${name})`,
      logger: opts.logger,
    });
  const agents: NodeAgent[] = [];
  const servers: KubeletServer[] = [];
  const runs: Array<Promise<void>> = [];
  if (opts.runtime === 'simulated') {
    // One informer for all simulated nodes; machine facts measured once.
    const source = new SharedPodSource(clientFor(names[0] ?? 'node-1'), { logger: opts.logger });
    source.start(stop.signal);
    // One PersistentVolume watch for the fleet too (deleted local-path volumes lose their finalizer).
    const volumeSource = new PersistentVolumeSource(clientFor(names[0] ?? 'node-1'), { logger: opts.logger });
    volumeSource.start(stop.signal);
    // And one Node watch: each node compares its status with the API's (not a GET per node).
    const nodeFactory = new SharedInformerFactory(clientFor(names[0] ?? 'node-1'), { logger: opts.logger, freeze: true });
    const nodeInformer = nodeFactory.nodes();
    nodeFactory.start(stop.signal);
    const machine = await machineInfo(opts.dataDir);
    const nodeConfig: NodeConfig = { path: '', images: new Map(), capacity: {} };
    for (const name of names) {
      const agent = new NodeAgent({
        name,
        client: clientFor(name),
        runtime: new SimulatedRuntime(SKIFF_VERSION),
        dataDir: join(opts.dataDir, 'nodes', name),
        version: SKIFF_VERSION,
        nodeIP: '127.0.0.1',
        kubeletPort: DEFAULT_KUBELET_PORT,
        nodeConfig,
        podSource: source,
        volumeSource,
        nodeLookup: (n) => nodeInformer.store.getByName('', n),
        machine,
        recordEvents: false,
        logger: opts.logger,
      });
      agents.push(agent);
      runs.push(agent.run(stop.signal, { spreadHeartbeats: true }));
    }
    runs.push(source.stopped(), volumeSource.stopped(), nodeFactory.shutdown());
  } else {
    for (const name of names) {
      const { agent, server } = await processAgent({
        name,
        client: clientFor(name),
        dataDir: join(opts.dataDir, 'nodes', name),
        runtimeKind: 'process',
        nodeIP: opts.nodeIP ?? '127.0.0.1',
        bindAddress: opts.nodeIP ?? '127.0.0.1',
        kubeletPort: 0,
        joinSecret: opts.joinSecret,
        logger: opts.logger.child({ node: name }),
        ...(opts.networking ? { networking: opts.networking } : {}),
      });
      agents.push(agent);
      servers.push(server);
      runs.push(agent.run(stop.signal, { leavePodsRunning: opts.leavePodsRunning ?? false }));
    }
  }
  let stopping: Promise<void> | undefined;
  return {
    names,
    agents,
    stop() {
      stopping ??= (async () => {
        stop.abort();
        await Promise.all(runs);
        await Promise.all(servers.map((s) => s.close()));
      })();
      return stopping;
    },
  };
}

const AGENT_USAGE = `Usage: skiff agent --server URL --token TOKEN [flags]

Joins this machine to a Skiff cluster as a node.

Flags:
  --server URL[,URL...]   the API server (https://host:6443), a load balancer in front of several, or several
                          servers of one cluster: requests go to one and move on when it cannot be reached
  --token TOKEN           the node join token (the server's <data-dir>/node-token)
  --name NAME             node name (default: this machine's hostname)
  --data-dir DIR          node state, pod logs and volumes (default ~/.skiff-agent)
  --runtime KIND          process (default) or simulated
  --ca-file FILE          the cluster CA (default: fetched from /cacerts and checked against the token)
  --node-ip IP            address the API server and pods use to reach this node (default: first non-loopback IPv4)
  --port N                kubelet port (default 10250)
  --config FILE           node config file (default <data-dir>/config.yaml)
  --proxy-mode MODE       service proxy: nftables (default where pods get network namespaces: root, iproute2,
                          nftables) or userspace (listeners in this process; without root, NodePorts only)
  --leave-pods-running    on SIGTERM/SIGINT, exit without stopping pods (they are re-adopted on restart)
  --log-level LEVEL       debug, info, warn or error (default info)
`;

/** Fetches the CA from the server without trusting it, then checks it against the token's hash. */
export async function fetchPinnedCA(server: string, caHash: string): Promise<string> {
  const pem = await new Promise<string>((resolvePem, reject) => {
    const req = httpsGet(new URL('/cacerts', server), { rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolvePem(body) : reject(new Error(`GET /cacerts: HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('GET /cacerts timed out')));
    req.on('error', reject);
  });
  const got = createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
  if (got !== caHash) throw new Error(`the server's CA (sha256 ${got}) does not match the join token (sha256 ${caHash}): refusing to join`);
  return pem;
}

/** The pinned CA from the first of `servers` that answers. */
async function fetchPinnedCAFromAny(servers: string[], caHash: string): Promise<string> {
  let lastErr: unknown;
  for (const server of servers) {
    try {
      return await fetchPinnedCA(server, caHash);
    } catch (err) {
      // A CA mismatch is a verdict, not an outage: do not look further.
      if ((err as Error).message.includes('does not match the join token')) throw err;
      lastErr = err;
    }
  }
  throw lastErr;
}

/** `skiff agent`. */
export async function agentCommand(args: string[]): Promise<void> {
  const fail = (msg: string): never => {
    process.stderr.write(`error: ${msg}\nRun 'skiff agent --help' for usage.\n`);
    process.exit(2);
  };
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        name: { type: 'string' },
        'data-dir': { type: 'string' },
        runtime: { type: 'string' },
        'ca-file': { type: 'string' },
        'node-ip': { type: 'string' },
        port: { type: 'string' },
        config: { type: 'string' },
        'proxy-mode': { type: 'string' },
        'leave-pods-running': { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    return fail((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    process.stdout.write(AGENT_USAGE);
    return;
  }
  if (!v.server) fail('--server is required');
  const servers = v.server!.split(',').map((s) => s.trim()).filter(Boolean);
  if (servers.length === 0) fail('--server names no server');
  if (!v.token) fail('--token is required');
  const m = /^SK1\.([0-9a-f]{64})\.([0-9a-f]{32,})$/.exec(v.token!.trim());
  if (!m) fail('--token is not a Skiff join token (SK1.<ca hash>.<secret>): copy it from the server\'s <data-dir>/node-token');
  const [, caHash, secret] = m!;
  const runtimeKind = (v.runtime ?? 'process') as RuntimeKind;
  if (runtimeKind !== 'process' && runtimeKind !== 'simulated') fail(`--runtime must be process or simulated, got "${v.runtime}"`);
  const logLevel = (v['log-level'] ?? 'info') as LogLevel;
  const logger = createLogger({ level: logLevel, fields: { component: 'agent' } });
  const name = (v.name ?? hostname()).toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) fail(`node name "${name}" is not a valid DNS subdomain name; pass --name`);
  const port = v.port ? Number(v.port) : DEFAULT_KUBELET_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got "${v.port}"`);
  const dataDir = resolve(v['data-dir'] ?? join(process.env.HOME ?? '.', '.skiff-agent'));
  const proxyMode = v['proxy-mode'] as ProxyMode | undefined;
  if (proxyMode !== undefined && proxyMode !== 'nftables' && proxyMode !== 'userspace') fail(`--proxy-mode must be nftables or userspace, got "${proxyMode}"`);
  let caPem: string;
  try {
    caPem = v['ca-file'] ? await readFile(v['ca-file'], 'utf8') : await fetchPinnedCAFromAny(servers, caHash!);
  } catch (err) {
    return fail(`cannot establish trust in ${v.server}: ${(err as Error).message}`);
  }
  const transports = servers.map((server) => httpTransport({ server, caData: caPem, token: `node:${secret}:${name}`, userAgent: `kubelet/v1.33.0-skiff.${SKIFF_VERSION} (${name})` }));
  const client = new Client({
    transport:
      transports.length === 1
        ? (transports[0] as Transport)
        : new FailoverTransport(transports, (from, to, err) => logger.warn(`API server ${from} unreachable (${err.code}); using ${to}`)),
    fieldManager: 'kubelet',
    logger,
  });
  const nodeIP = v['node-ip'] ?? defaultNodeIP();
  const stop = new AbortController();
  let run: Promise<void>;
  let server: KubeletServer | undefined;
  let networking: HostNetworking | undefined;
  if (runtimeKind === 'process') {
    try {
      networking = await agentNetworking({ client, dataDir, logger, ...(proxyMode ? { proxyMode } : {}) });
    } catch (err) {
      client.close();
      return fail((err as Error).message);
    }
    const made = await processAgent({ name, client, dataDir, runtimeKind, nodeIP, bindAddress: '0.0.0.0', kubeletPort: port, joinSecret: secret!, ...(v.config ? { configPath: v.config } : {}), logger, networking });
    server = made.server;
    run = made.agent.run(stop.signal, { leavePodsRunning: v['leave-pods-running'] ?? false });
  } else {
    const runtime: ContainerRuntime = new SimulatedRuntime(SKIFF_VERSION);
    const agent = new NodeAgent({ name, client, runtime, dataDir, version: SKIFF_VERSION, nodeIP, kubeletPort: port, nodeConfig: await loadNodeConfig(v.config ?? join(dataDir, 'config.yaml')), logger });
    run = agent.run(stop.signal);
  }
  process.stdout.write(`Node ${name} joining ${v.server} (runtime ${runtimeKind}, data in ${dataDir})\n`);
  let shuttingDown = false;
  const shutdown = (sig: string): void => {
    if (shuttingDown) process.exit(1);
    shuttingDown = true;
    logger.info(`${sig} received: ${v['leave-pods-running'] ? 'leaving pods running' : 'stopping pods'}`);
    stop.abort();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await run;
  // After the pods: their namespaces, routes and rules can go too (or stay with them).
  await networking?.stop({ leavePodsRunning: v['leave-pods-running'] ?? false });
  await server?.close();
  client.close();
}

/** How long an agent waits for the control plane to answer its first request. */
export const AGENT_NETWORK_CONFIG_WAIT_MS = 60_000;

/**
 * The pod networking of a `skiff agent` machine, as local nodes have it: the cluster's CIDRs
 * from the control plane (cluster-network-config.ts), checked against this machine; its node's
 * pod CIDR from the node IPAM controller; bridge, namespaces, routes to the other machines' pods,
 * the service proxy and DNS. Where namespaces cannot be had, or the cluster's ranges clash with
 * this machine's, pods share the machine's network and the proxy runs in userspace.
 */
async function agentNetworking(o: { client: Client; dataDir: string; logger: Logger; proxyMode?: ProxyMode }): Promise<HostNetworking> {
  const deadline = Date.now() + AGENT_NETWORK_CONFIG_WAIT_MS;
  let plan;
  for (;;) {
    try {
      plan = await readClusterNetworkConfig(o.client);
      break;
    } catch (err) {
      // The servers may still be starting; anything else (a 403 from an older server) is final.
      const code = (err as { code?: unknown }).code;
      if (Date.now() > deadline || (typeof code === 'number' && code < 500)) throw new Error(`cannot read the cluster network configuration: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  let fallbackReason: string | undefined;
  if (!plan) fallbackReason = 'the control plane publishes no cluster network configuration (kube-system/skiff-cluster-network)';
  else if ((await podNetworkingAvailable()).ok) {
    try {
      await adoptClusterNetwork(o.dataDir, plan);
    } catch (err) {
      fallbackReason = (err as Error).message;
    }
  }
  const networking = await HostNetworking.create({
    dataDir: o.dataDir,
    plan: plan ?? { clusterCIDR: DEFAULT_CLUSTER_CIDR, serviceCIDR: DEFAULT_SERVICE_CIDR },
    client: o.client,
    logger: o.logger,
    role: 'agent',
    ...(o.proxyMode ? { proxyMode: o.proxyMode } : {}),
    ...(fallbackReason ? { fallbackReason } : {}),
  });
  await networking.start();
  return networking;
}
