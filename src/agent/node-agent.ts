/**
 * A node agent (the kubelet's job): registers its Node, keeps the Lease and the Node status
 * current, watches the pods bound to it and runs each through its pod worker on a container
 * runtime. State of record is the API plus what the runtime keeps on disk, so an agent started
 * again on the same data dir picks up where the last one stopped: running containers are
 * re-adopted (no restart), ones that ended meanwhile are reported with their exit codes, and
 * pods that were deleted while it was away are cleaned up.
 *
 *   const agent = new NodeAgent({ name, client, runtime, dataDir, ... });
 *   await agent.run(signal);            // until signal aborts
 */
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Secret } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { realClock, sleepUnlessAborted, type Clock } from '../client/clock.js';
import { EventRecorder } from '../client/event-recorder.js';
import { silentLogger, type Logger } from '../client/log.js';
import type { ContainerRuntime } from './runtime/runtime.js';
import type { NodeConfig } from './node-config.js';
import { machineInfo, pressure, type MachineInfo, type PressureSignals } from './machine-info.js';
import { buildNode, nodeStatus, NODE_STATUS_REPORT_MS, NODE_STATUS_UPDATE_MS, type NodeIdentity } from './node-status.js';
import { LEASE_RENEW_MS, LEASE_RETRY_MAX_MS, NodeLease } from './node-lease.js';
import { SharedPodSource, type PodSource } from './pod-source.js';
import { canonical, StatusManager } from './pod/status-manager.js';
import { PodWorkers } from './pod/pod-workers.js';
import { PodSyncer, type PodEventSink, type Rejection } from './pod/pod-sync.js';
import { admitPod } from './admission.js';
import { ProbeManager } from './pod/prober.js';
import { CrashBackoff } from './pod/crash-backoff.js';
import { defaultBaseEnv } from './pod/container-config.js';
import type { VolumeObjectSource } from './pod/volumes.js';
import type { PodNetworkHook } from './network/pod-network.js';
import { LocalVolumeCleaner, PersistentVolumeSource } from './local-volumes.js';
import { HOSTNAME_LABEL } from '../api/local-path.js';

export interface NodeAgentOptions {
  name: string;
  /** A client authenticated as `system:node:<name>`. */
  client: Client;
  runtime: ContainerRuntime;
  /** The node's data dir (`pods/` logs, `sandboxes/`, `runtime/`). */
  dataDir: string;
  /** Skiff version: kubeletVersion is `v1.33.0-skiff.<version>`. */
  version: string;
  nodeIP: string;
  kubeletPort: number;
  servingCertSha256?: string;
  nodeConfig: NodeConfig;
  /** Shared pod informer (many nodes in one process); default: the agent's own, for its node only. */
  podSource?: PodSource;
  /** Machine facts (shared by simulated fleets); default: measured. */
  machine?: MachineInfo;
  labels?: Record<string, string>;
  /** Record kubelet events (default true). */
  recordEvents?: boolean;
  clock?: Clock;
  logger?: Logger;
  /** Pod networking (namespaces, addresses, cluster DNS, service env); absent: pods use the host's network. */
  network?: PodNetworkHook;
  /** Shared PersistentVolume watch (many nodes in one process); default: the agent's own. */
  volumeSource?: PersistentVolumeSource;
  /**
   * The Node as the API has it, from a shared informer (many nodes in one process); default: a
   * GET before each status update, as kubelet does.
   */
  nodeLookup?: (name: string) => Node | undefined;
}

/** Kubernetes version the agent reports itself as (with `-skiff.<version>`). */
export const KUBELET_BASE_VERSION = 'v1.33.0';

export class NodeAgent {
  readonly name: string;
  readonly workers: PodWorkers;
  readonly statusManager: StatusManager;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recorder: EventRecorder | undefined;
  private readonly syncer: PodSyncer;
  private readonly prober: ProbeManager;
  private readonly lease: NodeLease;
  private node: Node | undefined;
  private machine: MachineInfo | undefined;
  private lastStatusWrite = 0;
  private source: PodSource | undefined;
  private lastStatusBody = '';
  private readonly identity: NodeIdentity;
  /** The node's allocatable, filled at registration (resourceFieldRef defaults). */
  private readonly allocatable: Record<string, string> = {};
  /** Resolves when the Node is registered (streams server and tests wait on it). */
  readonly registered: Promise<void>;
  private markRegistered!: () => void;

  constructor(private readonly opts: NodeAgentOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.logger = (opts.logger ?? silentLogger).child({ node: opts.name });
    this.registered = new Promise((r) => (this.markRegistered = r));
    this.identity = {
      name: opts.name,
      nodeIP: opts.nodeIP,
      kubeletPort: opts.kubeletPort,
      kubeletVersion: `${KUBELET_BASE_VERSION}-skiff.${opts.version}`,
      runtimeVersion: `${opts.runtime.scheme}://${opts.runtime.version}`,
      capacity: opts.nodeConfig.capacity,
      ...(opts.servingCertSha256 ? { servingCertSha256: opts.servingCertSha256 } : {}),
      ...(opts.labels ? { labels: opts.labels } : {}),
    };
    this.recorder = opts.recordEvents === false ? undefined : new EventRecorder({ client: opts.client, component: 'kubelet', host: opts.name, clock: this.clock, logger: this.logger });
    const events: PodEventSink = {
      event: (pod, fieldPath, type, reason, message) => {
        if (!this.recorder || !pod.metadata?.name) return;
        this.recorder.event(
          { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, namespace: pod.metadata.namespace ?? 'default', ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}), ...(fieldPath ? { fieldPath } : {}) },
          type,
          reason,
          message,
        );
      },
    };
    this.statusManager = new StatusManager(opts.client);
    this.lease = new NodeLease(opts.client, this.clock, opts.name);
    const box: { workers?: PodWorkers } = {};
    this.prober = new ProbeManager({
      clock: this.clock,
      runtime: opts.runtime,
      events: { unhealthy: (pod, c, msg) => events.event(pod, `spec.containers{${c.name}}`, 'Warning', 'Unhealthy', msg) },
      onChange: (uid) => box.workers?.enqueue(uid),
      podIP: (pod) => opts.network?.podIP(pod.metadata?.uid ?? '') ?? opts.nodeIP,
    });
    this.syncer = new PodSyncer({
      nodeName: opts.name,
      runtime: opts.runtime,
      clock: this.clock,
      events,
      objects: this.objectSource(),
      nodeConfig: opts.nodeConfig,
      allocatable: this.allocatable,
      hostIP: opts.nodeIP,
      podsDir: join(opts.dataDir, 'pods'),
      sandboxesDir: join(opts.dataDir, 'sandboxes'),
      dataDir: opts.dataDir,
      nodeLabels: () => this.node?.metadata?.labels,
      prober: this.prober,
      backoff: new CrashBackoff(this.clock),
      status: this.statusManager,
      deletePod: (pod) => this.confirmDeletion(pod),
      baseEnv: defaultBaseEnv(),
      logger: this.logger,
      admit: (pod) => this.admit(pod),
      ...(opts.network ? { network: opts.network } : {}),
    });
    this.workers = box.workers = new PodWorkers((uid, pod) => this.syncer.sync(uid, pod), this.clock, this.logger);
  }

  private objectSource(): VolumeObjectSource {
    const c = this.opts.client;
    const get = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
    return {
      configMap: (ns, name) => get<ConfigMap>(() => c.configMaps(ns).get(name)),
      secret: (ns, name) => get<Secret>(() => c.secrets(ns).get(name)),
      persistentVolumeClaim: (ns, name) => get<PersistentVolumeClaim>(() => c.persistentVolumeClaims(ns).get(name)),
      persistentVolume: (name) => get<PersistentVolume>(() => c.persistentVolumes().get(name)),
    };
  }

  /** The agent confirms a graceful deletion: DELETE with grace 0, only if it is still that pod. */
  private async confirmDeletion(pod: Pod): Promise<void> {
    try {
      await this.opts.client.pods(pod.metadata?.namespace ?? 'default').delete(pod.metadata?.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid ?? '' } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.statusManager.forget(pod.metadata?.uid ?? '');
  }

  /** kubelet admission against the pods this node already runs (admitted = not finished, known to the runtime or Running). */
  private admit(pod: Pod): Rejection | undefined {
    const uid = pod.metadata?.uid;
    const rt = this.opts.runtime;
    const admitted = (this.source?.podsOn(this.name) ?? []).filter((p) => {
      if (p.metadata?.uid === uid || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return false;
      return rt.containers(p.metadata?.uid ?? '').length > 0 || p.status?.phase === 'Running';
    });
    return admitPod(pod, admitted, this.allocatable);
  }

  /** The Node as last written. */
  get nodeObject(): Node | undefined {
    return this.node;
  }

  private async signals(): Promise<PressureSignals> {
    if (this.opts.runtime.name === 'simulated') return { memory: false, disk: false, pid: false };
    return pressure(this.opts.dataDir);
  }

  /** Registers the Node (kubelet's registerWithAPIServer): create, or adopt and update an existing one. */
  async register(): Promise<void> {
    this.machine ??= this.opts.machine ?? (await machineInfo(this.opts.dataDir));
    const desired = buildNode(this.machine, this.identity, await this.signals(), this.clock.now());
    const nodes = this.opts.client.nodes();
    try {
      await nodes.create(desired);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await nodes.get(this.name);
      // Keep labels/annotations others added (roles, user labels); refresh ours.
      await nodes.patch(this.name, 'strategic', { metadata: { labels: desired.metadata?.labels, annotations: desired.metadata?.annotations } });
      desired.status!.conditions = nodeStatus(this.machine, this.identity, await this.signals(), existing.status?.conditions, this.clock.now()).conditions;
    }
    this.node = await nodes.patchStatus(this.name, 'strategic', { status: desired.status });
    Object.assign(this.allocatable, this.node.status?.allocatable ?? {});
    this.lastStatusWrite = this.clock.now();
    this.lastStatusBody = statusBody(this.node);
    this.markRegistered();
  }

  /**
   * Computes the node status and writes it when it differs from the Node in the API, or every 5
   * minutes (kubelet's tryUpdateNodeStatus). The comparison is with the API's Node, not with
   * what this agent last wrote: the node lifecycle controller marks the conditions of a node
   * whose Lease lapsed Unknown, and an agent that comes back (a stalled process resumed, a
   * network partition healed) must say Ready again although nothing changed on its side.
   */
  async updateNodeStatus(): Promise<void> {
    if (!this.machine) return;
    const current = await this.currentNode();
    const status = nodeStatus(this.machine, this.identity, await this.signals(), current?.status?.conditions, this.clock.now());
    const body = statusBody({ status });
    const unchanged = current ? statusBody(current, status) === body : body === this.lastStatusBody;
    if (unchanged && this.clock.now() - this.lastStatusWrite < NODE_STATUS_REPORT_MS) return;
    try {
      this.node = await this.opts.client.nodes().patchStatus(this.name, 'strategic', { status });
    } catch (err) {
      // As kubelet: a Node deleted under a running agent is not registered again until the agent restarts.
      if (isNotFound(err)) throw new Error(`node "${this.name}" was deleted from the API; restart the agent to register it again`);
      throw err;
    }
    this.lastStatusWrite = this.clock.now();
    this.lastStatusBody = body;
  }

  /**
   * The Node as the API has it: from the shared informer when there is one (and it is not older
   * than our own last write), else a GET at resourceVersion 0, served from the API server's cache.
   */
  private async currentNode(): Promise<Node | undefined> {
    const mine = this.node;
    if (this.opts.nodeLookup) {
      const seen = this.opts.nodeLookup(this.name);
      if (!seen) return mine;
      const a = Number(seen.metadata?.resourceVersion);
      const b = Number(mine?.metadata?.resourceVersion);
      return Number.isFinite(a) && Number.isFinite(b) && a < b ? mine : seen;
    }
    try {
      return await this.opts.client.nodes().get(this.name, { resourceVersion: '0' });
    } catch (err) {
      if (isNotFound(err)) throw new Error(`node "${this.name}" was deleted from the API; restart the agent to register it again`);
      throw err;
    }
  }

  /** Renews the lease once (fleets drive this from one scheduler). */
  async renewLease(): Promise<void> {
    if (this.node) await this.lease.renew(this.node);
  }

  /**
   * Runs until `signal` aborts. Then, unless `leavePodsRunning`, stops every container
   * gracefully (their pods restart per restartPolicy when the node comes back).
   */
  /** A pod bound to this node, by namespace/name (for the streams server). */
  podByName(namespace: string, name: string): Pod | undefined {
    const p = this.source?.get(namespace, name);
    return p && p.spec?.nodeName === this.name ? p : undefined;
  }

  /**
   * `spreadHeartbeats`: start each periodic loop at a random point of its period, so many nodes
   * started together (a simulated fleet) do not renew their leases in one burst.
   */
  async run(signal: AbortSignal, opts: { leavePodsRunning?: boolean; heartbeats?: boolean; spreadHeartbeats?: boolean } = {}): Promise<void> {
    await mkdir(this.opts.dataDir, { recursive: true, mode: 0o700 });
    await this.opts.runtime.recover();
    const unsubscribeExit = this.opts.runtime.onExit((rec) => this.workers.enqueue(rec.podUid));
    while (!signal.aborted) {
      try {
        await this.register();
        break;
      } catch (err) {
        this.logger.warn('cannot register the node; retrying', { error: err });
        await sleepUnlessAborted(this.clock, 2000, signal);
      }
    }
    const loops: Array<Promise<void>> = [];
    if (opts.heartbeats !== false && !signal.aborted) {
      const spread = opts.spreadHeartbeats ?? false;
      loops.push(this.loop(signal, LEASE_RENEW_MS, () => this.renewLease(), 'lease renewal', spread));
      loops.push(this.loop(signal, NODE_STATUS_UPDATE_MS, () => this.updateNodeStatus(), 'node status update', spread));
    }
    let own: SharedPodSource | undefined;
    let source = this.opts.podSource;
    if (!source) {
      own = new SharedPodSource(this.opts.client, { nodeName: this.name, logger: this.logger });
      own.start(signal);
      source = own;
    }
    this.source = source;
    // Directories of deleted local-path volumes pinned to this node.
    let ownVolumes: PersistentVolumeSource | undefined;
    let volumes = this.opts.volumeSource;
    if (!volumes && !signal.aborted) {
      ownVolumes = volumes = new PersistentVolumeSource(this.opts.client, { logger: this.logger });
      ownVolumes.start(signal);
    }
    if (volumes && !signal.aborted) {
      const cleaner = new LocalVolumeCleaner({
        nodeName: this.name,
        hostname: this.node?.metadata?.labels?.[HOSTNAME_LABEL] ?? this.name,
        client: this.opts.client,
        source: volumes,
        dataDir: this.opts.dataDir,
        clock: this.clock,
        logger: this.logger,
      });
      loops.push(cleaner.run(signal));
    }
    let unsubscribe = (): void => undefined;
    if (await source.waitForSync(signal)) {
      unsubscribe = source.subscribe(this.name, {
        update: (pod) => this.workers.update(pod),
        remove: (pod) => this.workers.remove(pod.metadata?.uid ?? ''),
      });
      // Containers of pods that no longer exist (deleted while the agent was away): clean up.
      const known = new Set(source.podsOn(this.name).map((p) => p.metadata?.uid));
      for (const uid of this.opts.runtime.podUids()) if (!known.has(uid)) this.workers.remove(uid);
    }
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    unsubscribe();
    unsubscribeExit();
    await this.workers.stop();
    if (!opts.leavePodsRunning) await this.stopAllContainers();
    await Promise.all(loops);
    await own?.stopped();
    await ownVolumes?.stopped();
    await this.opts.runtime.close();
    if (this.recorder) await this.recorder.flush().catch(() => undefined);
  }

  /** Graceful node shutdown: SIGTERM every container, SIGKILL after its pod's grace period. */
  private async stopAllContainers(): Promise<void> {
    const rt = this.opts.runtime;
    const jobs: Array<Promise<void>> = [];
    for (const uid of rt.podUids()) {
      const pod = this.workers.pod(uid);
      const grace = Math.max(2, pod?.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
      for (const r of rt.containers(uid)) if (r.state === 'running') jobs.push(rt.stop(r.id, grace));
    }
    await Promise.all(jobs);
  }

  private async loop(signal: AbortSignal, periodMs: number, fn: () => Promise<void>, what: string, spread: boolean): Promise<void> {
    let failures = 0;
    // The first lease renewal is due at once (the node was just registered); spread ones after.
    if (spread) {
      await fn().catch(() => undefined);
      if (!(await sleepUnlessAborted(this.clock, Math.random() * periodMs, signal))) return;
    }
    while (!signal.aborted) {
      let wait = periodMs;
      try {
        await fn();
        failures = 0;
      } catch (err) {
        failures++;
        wait = Math.min(200 * 2 ** failures, LEASE_RETRY_MAX_MS, periodMs);
        if (!signal.aborted) this.logger.warn(`${what} failed; retrying`, { error: err, retryInMs: wait });
      }
      if (!(await sleepUnlessAborted(this.clock, wait, signal))) return;
    }
  }
}

/**
 * Node status without heartbeat times: what "changed" means for the 5-minute rule. With `like`,
 * only the fields the agent writes (an API Node may carry more, written by others).
 */
function statusBody(node: Pick<Node, 'status'>, like?: NonNullable<Node['status']>): string {
  const all = node.status ?? {};
  const s = like ? Object.fromEntries(Object.keys(like).map((k) => [k, all[k as keyof typeof all]])) : all;
  const conditions = (s['conditions'] as NonNullable<Node['status']>['conditions']) ?? [];
  const byType = [...conditions].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return canonical({ ...s, conditions: byType.map((c) => ({ ...c, lastHeartbeatTime: undefined })) });
}
