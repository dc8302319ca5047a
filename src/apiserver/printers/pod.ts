/**
 * The pod row of `kubectl get pods`: READY, STATUS, RESTARTS and the wide columns, computed
 * exactly as Kubernetes' `printPod` (pkg/printers/internalversion). The summary helpers are
 * exported because the CLI and the node agent show the same words.
 */
import type { Container, ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { ageSince, objectAge, parseTime } from './duration.js';
import { AGE_COLUMN, NAME_COLUMN, NONE, column } from './format.js';
import type { PrintContext, ResourcePrinter, TableRowCondition } from './types.js';

/** `status.reason` the node lifecycle controller sets on pods of an unreachable node. */
export const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

/** What `kubectl get pods` says about one pod. */
export interface PodSummary {
  /** Ready app containers plus started-and-ready sidecars. */
  ready: number;
  /** App containers plus restartable (sidecar) init containers. */
  total: number;
  /** The STATUS column: phase, reason, `Init:…`, a container reason, `Terminating`, … */
  reason: string;
  /** Restarts counted the way the RESTARTS column counts them. */
  restarts: number;
  /** Latest `lastState.terminated.finishedAt` among the counted containers, epoch ms. */
  lastRestartMs: number | undefined;
}

function isRestartable(spec: readonly Container[] | undefined, name: string): boolean {
  if (!spec) return false;
  for (const c of spec) if (c.name === name) return c.restartPolicy === 'Always';
  return false;
}

function lastTerminationMs(cs: ContainerStatus): number | undefined {
  const t = cs.lastState?.terminated;
  return t ? parseTime(t.finishedAt) : undefined;
}

function laterOf(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined) return a;
  return a === undefined || b > a ? b : a;
}

function hasTrueCondition(conditions: readonly PodCondition[] | undefined, type: string): boolean {
  if (!conditions) return false;
  for (const c of conditions) if (c.type === type && c.status === 'True') return true;
  return false;
}

/**
 * Computes READY, STATUS and RESTARTS the way Kubernetes' pod printer does:
 * - STATUS starts as the phase, replaced by `status.reason` (`Evicted`, `NodeLost`, …) and by
 *   `SchedulingGated` when the PodScheduled condition says so;
 * - the first init container that is neither finished with exit 0 nor a started sidecar decides
 *   `Init:<reason>`, `Init:Signal:<n>`, `Init:ExitCode:<n>` or `Init:<i>/<n>`;
 * - unless initializing (or the Initialized condition is True), app containers from last to first
 *   override it with their waiting or terminated reason (`Signal:<n>`/`ExitCode:<n>` without one),
 *   and `Completed` with a container still running becomes `Running` (pod Ready) or `NotReady`;
 * - a deleted pod shows `Unknown` if its node was lost, else `Terminating` unless already finished.
 * RESTARTS sums init containers' restarts while initializing, otherwise sidecars' and app
 * containers', and remembers the latest termination for the `(5m ago)` suffix.
 */
export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status;
  const phase = status?.phase ?? '';
  let reason = status?.reason || phase;
  let ready = 0;
  let total = spec?.containers?.length ?? 0;
  let restarts = 0;
  let lastRestartMs: number | undefined;
  let sidecarRestarts = 0;
  let lastSidecarRestartMs: number | undefined;

  const conditions = status?.conditions;
  if (conditions) {
    for (const c of conditions) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initSpec = spec?.initContainers;
  if (initSpec) for (const c of initSpec) if (c.restartPolicy === 'Always') total++;

  let initializing = false;
  const initStatuses = status?.initContainerStatuses;
  if (initStatuses) {
    for (let i = 0; i < initStatuses.length; i++) {
      const cs = initStatuses[i] as ContainerStatus;
      restarts += cs.restartCount ?? 0;
      const finished = lastTerminationMs(cs);
      lastRestartMs = laterOf(lastRestartMs, finished);
      const sidecar = isRestartable(initSpec, cs.name);
      if (sidecar) {
        sidecarRestarts += cs.restartCount ?? 0;
        lastSidecarRestartMs = laterOf(lastSidecarRestartMs, finished);
      }
      const terminated = cs.state?.terminated;
      const waiting = cs.state?.waiting;
      if (terminated && (terminated.exitCode ?? 0) === 0) continue;
      if (sidecar && cs.started === true) {
        if (cs.ready) ready++;
        continue;
      }
      if (terminated) {
        if (terminated.reason) reason = `Init:${terminated.reason}`;
        else if (terminated.signal) reason = `Init:Signal:${terminated.signal}`;
        else reason = `Init:ExitCode:${terminated.exitCode ?? 0}`;
      } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
        reason = `Init:${waiting.reason}`;
      } else {
        reason = `Init:${i}/${initSpec?.length ?? 0}`;
      }
      initializing = true;
      break;
    }
  }

  if (!initializing || hasTrueCondition(conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestartMs = lastSidecarRestartMs;
    let hasRunning = false;
    const statuses = status?.containerStatuses;
    if (statuses) {
      for (let i = statuses.length - 1; i >= 0; i--) {
        const cs = statuses[i] as ContainerStatus;
        restarts += cs.restartCount ?? 0;
        lastRestartMs = laterOf(lastRestartMs, lastTerminationMs(cs));
        const terminated = cs.state?.terminated;
        const waiting = cs.state?.waiting;
        if (waiting && waiting.reason) reason = waiting.reason;
        else if (terminated && terminated.reason) reason = terminated.reason;
        else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
        else if (cs.ready && cs.state?.running) {
          hasRunning = true;
          ready++;
        }
      }
    }
    // A pod whose last container completed but another still runs is not "Completed".
    if (reason === 'Completed' && hasRunning) reason = hasTrueCondition(conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp) {
    if (status?.reason === NODE_UNREACHABLE_POD_REASON) reason = 'Unknown';
    else if (phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  }

  return { ready, total, reason, restarts, lastRestartMs };
}

/** The STATUS column of `kubectl get pods` (e.g. `Running`, `CrashLoopBackOff`, `Init:0/1`). */
export function podStatusReason(pod: Pod): string {
  return summarizePod(pod).reason;
}

/** The READY column: `<ready>/<total>`. */
export function podReadyString(pod: Pod): string {
  const s = summarizePod(pod);
  return `${s.ready}/${s.total}`;
}

/** The RESTARTS cell of a summary: `3`, or `3 (45s ago)` when the last restart time is known. */
export function formatRestarts(summary: Pick<PodSummary, 'restarts' | 'lastRestartMs'>, nowMs: number): string {
  if (summary.restarts !== 0 && summary.lastRestartMs !== undefined) {
    return `${summary.restarts} (${ageSince(summary.lastRestartMs, nowMs)} ago)`;
  }
  return String(summary.restarts);
}

/** The RESTARTS column of `kubectl get pods`. */
export function podRestartsString(pod: Pod, now: Date | number): string {
  return formatRestarts(summarizePod(pod), typeof now === 'number' ? now : now.getTime());
}

/** The wide READINESS GATES cell: `<true>/<gates>`, or `<none>` without gates. */
export function readinessGatesString(pod: Pod): string {
  const gates = pod.spec?.readinessGates;
  if (!gates || gates.length === 0) return NONE;
  const conditions = pod.status?.conditions ?? [];
  let trueCount = 0;
  for (const gate of gates) {
    const cond = conditions.find((c) => c.type === gate.conditionType);
    if (cond?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

const SUCCEEDED_CONDITIONS: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const FAILED_CONDITIONS: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

/** Printer for core/v1 pods. */
export const podPrinter: ResourcePrinter<Pod> = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', { text: 'The aggregate readiness state of this pod for accepting traffic.' }),
    column('Status', 'string', { text: 'The aggregate status of the containers in this pod.' }),
    column('Restarts', 'string', {
      text: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    }),
    AGE_COLUMN,
    column('IP', 'string', 'PodStatus.podIP', { priority: 1 }),
    column('Node', 'string', 'PodSpec.nodeName', { priority: 1 }),
    column('Nominated Node', 'string', 'PodStatus.nominatedNodeName', { priority: 1 }),
    column('Readiness Gates', 'string', 'PodSpec.readinessGates', { priority: 1 }),
  ],
  cells(pod: Pod, ctx: PrintContext): unknown[] {
    const s = summarizePod(pod);
    // The API server's internal pod always has podIPs (conversion fills it from podIP).
    const ip = pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || NONE;
    return [
      pod.metadata?.name ?? '',
      `${s.ready}/${s.total}`,
      s.reason,
      formatRestarts(s, ctx.nowMs),
      objectAge(pod, ctx.nowMs),
      ip,
      pod.spec?.nodeName || NONE,
      pod.status?.nominatedNodeName || NONE,
      readinessGatesString(pod),
    ];
  },
  conditions(pod: Pod): TableRowCondition[] | undefined {
    const phase = pod.status?.phase;
    return phase === 'Succeeded' ? SUCCEEDED_CONDITIONS : phase === 'Failed' ? FAILED_CONDITIONS : undefined;
  },
};
