/**
 * The scheduler's cache (pkg/scheduler/backend/cache): every node with the pods counted on it,
 * fed by the node and pod informers, plus the pods the scheduler has *assumed* — counted on their
 * node the moment a node is chosen, before the binding is written — so the next decision, a
 * millisecond later, already sees the resources taken. An assumed pod is confirmed when the
 * informer shows it bound, or forgotten when its binding fails.
 *
 * Terminal pods never reach the cache: the scheduler's pod informer excludes Succeeded and Failed
 * pods (as kube-scheduler's does), so a pod finishing arrives as a delete and frees its resources.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { newPodInfo, type PodInfo } from '../framework/pod-info.js';
import { NodeColumns } from './node-columns.js';
import { NodeInfo } from './node-info.js';

interface PodState {
  pi: PodInfo;
  nodeName: string;
  /** Counted because the scheduler chose the node; not yet seen bound in the informer. */
  assumed: boolean;
}

export class SchedulerCache {
  private readonly infos = new Map<string, NodeInfo>();
  /** Nodes that have a Node object; a node's index here is its column slot (swap-remove on delete). */
  private readonly list: NodeInfo[] = [];
  /** Per-slot numbers of the nodes in `list` (scanned by the algorithm). */
  readonly columns = new NodeColumns();
  /** spread id → slot → pods of that owner on that node (default spreading over nodes). */
  private readonly spreadSlots = new Map<number, Map<number, number>>();
  private readonly podStates = new Map<string, PodState>();
  /** Zone table: id → name, nodes, spread key → pods (default spreading across zones). */
  private readonly zoneIds = new Map<string, number>();
  private readonly zones: Array<{ name: string; nodes: number; spread: Map<number, number> }> = [];
  /** Spread keys (owner UIDs) interned to small integers: cheaper map keys per node. */
  private readonly spreadIds = new Map<string, number>();
  private unzonedNodes = 0;

  /** Schedulable candidates: every node with a Node object. The array is shared; do not mutate. */
  nodes(): readonly NodeInfo[] {
    return this.list;
  }

  get nodeCount(): number {
    return this.list.length;
  }

  node(name: string): NodeInfo | undefined {
    const ni = this.infos.get(name);
    return ni?.node ? ni : undefined;
  }

  addOrUpdateNode(node: Node): NodeInfo {
    const name = node.metadata?.name ?? '';
    let ni = this.infos.get(name);
    if (!ni) this.infos.set(name, (ni = new NodeInfo(name)));
    const hadNode = !!ni.node;
    if (hadNode) this.countZone(ni, -1);
    ni.setNode(node);
    ni.zoneId = ni.zone === undefined ? -1 : this.zoneId(ni.zone);
    this.countZone(ni, +1);
    if (!hadNode) {
      ni.slot = this.list.length;
      ni.columns = this.columns;
      this.columns.ensure(ni.slot + 1);
      this.list.push(ni);
      this.countSpreadSlots(ni, +1);
    }
    ni.writeColumns();
    return ni;
  }

  /**
   * Removes a node from scheduling. Pods still bound to it stay accounted (a ghost NodeInfo) until
   * the informer removes them, as kube-scheduler keeps them so a recreated node starts correct.
   */
  removeNode(name: string): void {
    const ni = this.infos.get(name);
    if (!ni?.node) return;
    this.countZone(ni, -1);
    ni.node = undefined;
    ni.zone = undefined;
    ni.zoneId = -1;
    const i = ni.slot;
    this.countSpreadSlots(ni, -1);
    const last = this.list.pop() as NodeInfo;
    if (last !== ni) {
      // The last node takes the freed slot: move its column values and spread counts.
      this.countSpreadSlots(last, -1);
      this.list[i] = last;
      last.slot = i;
      last.writeColumns();
      this.countSpreadSlots(last, +1);
    }
    ni.slot = -1;
    ni.columns = undefined;
    if (ni.pods.size === 0) this.infos.delete(name);
  }

  /** Counts `pi` on `nodeName` at once (the scheduler decided; the binding is in flight). */
  assumePod(pi: PodInfo, nodeName: string): void {
    if (this.podStates.has(pi.uid)) throw new Error(`pod ${pi.key} is already in the cache`);
    this.podStates.set(pi.uid, { pi, nodeName, assumed: true });
    this.addToNode(pi, nodeName);
  }

  /** Undoes assumePod after a failed binding; a pod the informer already confirmed stays. */
  forgetPod(uid: string): void {
    const st = this.podStates.get(uid);
    if (!st?.assumed) return;
    this.podStates.delete(uid);
    this.removeFromNode(st.pi, st.nodeName);
  }

  isAssumed(uid: string): boolean {
    return this.podStates.get(uid)?.assumed === true;
  }

  /** Whether the cache counts this pod (assumed or bound). */
  hasPod(uid: string): boolean {
    return this.podStates.has(uid);
  }

  /** A bound pod from the informer: confirms an assumed pod or adds it. */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName ?? '';
    const uid = pod.metadata?.uid ?? '';
    const known = this.podStates.get(uid);
    // Status-only updates (the agent reporting) change nothing the scheduler counts: same node,
    // same generation (pods bump it on every spec change, including resizes), same deletion state.
    if (known && !known.assumed && known.nodeName === nodeName && pod.metadata?.generation !== undefined && known.pi.pod.metadata?.generation === pod.metadata.generation && !!known.pi.pod.metadata?.deletionTimestamp === !!pod.metadata.deletionTimestamp) {
      known.pi.pod = pod;
      return;
    }
    const pi = newPodInfo(pod);
    const st = known;
    if (st) {
      // Confirm the assumption (or, if it was bound elsewhere meanwhile, move it).
      this.removeFromNode(st.pi, st.nodeName);
    }
    this.podStates.set(pi.uid, { pi, nodeName, assumed: false });
    this.addToNode(pi, nodeName);
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(uid: string): void {
    const st = this.podStates.get(uid);
    if (!st) return;
    this.podStates.delete(uid);
    this.removeFromNode(st.pi, st.nodeName);
  }

  /** Interns the pod's spread key (sets `pi.spreadId`); -1 when it has none. */
  spreadIdOf(pi: PodInfo): number {
    if (pi.spreadId >= 0 || !pi.spreadKey) return pi.spreadId;
    let id = this.spreadIds.get(pi.spreadKey);
    if (id === undefined) this.spreadIds.set(pi.spreadKey, (id = this.spreadIds.size));
    pi.spreadId = id;
    return id;
  }

  /** Pods of spread key `key` on nodes of `zone`. */
  zoneSpreadCount(zone: string, key: string): number {
    const zid = this.zoneIds.get(zone);
    const kid = this.spreadIds.get(key);
    return zid === undefined || kid === undefined ? 0 : (this.zones[zid]?.spread.get(kid) ?? 0);
  }

  /** Fills `out[zoneId]` with the pods of spread id `key` per zone; returns the zone table size. */
  zoneSpreadCounts(key: number, out: number[]): number {
    for (let i = 0; i < this.zones.length; i++) out[i] = this.zones[i]?.spread.get(key) ?? 0;
    return this.zones.length;
  }

  /**
   * PodTopologySpread's zone topology size: distinct zones with nodes, plus one for nodes without
   * a zone label (kube-scheduler counts the empty value as a domain too).
   */
  zoneTopologySize(): number {
    let n = this.unzonedNodes > 0 ? 1 : 0;
    for (const z of this.zones) if (z.nodes > 0) n++;
    return n;
  }

  get podCount(): number {
    return this.podStates.size;
  }

  private addToNode(pi: PodInfo, nodeName: string): void {
    let ni = this.infos.get(nodeName);
    if (!ni) this.infos.set(nodeName, (ni = new NodeInfo(nodeName)));
    this.spreadIdOf(pi);
    ni.addPod(pi);
    if (pi.spreadId >= 0 && !pi.terminating) {
      if (ni.zoneId >= 0) this.bumpZone(ni.zoneId, pi.spreadId, 1);
      if (ni.slot >= 0) this.bumpSlot(pi.spreadId, ni.slot, 1);
    }
  }

  private removeFromNode(pi: PodInfo, nodeName: string): void {
    const ni = this.infos.get(nodeName);
    if (!ni) return;
    if (ni.removePod(pi.uid) && pi.spreadId >= 0 && !pi.terminating) {
      if (ni.zoneId >= 0) this.bumpZone(ni.zoneId, pi.spreadId, -1);
      if (ni.slot >= 0) this.bumpSlot(pi.spreadId, ni.slot, -1);
    }
    if (!ni.node && ni.pods.size === 0) this.infos.delete(nodeName);
  }

  private zoneId(name: string): number {
    let id = this.zoneIds.get(name);
    if (id === undefined) {
      id = this.zones.length;
      this.zoneIds.set(name, id);
      this.zones.push({ name, nodes: 0, spread: new Map() });
    }
    return id;
  }

  /** Adds (+1) or removes (-1) a node and its spread counts to/from its zone. */
  private countZone(ni: NodeInfo, sign: 1 | -1): void {
    if (ni.zoneId < 0) {
      if (ni.node) this.unzonedNodes += sign;
      return;
    }
    const z = this.zones[ni.zoneId];
    if (!z) return;
    z.nodes += sign;
    for (const [key, n] of ni.spreadCounts) this.bumpZone(ni.zoneId, key, sign * n);
  }

  /** Pods of spread id `key` per node slot (undefined: none anywhere). */
  spreadBySlot(key: number): ReadonlyMap<number, number> | undefined {
    return this.spreadSlots.get(key);
  }

  private countSpreadSlots(ni: NodeInfo, sign: 1 | -1): void {
    if (ni.slot < 0) return;
    for (const [key, n] of ni.spreadCounts) this.bumpSlot(key, ni.slot, sign * n);
  }

  private bumpSlot(key: number, slot: number, delta: number): void {
    let m = this.spreadSlots.get(key);
    if (!m) this.spreadSlots.set(key, (m = new Map()));
    const n = (m.get(slot) ?? 0) + delta;
    if (n <= 0) m.delete(slot);
    else m.set(slot, n);
    if (m.size === 0) this.spreadSlots.delete(key);
  }

  private bumpZone(zoneId: number, key: number, delta: number): void {
    const m = this.zones[zoneId]?.spread;
    if (!m) return;
    const n = (m.get(key) ?? 0) + delta;
    if (n <= 0) m.delete(key);
    else m.set(key, n);
  }
}
