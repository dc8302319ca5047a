/**
 * NodeInfo (framework.NodeInfo): one node and the pods the scheduler counts on it — bound pods
 * from the informer and pods it has assumed but not yet seen bound — kept as running sums so a
 * filter or score reads a handful of numbers instead of re-summing pods.
 */
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { emptyResource, parseAllocatable, type Resource } from '../framework/resources.js';
import type { HostPort, PodInfo } from '../framework/pod-info.js';
import type { NodeColumns } from './node-columns.js';

/** topology.kubernetes.io/zone: default spreading also balances zones. */
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
/** kubernetes.io/hostname: default spreading over nodes counts only nodes with it. */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';

export class NodeInfo {
  node: Node | undefined;
  labels: Readonly<Record<string, string>> | undefined;
  unschedulable = false;
  /** NoSchedule and NoExecute taints (the filter's concern). */
  scheduleTaints: readonly Taint[] = [];
  /** PreferNoSchedule taints (the score's concern). */
  preferTaints: readonly Taint[] = [];
  allocatable: Resource = emptyResource();
  allowedPods = 0;
  zone: string | undefined;
  /** Index of `zone` in the cache's zone table (-1: no zone label). */
  zoneId = -1;
  /** Whether the node has the `kubernetes.io/hostname` label (default spreading needs it). */
  hasHostname = false;

  readonly requested: Resource = emptyResource();
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  readonly pods = new Map<string, PodInfo>();
  /** `protocol/port` → host IP → number of pods using it. */
  private readonly usedPorts = new Map<string, Map<string, number>>();
  /** Interned spread key (owner UID) → pods of that owner here that are not terminating. */
  readonly spreadCounts = new Map<number, number>();
  /** Not cordoned and no NoSchedule/NoExecute taints: the filter fast path applies. */
  simple = true;
  /** Bumped on every change, for snapshot consumers and tests. */
  generation = 0;
  /** Slot in the cache's columns (-1: not a scheduling candidate). */
  slot = -1;
  columns: NodeColumns | undefined;

  constructor(readonly name: string) {}

  /** Takes a new version of the Node object. */
  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata?.labels;
    this.unschedulable = node.spec?.unschedulable === true;
    const taints = node.spec?.taints ?? [];
    this.scheduleTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    this.preferTaints = taints.filter((t) => t.effect === 'PreferNoSchedule');
    this.simple = !this.unschedulable && this.scheduleTaints.length === 0;
    const alloc = parseAllocatable(node.status?.allocatable as Record<string, string> | undefined);
    this.allocatable = alloc.resource;
    this.allowedPods = alloc.pods;
    this.zone = this.labels?.[LABEL_ZONE];
    this.hasHostname = this.labels?.[LABEL_HOSTNAME] !== undefined;
    this.generation++;
    this.writeColumns();
  }

  /** Copies the numbers the scheduler scans into this node's column slot. */
  writeColumns(): void {
    if (this.columns && this.slot >= 0) this.columns.write(this.slot, this);
  }

  /** The pod count the NodeResourcesFit filter compares with `allowedPods`. */
  get podCount(): number {
    return this.pods.size;
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.uid)) this.removePod(pi.uid);
    this.pods.set(pi.uid, pi);
    const r = this.requested;
    r.milliCPU += pi.request.milliCPU;
    r.memory += pi.request.memory;
    r.ephemeralStorage += pi.request.ephemeralStorage;
    for (const [k, v] of pi.request.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + v);
    this.nonZeroMilliCPU += pi.nonZeroMilliCPU;
    this.nonZeroMemory += pi.nonZeroMemory;
    for (const p of pi.hostPorts) {
      const k = `${p.protocol}/${p.port}`;
      let ips = this.usedPorts.get(k);
      if (!ips) this.usedPorts.set(k, (ips = new Map()));
      ips.set(p.ip, (ips.get(p.ip) ?? 0) + 1);
    }
    if (pi.spreadId >= 0 && !pi.terminating) this.spreadCounts.set(pi.spreadId, (this.spreadCounts.get(pi.spreadId) ?? 0) + 1);
    this.generation++;
    this.writeColumns();
  }

  /** Removes a pod; returns it (undefined if it was not here). */
  removePod(uid: string): PodInfo | undefined {
    const pi = this.pods.get(uid);
    if (!pi) return undefined;
    this.pods.delete(uid);
    const r = this.requested;
    r.milliCPU -= pi.request.milliCPU;
    r.memory -= pi.request.memory;
    r.ephemeralStorage -= pi.request.ephemeralStorage;
    for (const [k, v] of pi.request.scalar) {
      const left = (r.scalar.get(k) ?? 0) - v;
      if (left === 0) r.scalar.delete(k);
      else r.scalar.set(k, left);
    }
    this.nonZeroMilliCPU -= pi.nonZeroMilliCPU;
    this.nonZeroMemory -= pi.nonZeroMemory;
    for (const p of pi.hostPorts) {
      const k = `${p.protocol}/${p.port}`;
      const ips = this.usedPorts.get(k);
      const n = ips?.get(p.ip) ?? 0;
      if (!ips) continue;
      if (n <= 1) ips.delete(p.ip);
      else ips.set(p.ip, n - 1);
      if (ips.size === 0) this.usedPorts.delete(k);
    }
    if (pi.spreadId >= 0 && !pi.terminating) {
      const n = (this.spreadCounts.get(pi.spreadId) ?? 0) - 1;
      if (n <= 0) this.spreadCounts.delete(pi.spreadId);
      else this.spreadCounts.set(pi.spreadId, n);
    }
    this.generation++;
    this.writeColumns();
    return pi;
  }

  /**
   * HostPortInfo.CheckConflict: a wanted port conflicts with a used one of the same protocol and
   * port when either side binds every address (0.0.0.0) or both bind the same address.
   */
  hasPortConflict(wanted: readonly HostPort[]): boolean {
    if (this.usedPorts.size === 0) return false;
    for (const p of wanted) {
      const ips = this.usedPorts.get(`${p.protocol}/${p.port}`);
      if (!ips) continue;
      if (p.ip === '0.0.0.0' || ips.has('0.0.0.0') || ips.has(p.ip)) return true;
    }
    return false;
  }
}
