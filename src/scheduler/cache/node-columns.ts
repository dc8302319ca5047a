/**
 * The numbers the scheduler reads for every candidate node, laid out column by column in typed
 * arrays indexed by the node's slot in the cache. A decision at 5,000 nodes walks ~500 nodes; read
 * from scattered NodeInfo objects that is thousands of cache misses per pod, read from a few
 * contiguous arrays it is a sequential scan. NodeInfo stays the source of truth and writes itself
 * through to its slot on every change.
 */
import type { NodeInfo } from './node-info.js';

export class NodeColumns {
  capacity = 0;
  /** Allocatable minus requested: the filter's fast path. */
  freeCpu = new Float64Array(0);
  freeMem = new Float64Array(0);
  freeEph = new Float64Array(0);
  /** allocatable pods minus pods counted. */
  freePods = new Float64Array(0);
  /** 1 when the node is neither cordoned nor tainted NoSchedule/NoExecute. */
  simple = new Uint8Array(0);
  allocCpu = new Float64Array(0);
  allocMem = new Float64Array(0);
  reqCpu = new Float64Array(0);
  reqMem = new Float64Array(0);
  nzCpu = new Float64Array(0);
  nzMem = new Float64Array(0);
  /** Number of PreferNoSchedule taints. */
  preferTaints = new Uint16Array(0);
  /** 1 when the node has the kubernetes.io/hostname label. */
  hostname = new Uint8Array(0);
  zoneId = new Int32Array(0);

  /** Makes room for `n` slots (doubling). */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    let cap = Math.max(16, this.capacity);
    while (cap < n) cap *= 2;
    const grow = <T extends Float64Array | Uint8Array | Uint16Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    const f64 = (k: number) => new Float64Array(k);
    this.freeCpu = grow(this.freeCpu, f64);
    this.freeMem = grow(this.freeMem, f64);
    this.freeEph = grow(this.freeEph, f64);
    this.freePods = grow(this.freePods, f64);
    this.simple = grow(this.simple, (k) => new Uint8Array(k));
    this.allocCpu = grow(this.allocCpu, f64);
    this.allocMem = grow(this.allocMem, f64);
    this.reqCpu = grow(this.reqCpu, f64);
    this.reqMem = grow(this.reqMem, f64);
    this.nzCpu = grow(this.nzCpu, f64);
    this.nzMem = grow(this.nzMem, f64);
    this.preferTaints = grow(this.preferTaints, (k) => new Uint16Array(k));
    this.hostname = grow(this.hostname, (k) => new Uint8Array(k));
    this.zoneId = grow(this.zoneId, (k) => new Int32Array(k));
    this.capacity = cap;
  }

  /** Writes a node's current numbers into slot `i`. */
  write(i: number, ni: NodeInfo): void {
    const a = ni.allocatable;
    const r = ni.requested;
    this.freeCpu[i] = a.milliCPU - r.milliCPU;
    this.freeMem[i] = a.memory - r.memory;
    this.freeEph[i] = a.ephemeralStorage - r.ephemeralStorage;
    this.freePods[i] = ni.allowedPods - ni.pods.size;
    this.simple[i] = ni.simple ? 1 : 0;
    this.allocCpu[i] = a.milliCPU;
    this.allocMem[i] = a.memory;
    this.reqCpu[i] = r.milliCPU;
    this.reqMem[i] = r.memory;
    this.nzCpu[i] = ni.nonZeroMilliCPU;
    this.nzMem[i] = ni.nonZeroMemory;
    this.preferTaints[i] = ni.preferTaints.length;
    this.hostname[i] = ni.hasHostname ? 1 : 0;
    this.zoneId[i] = ni.zoneId;
  }
}
