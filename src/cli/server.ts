/**
 * `skiff server`: the control plane on an embedded SQLite store — API server now; controllers,
 * scheduler and local node agents join as they land. First start creates credentials and writes
 * the admin kubeconfig (atomically, once the server is serving).
 *
 * With `--datastore-endpoint` naming etcd, several servers share one cluster: the first seals the
 * cluster credentials into etcd with the cluster token, the others load them
 * (../apiserver/auth/cluster-bootstrap.ts); controllers and scheduler are leader-elected.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import { startApiServer } from '../apiserver/api-server.js';
import { loadOrCreateCredentials, writeFileAtomic, type ClusterCredentials } from '../apiserver/auth/credentials.js';
import { loadOrBootstrapSharedCredentials, resolveClusterToken } from '../apiserver/auth/cluster-bootstrap.js';
import type { Store } from '../storage/store.js';
import { openDatastore, parseDatastoreEndpoint, readDatastoreTls, type DatastoreTlsFlags } from './datastore.js';
import { createStrategyFor } from '../apiserver/strategy/index.js';
import { managedFieldsHook } from '../apiserver/managed-fields.js';
import { openapiServer } from '../apiserver/openapi-routes.js';
import { decodeProtobufBody } from '../api/protobuf/index.js';
import { buildKubeconfig } from './kubeconfig.js';
import { Client } from '../client/client.js';
import { inProcessTransport } from '../client/in-process-transport.js';
import { createLogger, type Logger, type LogLevel } from '../client/log.js';
import { watchHeap } from './heap-watch.js';
import { ControllerManager } from '../controllers/manager.js';
import { allControllers, DEFAULT_CONTROLLER_FLAGS, type ControllerFlags } from '../controllers/index.js';
import { runLeaderElectedScheduler } from '../scheduler/leader-elected-scheduler.js';
import { SKIFF_VERSION } from './version.js';
import { startLocalNodes, type RunningNodes, type RuntimeKind } from './agent.js';
import { setStreamsMount } from './agent.js';
import { PodStreamProxy } from '../apiserver/pod-streams/pod-stream-proxy.js';
import { mountPodStreams } from '../agent/streams/mount.js';
import { canManageHostAddresses, planClusterNetwork, podNetworkingAvailable } from '../agent/network/host-network.js';
import { publishClusterNetworkConfig } from '../agent/network/cluster-network-config.js';
import { cidrAddress, parseCidr } from '../api/cidr.js';
import { HostNetworking } from '../proxy/host-networking.js';
import type { ProxyMode } from '../proxy/service-proxy.js';
import { defaultNodeIP } from '../agent/machine-info.js';

// Every agent this process starts (local nodes, `skiff agent`) serves logs/exec/attach/port-forward.
setStreamsMount(mountPodStreams);

export interface ServerFlags {
  dataDir: string;
  port: number;
  bindAddress: string;
  nodes: number;
  logLevel: string;
  advertiseNames: string[];
  controllers?: Partial<ControllerFlags>;
  /** Run the controller manager (default true). */
  runControllers?: boolean;
  /** Run the scheduler (default true). */
  runScheduler?: boolean;
  /** Runtime of the local node agents (default process). */
  runtime?: RuntimeKind;
  /** On shutdown, leave the local nodes' pods running (re-adopted on the next start). */
  leavePodsRunning?: boolean;
  /** `--datastore-endpoint`: etcd endpoints or `sqlite:PATH` (default: SQLite in the data dir). */
  datastoreEndpoint?: string;
  /** `--datastore-cafile/certfile/keyfile`: TLS to etcd. */
  datastoreTls?: DatastoreTlsFlags;
  /** `--token`: the cluster token shared by every server on one etcd. */
  token?: string;
  /** `--cluster-cidr` (pod addresses; default 10.244.0.0/16 or the next free range). */
  clusterCidr?: string;
  /** `--service-cidr` (Service cluster IPs; default 10.96.0.0/12 or the next free range). */
  serviceCidr?: string;
  /** `--proxy-mode` of the local nodes' service proxy (default nftables where possible, else userspace). */
  proxyMode?: ProxyMode;
}

export function defaultDataDir(): string {
  return process.env.SKIFF_DATA_DIR || join(homedir(), '.skiff');
}

export interface RunningServer {
  url: string;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export async function runServer(flags: ServerFlags, log?: Logger): Promise<RunningServer> {
  const baseLog = log ?? createLogger({ level: flags.logLevel as LogLevel });
  const logger = baseLog.child({ component: 'server' });
  const started = performance.now();
  const dataDir = resolve(flags.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await mkdir(join(dataDir, 'db'), { recursive: true, mode: 0o700 });
  // Cluster and service CIDRs: checked against the machine's networks where this machine adds
  // them (pods with their own namespaces, or cluster IPs bound for the userspace proxy).
  const processNodes = (flags.runtime ?? 'process') === 'process';
  const localNetworking = flags.nodes > 0 && processNodes;
  const podNetworking = localNetworking && (await podNetworkingAvailable()).ok;
  const touchesHost = podNetworking || (localNetworking && (await canManageHostAddresses()));
  const netPlan = await planClusterNetwork({ dataDir, ...(flags.clusterCidr ? { clusterCIDR: flags.clusterCidr } : {}), ...(flags.serviceCidr ? { serviceCIDR: flags.serviceCidr } : {}), checkHost: touchesHost });
  // The API server's certificate also names the kubernetes Service, as kube-apiserver's does, so
  // pods verify https://kubernetes.default.svc (and its cluster IP) against the cluster CA.
  const serviceNames = [cidrAddress(parseCidr(netPlan.serviceCIDR), 1), 'kubernetes.default.svc.cluster.local'];
  const { store, credentials } = await openStoreAndCredentials({ ...flags, advertiseNames: [...flags.advertiseNames, ...serviceNames] }, dataDir, logger);
  // Node pod CIDRs are handed out wherever nodes run pods as processes — local ones, or agents
  // joining a control-plane-only server; simulated fleets of thousands need none.
  const controllerFlags: ControllerFlags = { ...DEFAULT_CONTROLLER_FLAGS, clusterCA: credentials.ca.certPem, ...(processNodes ? { clusterCidr: netPlan.clusterCIDR } : {}), ...(flags.controllers ?? {}) };
  // pods/log, exec, attach and portforward are served by reaching the pod's node agent.
  const podStreams = new PodStreamProxy({ joinSecret: credentials.nodeSecret, log: (m) => logger.warn(m) });
  let api;
  try {
    api = await startApiServer({
      store,
      credentials,
      bindAddress: flags.bindAddress,
      port: flags.port,
      version: SKIFF_VERSION,
      // DefaultTolerationSeconds admission takes the --default-*-toleration-seconds flags.
      strategyFor: createStrategyFor({
        defaultNotReadyTolerationSeconds: controllerFlags.defaultNotReadyTolerationSeconds,
        defaultUnreachableTolerationSeconds: controllerFlags.defaultUnreachableTolerationSeconds,
      }),
      managedFields: managedFieldsHook,
      openapi: openapiServer(),
      protobuf: decodeProtobufBody,
      podStreams,
      serviceNetwork: { serviceCIDR: netPlan.serviceCIDR },
      log: (m) => logger.warn(m),
    });
    podStreams.useRegistry(api.registry);
  } catch (err) {
    await store.close();
    throw err;
  }
  if (processNodes) {
    // Agents of other machines read the cluster's ranges from here before giving pods addresses.
    await publishClusterNetworkConfig(systemClientFor(api.handler, 'kube-apiserver', baseLog), netPlan, logger).catch((err: unknown) => logger.warn(`cannot publish the cluster network configuration: ${(err as Error).message}`));
  }
  const kubeconfigPath = join(dataDir, 'kubeconfig.yaml');
  await writeFileAtomic(kubeconfigPath, buildKubeconfig({ server: api.url, caPem: credentials.ca.certPem, token: credentials.adminToken }));
  logger.info(`API server listening on ${api.url} (ready in ${Math.round(performance.now() - started)} ms, data in ${dataDir})`);
  // Controllers talk to the API in-process, through the same handler as kubectl (DESIGN.md).
  const componentLog = baseLog;
  const systemClient = (name: string) => systemClientFor(api.handler, name, componentLog);
  const stopControllers = new AbortController();
  watchHeap(logger, stopControllers.signal);
  const managerRun =
    flags.runControllers === false
      ? Promise.resolve()
      : new ControllerManager({
          identity: await componentIdentity(dataDir, 'controller-manager'),
          client: systemClient('kube-controller-manager'),
          controllers: allControllers(controllerFlags),
          logger: componentLog,
        }).run(stopControllers.signal);
  // The scheduler is its own component (kube-scheduler): own client identity, own leader lease.
  const schedulerRun =
    flags.runScheduler === false
      ? Promise.resolve()
      : runLeaderElectedScheduler({ identity: await componentIdentity(dataDir, 'scheduler'), client: systemClient('kube-scheduler'), logger: componentLog }, stopControllers.signal);
  // Local node agents authenticate as their node users, so the node authorizer applies to them.
  let nodes: RunningNodes | undefined;
  let networking: HostNetworking | undefined;
  const nodeNames = flags.nodes > 0 ? await localNodeNames(flags, dataDir) : undefined;
  if (flags.nodes > 0) {
    try {
      if ((flags.runtime ?? 'process') === 'process') {
        networking = await HostNetworking.create({ dataDir, plan: netPlan, client: systemClient('skiff-networking'), logger: componentLog, ...(flags.proxyMode ? { proxyMode: flags.proxyMode } : {}) });
        await networking.start();
      }
      nodes = await startLocalNodes({
        ...(networking ? { networking } : {}),
        handler: api.handler,
        count: flags.nodes,
        runtime: flags.runtime ?? 'process',
        dataDir,
        joinSecret: credentials.nodeSecret,
        nodeIP: localNodeIP(flags.bindAddress),
        leavePodsRunning: flags.leavePodsRunning ?? false,
        logger: componentLog.child({ component: 'agent' }),
        ...(nodeNames ? { names: nodeNames } : {}),
      });
    } catch (err) {
      await networking?.stop();
      stopControllers.abort();
      await Promise.all([managerRun, schedulerRun]);
      await api.stop();
      await store.close();
      throw err;
    }
  }
  let stopping: Promise<void> | undefined;
  return {
    url: api.url,
    kubeconfigPath,
    stop() {
      stopping ??= (async () => {
        await nodes?.stop();
        // After the nodes: their pods are gone, so their namespaces, bridges and rules can go too.
        await networking?.stop({ leavePodsRunning: flags.leavePodsRunning ?? false });
        stopControllers.abort();
        await Promise.all([managerRun, schedulerRun]);
        await api.stop();
        await store.close();
      })();
      return stopping;
    },
  };
}

/** A client of a control-plane component, through the API handler in this process. */
function systemClientFor(handler: import('../api/http.js').ApiHandler, name: string, logger: Logger): Client {
  return new Client({
    transport: inProcessTransport(handler, { name: `system:${name}`, groups: ['system:masters', 'system:authenticated'] }),
    fieldManager: name,
    userAgent: `${name}/v${SKIFF_VERSION}`,
    logger,
  });
}

/**
 * The address of the local nodes (InternalIP, kubelet endpoint): 127.0.0.1 for a server on
 * loopback; the server's own address when it serves other machines, so their agents route to
 * this machine's pods through it (host-gw) and the API server reaches the kubelets there.
 */
export function localNodeIP(bindAddress: string): string {
  if (bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === '') return defaultNodeIP();
  if (bindAddress.startsWith('127.') || bindAddress === '::1' || bindAddress === 'localhost' || bindAddress.includes(':')) return '127.0.0.1';
  return bindAddress;
}

/**
 * The datastore and the cluster credentials. On etcd the credentials are the cluster's, shared
 * through the datastore and opened with the cluster token; on SQLite they live in the data dir.
 */
async function openStoreAndCredentials(flags: ServerFlags, dataDir: string, logger: Logger): Promise<{ store: Store; credentials: ClusterCredentials }> {
  const tls = flags.datastoreTls ? await readDatastoreTls(flags.datastoreTls) : undefined;
  const spec = flags.datastoreEndpoint ? parseDatastoreEndpoint(flags.datastoreEndpoint, !!tls) : undefined;
  if (spec?.kind !== 'etcd') {
    if (flags.token !== undefined) logger.warn('--token applies to servers sharing an etcd datastore; ignored with SQLite');
    const credentials = await loadOrCreateCredentials(dataDir, flags.bindAddress, flags.advertiseNames);
    const store = spec ? await openDatastore(spec, undefined, (m) => logger.warn(m)) : await openSqliteStore({ path: join(dataDir, 'db', 'state.db') });
    return { store, credentials };
  }
  const store = await openDatastore(spec, tls, (m) => logger.warn(m));
  try {
    const token = await resolveClusterToken(dataDir, flags.token);
    const credentials = await loadOrBootstrapSharedCredentials({ store, token: token.token, dataDir, bindAddress: flags.bindAddress, extraNames: flags.advertiseNames });
    if (credentials.bootstrapped) {
      logger.info(`cluster credentials sealed into etcd${token.generated ? `; the cluster token is in ${token.path}: start more servers on this etcd with --token $(cat ${token.path})` : ''}`);
    }
    return { store, credentials };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * A leader-election identity that is stable for a data dir: a server restarted after a crash
 * finds its own name on the Lease and takes it back at once, instead of waiting out the lease as
 * a stranger would. Distinct data dirs (several servers on one etcd) get distinct identities.
 */
export async function componentIdentity(dataDir: string, component: string): Promise<string> {
  return `${hostname()}_${await serverIdentity(dataDir)}_${component}`;
}

/** The data dir's identity: a UUID made on first start. */
async function serverIdentity(dataDir: string): Promise<string> {
  const path = join(dataDir, 'identity');
  let id: string;
  try {
    id = (await readFile(path, 'utf8')).trim();
  } catch {
    id = '';
  }
  if (!/^[0-9a-f-]{36}$/.test(id)) {
    id = randomUUID();
    await writeFileAtomic(path, id + '\n');
  }
  return id;
}

/**
 * Names of this server's local nodes. Servers sharing a datastore would all call theirs node-1 …
 * node-N and run each other's pods twice; there each server's nodes carry a piece of its
 * identity (`node-1-3f9c2a`), stable across restarts of its data dir.
 */
async function localNodeNames(flags: ServerFlags, dataDir: string): Promise<string[] | undefined> {
  if (!flags.datastoreEndpoint || flags.datastoreEndpoint.trim().startsWith('sqlite:')) return undefined;
  const id = (await serverIdentity(dataDir)).slice(0, 6);
  return Array.from({ length: flags.nodes }, (_, i) => `node-${i + 1}-${id}`);
}
