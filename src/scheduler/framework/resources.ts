/**
 * Resource amounts as plain numbers (framework.Resource): milli-CPU, bytes of memory and
 * ephemeral storage, and scalar resources (extended resources, hugepages) in their integer units.
 * Quantities are parsed once per pod or node (src/api/quantity.ts), never per scheduling decision.
 *
 * A pod's request is resource.PodRequests: the sum of its containers, raised to the largest
 * init container (each counted together with the restartable "sidecar" init containers started
 * before it; sidecars also add to the sum), plus `spec.overhead`.
 */
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../../api/quantity.js';

/** schedutil.DefaultMilliCPURequest: what scoring assumes for a container without a CPU request. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** schedutil.DefaultMemoryRequest: 200 MiB for a container without a memory request. */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources and hugepages-*, keyed by resource name. */
  scalar: Map<string, number>;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() };
}

type ResourceList = Readonly<Record<string, string>> | undefined;

/** Whether `name` is a scalar resource the scheduler accounts (extended, hugepages, attachable volumes). */
export function isScalarResourceName(name: string): boolean {
  if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage' || name === 'pods') return false;
  // schedutil.IsScalarResourceName: extended resources (example.com/gpu), prefixed native ones
  // (kubernetes.io/…), hugepages-* and attachable-volumes-*.
  return name.startsWith('hugepages-') || name.startsWith('attachable-volumes-') || (name.includes('/') && !name.startsWith('requests.'));
}

function quantityValue(name: string, raw: string): number {
  const q = Quantity.tryParse(raw);
  if (!q) return 0;
  return name === 'cpu' ? q.milliValue() : q.value();
}

/** Adds a ResourceList into `into`. */
export function addResourceList(into: Resource, list: ResourceList): void {
  if (!list) return;
  for (const name of Object.keys(list)) {
    const v = quantityValue(name, list[name] as string);
    if (name === 'cpu') into.milliCPU += v;
    else if (name === 'memory') into.memory += v;
    else if (name === 'ephemeral-storage') into.ephemeralStorage += v;
    else if (isScalarResourceName(name)) into.scalar.set(name, (into.scalar.get(name) ?? 0) + v);
  }
}

function addResource(into: Resource, r: Resource): void {
  into.milliCPU += r.milliCPU;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + v);
}

function maxResource(into: Resource, r: Resource): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

function cloneResource(r: Resource): Resource {
  return { milliCPU: r.milliCPU, memory: r.memory, ephemeralStorage: r.ephemeralStorage, scalar: new Map(r.scalar) };
}

/** One container's requests; with `nonZero`, missing cpu/memory requests count as the defaults. */
function containerRequest(c: Container, nonZero: boolean): Resource {
  const r = emptyResource();
  const requests = c.resources?.requests as ResourceList;
  addResourceList(r, requests);
  if (nonZero) {
    if (requests?.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (requests?.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * resource.PodRequests. With `nonZero` (NonMissingContainerRequests), containers without a
 * cpu/memory request count the scheduler defaults, as scoring does so that many request-less pods
 * do not all land on one node.
 */
export function podRequests(spec: PodSpec | undefined, nonZero = false): Resource {
  const reqs = emptyResource();
  for (const c of spec?.containers ?? []) addResource(reqs, containerRequest(c, nonZero));
  const sidecars = emptyResource();
  const initMax = emptyResource();
  for (const c of spec?.initContainers ?? []) {
    const cr = containerRequest(c, nonZero);
    let use: Resource;
    if (c.restartPolicy === 'Always') {
      addResource(reqs, cr);
      addResource(sidecars, cr);
      use = cloneResource(sidecars);
    } else {
      use = cloneResource(cr);
      addResource(use, sidecars);
    }
    maxResource(initMax, use);
  }
  maxResource(reqs, initMax);
  addResourceList(reqs, spec?.overhead as ResourceList);
  return reqs;
}

/** A node's allocatable resources, plus the pod count it allows. */
export function parseAllocatable(list: ResourceList): { resource: Resource; pods: number } {
  const resource = emptyResource();
  addResourceList(resource, list);
  const pods = list?.pods !== undefined ? quantityValue('pods', list.pods) : 0;
  return { resource, pods };
}
