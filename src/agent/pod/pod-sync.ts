/**
 * One pod's reconcile (kubelet's SyncPod / SyncTerminatingPod): from the pod as the API has it
 * and the runtime's instances, decide what to start, restart, kill or clean up, then report the
 * status. Called only by the pod's worker, so never concurrently for one pod.
 *
 * - Deleted (deletionTimestamp): preStop hooks, SIGTERM, SIGKILL after the grace period, a final
 *   terminal status, then DELETE with grace 0 (the node confirms the pod is gone).
 * - Gone from the API (force delete): kill and clean up at once.
 * - Finished (phase Succeeded/Failed): nothing restarts; leftover sidecars are stopped.
 * - Otherwise: sandbox and volumes, init containers in order (restartable "sidecar" init
 *   containers keep running), then the app containers; restarts follow restartPolicy with
 *   CrashLoopBackOff; liveness/startup failures and spec changes restart a container.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../client/clock.js';
import type { Logger } from '../../client/log.js';
import { parseTime } from '../../client/clock.js';
import type { NodeConfig } from '../node-config.js';
import type { ContainerRecord, ContainerRuntime, ContainerStartRequest } from '../runtime/runtime.js';
import { buildContainerConfig, containerHash, CreateContainerError, podHostname } from './container-config.js';
import { CrashBackoff, formatGoDuration } from './crash-backoff.js';
import { ContainerConfigError } from './env.js';
import { computePodStatus, instancesByName, isRestartableInit, type NodePodStatus, type Waiting } from './pod-status.js';
import type { ProbeManager } from './prober.js';
import { runHandler } from './probes.js';
import { setUpVolumes, VolumeError, type VolumeObjectSource } from './volumes.js';
import { NetworkNotReadyError, type PodNetworkHook, type PodSandboxNetwork } from '../network/pod-network.js';

/** kubelet's minimumGracePeriodInSeconds. */
export const MIN_GRACE_SECONDS = 2;
/** How often ConfigMap/Secret/downward API volumes are refreshed (kubelet's sync frequency). */
export const VOLUME_RESYNC_MS = 60_000;
/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;
/** Annotations of the simulated runtime. */
export const SIMULATE_DURATION_ANNOTATION = 'skiff.dev/simulate-duration';
export const SIMULATE_EXIT_CODE_ANNOTATION = 'skiff.dev/simulate-exit-code';

export type EventType = 'Normal' | 'Warning';

/** Where kubelet events go (component `kubelet`, host = node). */
export interface PodEventSink {
  event(pod: Pod, fieldPath: string | undefined, type: EventType, reason: string, message: string): void;
}

/** Writes the node-owned status of a pod when it differs from what the API has. */
export interface PodStatusWriter {
  write(pod: Pod, status: NodePodStatus): Promise<void>;
  forget?(uid: string): void;
}

/** A pod the node refuses to run (kubelet admission): reason (`OutOfcpu`) and message. */
export interface Rejection {
  reason: string;
  message: string;
}

export interface PodSyncDeps {
  nodeName: string;
  runtime: ContainerRuntime;
  clock: Clock;
  events: PodEventSink;
  objects: VolumeObjectSource;
  nodeConfig: NodeConfig;
  allocatable: Record<string, string>;
  hostIP: string;
  /** `<node-dir>/pods`: per-container logs (`<ns>_<pod>_<uid>/<container>/<n>.log`). */
  podsDir: string;
  /** `<node-dir>/sandboxes`: volumes and default working dirs, per pod UID. */
  sandboxesDir: string;
  /** `<node-dir>`: local-path persistent volumes live under it. */
  dataDir: string;
  /** The Node's labels as last registered (local-path volumes are pinned by them). */
  nodeLabels?: () => Readonly<Record<string, string>> | undefined;
  prober: ProbeManager;
  backoff: CrashBackoff;
  status: PodStatusWriter;
  /** DELETE the pod with grace 0 and a UID precondition. */
  deletePod(pod: Pod): Promise<void>;
  baseEnv: Array<[string, string]>;
  logger: Logger;
  /** kubelet admission: does the pod fit the node next to the pods already admitted? */
  admit?(pod: Pod): Rejection | undefined;
  /** The pod network (namespaces, addresses, DNS files, service env); absent: host network, no service env. */
  network?: PodNetworkHook;
}

/** What the worker does next. */
export interface SyncOutcome {
  /** Sync again after this long (back-off expiry, volume refresh, deadlines). */
  requeueAfterMs?: number;
  /** Nothing left of the pod on this node: the worker can go. */
  done?: boolean;
}

class PodState {
  waiting = new Map<string, Waiting>();
  sandboxReady = false;
  volumePaths: Map<string, string> | undefined;
  readonly volumesWritten = new Map<string, string>();
  volumeFailures = 0;
  lastVolumeSync = 0;
  lastPod: Pod | undefined;
  /** The DELETE confirming a graceful deletion succeeded: wait for the informer to drop the pod. */
  deleteConfirmed = false;
  admitted = false;
  /** The pod's network once set up (its own namespace and address, or the host's). */
  network: PodSandboxNetwork | undefined;
  networkFailures = 0;
  /** The network of the finished pod went back to the node. */
  networkReleased = false;
}

function fieldPath(pod: Pod, name: string): string {
  return (pod.spec?.initContainers ?? []).some((c) => c.name === name) ? `spec.initContainers{${name}}` : `spec.containers{${name}}`;
}

function parseGoDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

export class PodSyncer {
  private readonly states = new Map<string, PodState>();

  constructor(private readonly d: PodSyncDeps) {}

  private state(uid: string): PodState {
    let s = this.states.get(uid);
    if (!s) {
      s = new PodState();
      this.states.set(uid, s);
    }
    return s;
  }

  /** Reconciles one pod (undefined = no longer in the API). */
  async sync(uid: string, pod: Pod | undefined): Promise<SyncOutcome> {
    const st = this.state(uid);
    if (!pod) {
      await this.killPod(st.lastPod, uid, this.graceFor(st.lastPod), false);
      await this.cleanup(uid, st.lastPod);
      return { done: true };
    }
    st.lastPod = pod;
    this.d.prober.updatePod(pod);
    if (pod.metadata?.deletionTimestamp) {
      if (st.deleteConfirmed) return {};
      await this.killPod(pod, uid, this.graceFor(pod), true);
      await this.writeStatus(pod, st, true);
      await this.d.deletePod(pod);
      st.deleteConfirmed = true;
      return {};
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      await this.stopFinished(pod, uid, st);
      return {};
    }
    if (!st.admitted) {
      // kubelet admits a pod once, before anything runs; pods it already runs stay admitted.
      const rejection = this.d.runtime.containers(uid).length === 0 && pod.status?.phase !== 'Running' ? this.d.admit?.(pod) : undefined;
      if (rejection) {
        this.d.events.event(pod, undefined, 'Warning', rejection.reason, rejection.message);
        await this.writeStatus(pod, st, true, { reason: rejection.reason, message: `Pod was rejected: ${rejection.message}` });
        return {};
      }
      st.admitted = true;
    }
    const deadline = this.activeDeadline(pod);
    if (deadline !== undefined && deadline <= this.d.clock.now()) {
      const message = 'Pod was active on the node longer than the specified deadline';
      this.d.events.event(pod, undefined, 'Normal', 'DeadlineExceeded', message);
      await this.killPod(pod, uid, this.graceFor(pod), false);
      await this.writeStatus(pod, st, true, { reason: 'DeadlineExceeded', message });
      return {};
    }
    const waits: number[] = [];
    if (deadline !== undefined) waits.push(deadline - this.d.clock.now());
    const ok = await this.ensureSandbox(pod, uid, st, waits);
    if (ok) await this.syncContainers(pod, uid, st, waits);
    const status = await this.writeStatus(pod, st, false);
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      // The pod finished: sidecars and anything still running stop; nothing restarts.
      await this.stopFinished(pod, uid, st);
      return {};
    }
    const positive = waits.filter((w) => w > 0);
    return positive.length ? { requeueAfterMs: Math.min(...positive) } : {};
  }

  private activeDeadline(pod: Pod): number | undefined {
    const ads = pod.spec?.activeDeadlineSeconds;
    const start = parseTime(pod.status?.startTime);
    return ads !== undefined && !Number.isNaN(start) ? start + ads * 1000 : undefined;
  }

  private graceFor(pod: Pod | undefined): number {
    const g = pod?.metadata?.deletionGracePeriodSeconds ?? pod?.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    return Math.max(MIN_GRACE_SECONDS, g);
  }

  private get simulated(): boolean {
    return this.d.runtime.name === 'simulated';
  }

  private sandboxDir(uid: string): string {
    return join(this.d.sandboxesDir, uid);
  }

  private logDir(pod: Pod): string {
    return join(this.d.podsDir, `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`);
  }

  /** Sandbox directory and volumes; false (with a FailedMount event) when a volume cannot be set up. */
  private async ensureSandbox(pod: Pod, uid: string, st: PodState, waits: number[]): Promise<boolean> {
    if (this.simulated) {
      st.sandboxReady = true;
      st.volumePaths ??= new Map();
      return true;
    }
    const refreshable = (pod.spec?.volumes ?? []).some((v) => v.configMap || v.secret || v.downwardAPI || v.projected);
    const now = this.d.clock.now();
    if (st.volumePaths && !(refreshable && now - st.lastVolumeSync >= VOLUME_RESYNC_MS)) {
      if (refreshable) waits.push(st.lastVolumeSync + VOLUME_RESYNC_MS - now);
      return true;
    }
    if (!(await this.ensureNetwork(pod, uid, st, waits))) return false;
    try {
      const dir = this.sandboxDir(uid);
      await mkdir(join(dir, 'volumes'), { recursive: true, mode: 0o755 });
      st.volumePaths = await setUpVolumes({
        pod,
        dir: join(dir, 'volumes'),
        objects: this.d.objects,
        allocatable: this.d.allocatable,
        written: st.volumesWritten,
        node: { name: this.d.nodeName, labels: this.d.nodeLabels?.() ?? { 'kubernetes.io/hostname': this.d.nodeName }, dataDir: this.d.dataDir },
      });
      st.lastVolumeSync = now;
      st.volumeFailures = 0;
      st.sandboxReady = true;
      if (refreshable) waits.push(VOLUME_RESYNC_MS);
      return true;
    } catch (err) {
      if (!(err instanceof VolumeError)) throw err;
      // Already running containers keep their (stale) volumes, as in Kubernetes.
      if (st.volumePaths) return true;
      st.volumeFailures++;
      this.d.events.event(pod, undefined, 'Warning', 'FailedMount', err.message);
      waits.push(Math.min(2 ** st.volumeFailures * 500, 30_000));
      return false;
    }
  }

  /**
   * The pod's network (kubelet's sandbox creation through CNI): its own namespace and address,
   * or — hostNetwork, or no namespaces on this machine (said once, in an event) — the host's.
   * Until the node has a pod CIDR the pod waits (NetworkNotReady), as on a real node.
   */
  private async ensureNetwork(pod: Pod, uid: string, st: PodState, waits: number[]): Promise<boolean> {
    const net = this.d.network;
    if (!net || st.network) return true;
    try {
      st.network = await net.setUp(pod, this.sandboxDir(uid), podHostname(pod));
      st.networkFailures = 0;
      if (!net.isolated && !pod.spec?.hostNetwork && this.d.runtime.containers(uid).length === 0) {
        this.d.events.event(pod, undefined, 'Warning', 'HostNetworkFallback', `Pod networking is not available on node ${this.d.nodeName} (${net.fallbackReason}); the pod uses the host's network`);
      }
      return true;
    } catch (err) {
      st.networkFailures++;
      const message = err instanceof NetworkNotReadyError ? err.message : `Failed to create pod sandbox: failed to set up the pod network: ${(err as Error).message}`;
      this.d.events.event(pod, undefined, 'Warning', err instanceof NetworkNotReadyError ? 'NetworkNotReady' : 'FailedCreatePodSandBox', message);
      waits.push(Math.min(2 ** st.networkFailures * 100, 10_000));
      return false;
    }
  }

  /**
   * A finished pod stops whatever still runs, its probes, and its sandbox, as kubelet's KillPod
   * stops it (CNI DEL): its namespace, address and host ports go back to the node — a node running
   * many Jobs would otherwise run out of addresses while their Completed pods are kept. The status
   * keeps the IP the pod had.
   */
  private async stopFinished(pod: Pod, uid: string, st: PodState): Promise<void> {
    await this.killPod(pod, uid, this.graceFor(pod), false);
    this.d.prober.removePod(uid);
    if (this.simulated || st.networkReleased || !this.d.network) return;
    st.networkReleased = true;
    await this.d.network.tearDown(uid);
  }

  /** The address the pod is reached on: its own, or the node's. */
  private podIP(st: PodState | undefined): string {
    return st?.network?.ip ?? this.d.hostIP;
  }

  private async syncContainers(pod: Pod, uid: string, st: PodState, waits: number[]): Promise<void> {
    const byName = instancesByName(this.d.runtime.containers(uid));
    const latest = (name: string): ContainerRecord | undefined => byName.get(name)?.at(-1);
    // Probes for instances started by an earlier agent (re-adopted) or before this sync.
    const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
    for (const c of specs) {
      const r = latest(c.name);
      if (r?.state === 'running') this.d.prober.add(pod, c, r);
    }
    let initDone = true;
    for (const c of pod.spec?.initContainers ?? []) {
      const r = await this.reconcileContainer(pod, uid, st, c, true, latest(c.name), waits);
      if (isRestartableInit(c)) {
        if (!r || r.state !== 'running' || !this.d.prober.started(r)) {
          initDone = false;
          break;
        }
        continue;
      }
      if (!r || r.state === 'running' || r.exitCode !== 0) {
        initDone = false;
        break;
      }
    }
    if (!initDone) return;
    for (const c of pod.spec?.containers ?? []) await this.reconcileContainer(pod, uid, st, c, false, latest(c.name), waits);
  }

  /** Brings one container toward running (or completed); returns its current instance. */
  private async reconcileContainer(pod: Pod, uid: string, st: PodState, c: Container, init: boolean, rec: ContainerRecord | undefined, waits: number[]): Promise<ContainerRecord | undefined> {
    if (!rec) return this.startContainer(pod, uid, st, c, init, 0);
    if (rec.state === 'running') {
      const failed = this.d.prober.takeFailure(rec.id);
      const changed = rec.specHash !== containerHash(c);
      if (!failed && !changed) return rec;
      const why = failed ? `Container ${c.name} failed ${failed} probe, will be restarted` : `Container ${c.name} definition changed, will be restarted`;
      this.d.events.event(pod, fieldPath(pod, c.name), 'Normal', 'Killing', why);
      const probeGrace = failed ? (failed === 'liveness' ? c.livenessProbe : c.startupProbe)?.terminationGracePeriodSeconds : undefined;
      await this.killContainer(pod, c, rec, Math.max(MIN_GRACE_SECONDS, probeGrace ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS), false);
      rec = this.d.runtime.get(rec.id) ?? rec;
      if (changed) return this.startContainer(pod, uid, st, c, init, rec.attempt + 1);
    }
    if (!this.shouldRestart(pod, c, init, rec)) return rec;
    const key = `${uid}/${c.name}`;
    const finished = rec.finishedAt ?? this.d.clock.now();
    const left = this.d.backoff.remaining(key, finished);
    if (left) {
      const name = `${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`;
      st.waiting.set(c.name, { reason: 'CrashLoopBackOff', message: `back-off ${formatGoDuration(left.backoffMs)} restarting failed container=${c.name} pod=${name}` });
      this.d.events.event(pod, fieldPath(pod, c.name), 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${name}`);
      waits.push(left.leftMs);
      return rec;
    }
    this.d.backoff.next(key, finished);
    return (await this.startContainer(pod, uid, st, c, init, rec.attempt + 1)) ?? rec;
  }

  private shouldRestart(pod: Pod, c: Container, init: boolean, rec: ContainerRecord): boolean {
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (init && isRestartableInit(c)) return true;
    if (init) return rec.exitCode !== 0 && policy !== 'Never';
    if (policy === 'Always') return true;
    if (policy === 'OnFailure') return rec.exitCode !== 0;
    return false;
  }

  private async startContainer(pod: Pod, uid: string, st: PodState, c: Container, init: boolean, attempt: number): Promise<ContainerRecord | undefined> {
    const fp = fieldPath(pod, c.name);
    const logPath = join(this.logDir(pod), c.name, `${attempt}.log`);
    let req: ContainerStartRequest;
    try {
      req = this.simulated ? this.simulatedRequest(pod, c, init, attempt, logPath) : await this.processRequest(pod, uid, st, c, init, attempt, logPath);
    } catch (err) {
      if (err instanceof ContainerConfigError || err instanceof CreateContainerError) {
        const reason = err instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
        st.waiting.set(c.name, { reason, message: err.message });
        this.d.events.event(pod, fp, 'Warning', 'Failed', `Error: ${err.message}`);
        return undefined;
      }
      throw err;
    }
    this.d.events.event(pod, fp, 'Normal', 'Pulled', `Container image "${c.image ?? ''}" already present on machine`);
    const rec = await this.d.runtime.start(req);
    st.waiting.delete(c.name);
    this.d.events.event(pod, fp, 'Normal', 'Created', `Created container: ${c.name}`);
    if (rec.state === 'exited' && rec.reason === 'StartError') {
      this.d.events.event(pod, fp, 'Warning', 'Failed', `Error: failed to start container "${c.name}": ${rec.message ?? 'unknown error'}`);
    } else {
      this.d.events.event(pod, fp, 'Normal', 'Started', `Started container ${c.name}`);
      this.d.prober.add(pod, c, rec);
      if (c.lifecycle?.postStart) await this.runPostStart(pod, c, rec);
    }
    await this.collectGarbage(uid, c.name);
    return this.d.runtime.get(rec.id) ?? rec;
  }

  private simulatedRequest(pod: Pod, c: Container, init: boolean, attempt: number, logPath: string): ContainerStartRequest {
    const ann = pod.metadata?.annotations ?? {};
    const duration = parseGoDuration(ann[SIMULATE_DURATION_ANNOTATION]);
    const code = Number(ann[SIMULATE_EXIT_CODE_ANNOTATION] ?? 0);
    return {
      podUid: pod.metadata?.uid ?? '',
      podNamespace: pod.metadata?.namespace ?? 'default',
      podName: pod.metadata?.name ?? '',
      hostname: podHostname(pod),
      containerName: c.name,
      attempt,
      init,
      specHash: containerHash(c),
      image: c.image ?? '',
      command: c.command ?? [],
      env: [],
      workingDir: '/',
      mounts: [],
      logPath,
      limits: {},
      // Init containers of a simulated pod complete at once unless a duration is given.
      simulate: { ...(duration !== undefined ? { durationMs: duration } : init && !isRestartableInit(c) ? { durationMs: 0 } : {}), exitCode: Number.isInteger(code) ? code : 0 },
    };
  }

  private async processRequest(pod: Pod, uid: string, st: PodState, c: Container, init: boolean, attempt: number, logPath: string): Promise<ContainerStartRequest> {
    const { req, invalidEnvKeys } = await buildContainerConfig({
      pod,
      container: c,
      init,
      attempt,
      volumePaths: st.volumePaths ?? new Map(),
      mountsVolumes: this.d.runtime.mountsVolumes,
      nodeConfig: this.d.nodeConfig,
      objects: this.d.objects,
      allocatable: this.d.allocatable,
      sandboxDir: this.sandboxDir(uid),
      logPath,
      baseEnv: this.d.baseEnv,
      ...(this.d.network ? { serviceEnv: this.d.network.serviceEnv(pod) } : {}),
      ...(st.network ? { network: { mounts: st.network.mounts, ...(st.network.netnsPath ? { netns: st.network.netnsPath } : {}) } } : {}),
    });
    if (invalidEnvKeys.length) {
      this.d.events.event(pod, undefined, 'Warning', 'InvalidEnvironmentVariableNames', `Keys [${invalidEnvKeys.join(', ')}] from the EnvFrom configMap ${pod.metadata?.namespace} were skipped since they are considered invalid environment variable names.`);
    }
    return req;
  }

  private async runPostStart(pod: Pod, c: Container, rec: ContainerRecord): Promise<void> {
    const out = await runHandler(c.lifecycle!.postStart!, { runtime: this.d.runtime, containerId: rec.id, container: c, podIP: this.podIP(this.states.get(pod.metadata?.uid ?? '')), timeoutMs: (pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000 });
    if (out.ok) return;
    this.d.events.event(pod, fieldPath(pod, c.name), 'Warning', 'FailedPostStartHook', `PostStartHook failed${out.message ? `: ${out.message}` : ''}`);
    this.d.events.event(pod, fieldPath(pod, c.name), 'Normal', 'Killing', `FailedPostStartHook`);
    await this.killContainer(pod, c, rec, Math.max(MIN_GRACE_SECONDS, pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS), false);
  }

  /** Keeps the newest two instances of a container (current + previous, for `logs --previous`). */
  private async collectGarbage(uid: string, name: string): Promise<void> {
    const list = instancesByName(this.d.runtime.containers(uid)).get(name) ?? [];
    for (const old of list.slice(0, -2)) if (old.state === 'exited') await this.d.runtime.remove(old.id);
  }

  /** Stops one instance: preStop hook (on pod deletion), then SIGTERM, SIGKILL after the grace. */
  private async killContainer(pod: Pod | undefined, c: Container | undefined, rec: ContainerRecord, graceSec: number, runPreStop: boolean): Promise<void> {
    let graceMs = graceSec * 1000;
    if (runPreStop && pod && c?.lifecycle?.preStop && rec.state === 'running') {
      const started = this.d.clock.now();
      const out = await runHandler(c.lifecycle.preStop, { runtime: this.d.runtime, containerId: rec.id, container: c, podIP: this.podIP(this.states.get(pod.metadata?.uid ?? '')), timeoutMs: graceMs });
      if (!out.ok) this.d.events.event(pod, fieldPath(pod, c.name), 'Warning', 'FailedPreStopHook', `PreStopHook failed${out.message ? `: ${out.message}` : ''}`);
      // kubelet gives at least a short extension after a hook that used up the grace period.
      graceMs = Math.max(MIN_GRACE_SECONDS * 1000, graceMs - (this.d.clock.now() - started));
    }
    this.d.prober.remove(rec.id);
    await this.d.runtime.stop(rec.id, graceMs);
  }

  /** Stops every running instance of the pod, in parallel (Killing events). */
  private async killPod(pod: Pod | undefined, uid: string, graceSec: number, deleting: boolean): Promise<void> {
    const running = this.d.runtime.containers(uid).filter((r) => r.state === 'running');
    if (running.length === 0) return;
    const specs = new Map([...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])].map((c) => [c.name, c]));
    await Promise.all(
      running.map(async (r) => {
        if (pod) this.d.events.event(pod, fieldPath(pod, r.name), 'Normal', 'Killing', `Stopping container ${r.name}`);
        await this.killContainer(pod, specs.get(r.name), r, graceSec, deleting);
      }),
    );
  }

  private async writeStatus(pod: Pod, st: PodState, terminal: boolean, failure?: { reason: string; message: string }): Promise<NodePodStatus> {
    const computed = computePodStatus({
      pod,
      records: this.d.runtime.containers(pod.metadata?.uid ?? ''),
      waiting: st.waiting,
      ready: (r) => this.d.prober.ready(r),
      started: (r) => this.d.prober.started(r),
      sandboxReady: st.sandboxReady,
      terminal,
      hostIP: this.d.hostIP,
      podIP: this.podIP(st),
      scheme: this.d.runtime.scheme,
      now: this.d.clock.now(),
    });
    const status: NodePodStatus = failure ? { ...computed, phase: 'Failed', ...failure } : computed;
    await this.d.status.write(pod, status);
    return status;
  }

  /** Removes everything the pod left on the node: instances, logs, sandbox, probes, back-off. */
  private async cleanup(uid: string, pod: Pod | undefined): Promise<void> {
    this.d.prober.removePod(uid);
    for (const r of this.d.runtime.containers(uid)) await this.d.runtime.remove(r.id);
    this.d.backoff.forgetPrefix(`${uid}/`);
    this.d.status.forget?.(uid);
    this.states.delete(uid);
    if (this.simulated) return;
    await this.d.network?.tearDown(uid);
    await rm(this.sandboxDir(uid), { recursive: true, force: true });
    if (pod) await rm(this.logDir(pod), { recursive: true, force: true });
  }
}
