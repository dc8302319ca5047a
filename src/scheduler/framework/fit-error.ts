/**
 * FitError: why no node fits, worded exactly as kube-scheduler words it, e.g.
 *
 *   0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, 2 Insufficient cpu.
 *   preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.
 *
 * The histogram counts each reason over the nodes that failed (a node short of cpu and memory
 * counts for both), formats entries as "<count> <reason>" and sorts them as strings (so "10 …"
 * sorts before "2 …", as in Go's sort.Strings). A PreFilter failure replaces the histogram. The
 * PostFilter (preemption) message follows; since v1.30 no second period is added after it.
 */
import type { NodeInfo } from '../cache/node-info.js';
import type { PluginName, Status } from './status.js';

/** framework.NoNodeAvailableMsg */
export const NO_NODE_AVAILABLE_MSG = (n: number): string => `0/${n} nodes are available`;
/** ErrNoNodesAvailable: the cluster has no nodes at all. */
export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
/** What SetAbsentNodesStatus reports for nodes a PreFilter result excluded. */
export const absentNodesReason = (plugins: readonly PluginName[]): string => `node(s) didn't satisfy plugin(s) [${[...plugins].sort().join(' ')}]`;

export interface FailedNode {
  node: NodeInfo;
  status: Status;
}

export interface Diagnosis {
  /** Nodes that were evaluated and failed, with the first failing plugin's status. */
  failed: FailedNode[];
  /** Nodes never evaluated because a PreFilter narrowed the candidates, and their status. */
  absent?: { count: number; status: Status };
  /** A PreFilter plugin rejected the pod outright. */
  preFilterMsg?: string;
  /** Plugins that rejected the pod somewhere (decide which cluster events retry it). */
  unschedulablePlugins: Set<PluginName>;
  /** The preemption outcome, `preemption: …`. */
  postFilterMsg?: string;
}

/** FitError.Error(). */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `${NO_NODE_AVAILABLE_MSG(numAllNodes)}:`;
  if (d.preFilterMsg) {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const hist = reasonHistogram(d);
    if (hist.length > 0) msg += ` ${hist.join(', ')}.`;
  }
  if (d.postFilterMsg) msg += d.postFilterMsg.endsWith('.') ? ` ${d.postFilterMsg}` : ` ${d.postFilterMsg}.`;
  return msg;
}

/** "<count> <reason>" entries, sorted as strings. */
export function reasonHistogram(d: Pick<Diagnosis, 'failed' | 'absent'>): string[] {
  const counts = new Map<string, number>();
  for (const f of d.failed) for (const r of f.status.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  if (d.absent && d.absent.count > 0) for (const r of d.absent.status.reasons) counts.set(r, (counts.get(r) ?? 0) + d.absent.count);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
}

/** validation.NoteLengthLimit: event notes longer than this are cut with " ...". */
export const NOTE_LENGTH_LIMIT = 1024;

/** truncateMessage in schedule_one.go. */
export function truncateMessage(message: string): string {
  if (message.length <= NOTE_LENGTH_LIMIT) return message;
  const suffix = ' ...';
  return message.slice(0, NOTE_LENGTH_LIMIT - suffix.length) + suffix;
}
