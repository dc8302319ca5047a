/**
 * The pod status a node reports, computed from the runtime's container instances (kubelet's
 * generateAPIPodStatus): container statuses (state, lastState, ready, started, restartCount,
 * containerID), the phase (kubelet's getPhase), and the conditions the node owns —
 * PodReadyToStartContainers, Initialized, ContainersReady, Ready — worded as Kubernetes words them.
 * Conditions owned by others (PodScheduled, DisruptionTarget, readiness gates) are never
 * produced here; the strategic-merge status patch leaves them alone.
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../../client/clock.js';
import type { ContainerRecord } from '../runtime/runtime.js';

export interface Waiting {
  reason: string;
  message?: string;
}

export interface StatusInput {
  pod: Pod;
  records: ContainerRecord[];
  /** Why a container is not running, when the runtime has nothing newer to say. */
  waiting: Map<string, Waiting>;
  ready(rec: ContainerRecord): boolean;
  started(rec: ContainerRecord): boolean;
  sandboxReady: boolean;
  /** The pod is being torn down (deleted) or has finished: its phase is final. */
  terminal: boolean;
  hostIP: string;
  podIP: string;
  scheme: string;
  now: number;
}

/** The status fields a node owns. */
export type NodePodStatus = Pick<PodStatus, 'phase' | 'reason' | 'message' | 'conditions' | 'containerStatuses' | 'initContainerStatuses' | 'hostIP' | 'hostIPs' | 'podIP' | 'podIPs' | 'startTime'>;

export const NODE_CONDITIONS = ['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready'] as const;

/** Instances of each container, oldest first. */
export function instancesByName(records: ContainerRecord[]): Map<string, ContainerRecord[]> {
  const m = new Map<string, ContainerRecord[]>();
  for (const r of records) {
    const list = m.get(r.name) ?? [];
    list.push(r);
    m.set(r.name, list);
  }
  for (const list of m.values()) list.sort((a, b) => a.attempt - b.attempt || a.createdAt - b.createdAt);
  return m;
}

export function isRestartableInit(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

function terminatedState(r: ContainerRecord, scheme: string): ContainerState {
  return {
    terminated: {
      exitCode: r.exitCode ?? 0,
      ...(r.signal && r.exitCode === undefined ? { signal: 0 } : {}),
      reason: r.reason ?? (r.exitCode === 0 ? 'Completed' : 'Error'),
      ...(r.message ? { message: r.message } : {}),
      startedAt: formatTime(r.startedAt),
      finishedAt: formatTime(r.finishedAt ?? r.startedAt),
      containerID: `${scheme}://${r.id}`,
    },
  };
}

function containerStatus(c: Container, list: ContainerRecord[] | undefined, input: StatusInput, defaultWaiting: string): ContainerStatus {
  const cur = list?.[list.length - 1];
  const prev = list && list.length > 1 ? list[list.length - 2] : undefined;
  const base = { name: c.name, image: c.image ?? '', imageID: '' };
  const w = input.waiting.get(c.name);
  if (!cur) {
    return { ...base, state: { waiting: { reason: w?.reason ?? defaultWaiting, ...(w?.message ? { message: w.message } : {}) } }, lastState: {}, ready: false, restartCount: 0, started: false };
  }
  const common = { ...base, imageID: cur.image, containerID: `${input.scheme}://${cur.id}`, restartCount: cur.attempt };
  if (cur.state === 'running') {
    return {
      ...common,
      state: { running: { startedAt: formatTime(cur.startedAt) } },
      lastState: prev ? terminatedState(prev, input.scheme) : {},
      ready: input.ready(cur),
      started: input.started(cur),
    };
  }
  if (w && !input.terminal) {
    return { ...common, state: { waiting: { reason: w.reason, ...(w.message ? { message: w.message } : {}) } }, lastState: terminatedState(cur, input.scheme), ready: false, started: false };
  }
  return { ...common, state: terminatedState(cur, input.scheme), lastState: prev ? terminatedState(prev, input.scheme) : {}, ready: false, started: false };
}

/** kubelet's getPhase over the statuses. */
export function podPhase(pod: Pod, init: ContainerStatus[], main: ContainerStatus[], terminal: boolean): PodStatus['phase'] {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const initSpecs = new Map((pod.spec?.initContainers ?? []).map((c) => [c.name, c]));
  let pendingInit = 0;
  let failedInit = 0;
  for (const s of init) {
    if (initSpecs.get(s.name) && isRestartableInit(initSpecs.get(s.name)!)) {
      if (!s.started) pendingInit++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
    else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of main) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if ((pendingInit > 0 || failedInit > 0) && !terminal) return 'Pending';
  if (waiting > 0 && !terminal) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'OnFailure') return 'Running';
    return 'Failed';
  }
  if (terminal && main.length > 0 && waiting === main.length) return 'Failed';
  return 'Pending';
}

function condition(pod: Pod, type: string, status: 'True' | 'False', now: number, reason?: string, message?: string): PodCondition {
  const old = pod.status?.conditions?.find((c) => c.type === type);
  const since = old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : formatTime(now);
  return { type, status, lastProbeTime: null as unknown as string, lastTransitionTime: since, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

/** Computes the node-owned part of a pod's status. */
export function computePodStatus(input: StatusInput): NodePodStatus {
  const { pod, now } = input;
  const byName = instancesByName(input.records);
  const initSpecs = pod.spec?.initContainers ?? [];
  const initStatuses = initSpecs.map((c) => containerStatus(c, byName.get(c.name), input, 'PodInitializing'));
  const initDone = initStatuses.every((s, i) => (isRestartableInit(initSpecs[i]!) ? s.started === true : s.state?.terminated?.exitCode === 0));
  const mainStatuses = (pod.spec?.containers ?? []).map((c) => containerStatus(c, byName.get(c.name), input, initSpecs.length > 0 && !initDone ? 'PodInitializing' : 'ContainerCreating'));
  const phase = podPhase(pod, initStatuses, mainStatuses, input.terminal);
  const done = phase === 'Succeeded' || phase === 'Failed';
  const conditions: PodCondition[] = [];
  conditions.push(condition(pod, 'PodReadyToStartContainers', input.sandboxReady && !done ? 'True' : 'False', now));
  const incompleteInit = initStatuses.filter((s, i) => !(isRestartableInit(initSpecs[i]!) ? s.started : s.state?.terminated?.exitCode === 0)).map((s) => s.name);
  if (incompleteInit.length === 0) conditions.push(condition(pod, 'Initialized', 'True', now, phase === 'Succeeded' && initSpecs.length > 0 ? 'PodCompleted' : undefined));
  else conditions.push(condition(pod, 'Initialized', 'False', now, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`));
  const unready = [...initStatuses.filter((s, i) => isRestartableInit(initSpecs[i]!) && !s.ready), ...mainStatuses.filter((s) => !s.ready)].map((s) => s.name);
  if (phase === 'Succeeded') {
    conditions.push(condition(pod, 'ContainersReady', 'False', now, 'PodCompleted'));
    conditions.push(condition(pod, 'Ready', 'False', now, 'PodCompleted'));
  } else if (unready.length > 0) {
    const msg = `containers with unready status: [${unready.join(' ')}]`;
    conditions.push(condition(pod, 'ContainersReady', 'False', now, 'ContainersNotReady', msg));
    conditions.push(condition(pod, 'Ready', 'False', now, 'ContainersNotReady', msg));
  } else {
    conditions.push(condition(pod, 'ContainersReady', 'True', now));
    const gates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
    const failing = gates.filter((t) => pod.status?.conditions?.find((c) => c.type === t)?.status !== 'True');
    if (failing.length > 0) {
      const msg = failing.map((t) => `corresponding condition of pod readiness gate "${t}" does not exist.`).join(', ');
      const explain = failing.map((t) => {
        const c = pod.status?.conditions?.find((x) => x.type === t);
        return c ? `the status of pod readiness gate "${t}" is not "True", but ${c.status}` : `corresponding condition of pod readiness gate "${t}" does not exist.`;
      });
      conditions.push(condition(pod, 'Ready', 'False', now, 'ReadinessGatesNotReady', explain.join(', ') || msg));
    } else conditions.push(condition(pod, 'Ready', 'True', now));
  }
  return {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(input.podIP ? { podIP: input.podIP, podIPs: [{ ip: input.podIP }] } : {}),
    startTime: pod.status?.startTime ?? formatTime(now),
    ...(initStatuses.length ? { initContainerStatuses: initStatuses } : {}),
    containerStatuses: mainStatuses,
  };
}
