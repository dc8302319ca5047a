/**
 * Cluster IPs and node ports for Services (Kubernetes' service REST allocators,
 * pkg/registry/core/service/storage/alloc.go): on create, a ClusterIP from `--service-cidr` and a
 * node port from `--service-node-port-range` for each port of a NodePort/LoadBalancer Service —
 * or the ones the user asked for, refused with Kubernetes' messages when taken or out of range; on
 * update, new node ports when a Service becomes NodePort, a cluster IP when it stops being
 * ExternalName.
 *
 * There is no separate allocation state to drift or repair: what is allocated is what the stored
 * Services hold (read from the watch cache on every allocation), plus the values of writes in
 * flight. A deleted Service frees its values the moment it leaves the cache, and a restarted server
 * knows every allocation as soon as its cache has loaded. The reservation returned by `allocate`
 * covers the window between choosing a value and the write reaching the cache; the registry
 * releases it once the write has settled (or failed).
 *
 * One allocator serves one API server. Several servers on one etcd could pick the same free value
 * in the same instant; Kubernetes closes that with a CAS on its allocation bitmap, which Skiff does
 * not have yet.
 */
import type { Service, ServiceSpec } from 'kubernetes-types/core/v1.js';
import { invalid as invalidError, internalError, type StatusError } from '../../api/errors.js';
import { cidrContains, formatCidr, formatIPv4, parseCidr, parseIPv4, type Cidr } from '../../api/cidr.js';
import { fieldErrorToCause } from '../../api/errors.js';
import { FieldPath, goStringSlice, invalid } from '../../api/validation/field-errors.js';
import { NODE_PORT_BAND, SERVICE_IP_BAND, pickFree } from './range-picker.js';

/** `--service-node-port-range` default. */
export const DEFAULT_NODE_PORT_RANGE = { first: 30000, last: 32767 };

export interface PortRange {
  first: number;
  last: number;
}

export interface ServiceAllocatorOptions {
  /** `--service-cidr` (e.g. 10.96.0.0/12). */
  serviceCIDR: string;
  nodePortRange?: PortRange;
  /** The Services stored now (the watch cache). */
  services: () => Iterable<Service>;
  random?: () => number;
}

/** Releases a reservation once its write has settled or failed. */
export type Release = () => void;

type Spec = ServiceSpec;

const hasClusterIP = (s: Spec | undefined): boolean => s?.type !== 'ExternalName' && s?.clusterIP !== 'None' && s?.clusterIPs?.[0] !== 'None';
const wantsNodePorts = (s: Spec | undefined): boolean => s?.type === 'NodePort' || (s?.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const needsHealthCheck = (s: Spec | undefined): boolean => s?.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';

function nodePortsOf(s: Spec | undefined): number[] {
  const out = (s?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0);
  if (needsHealthCheck(s) && s?.healthCheckNodePort) out.push(s.healthCheckNodePort);
  return out;
}

function keyOf(svc: Service): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

export class ServiceAllocator {
  readonly serviceCIDR: Cidr;
  readonly nodePortRange: PortRange;
  private readonly pendingIPs = new Map<number, number>();
  private readonly pendingPorts = new Map<number, number>();
  private readonly random: () => number;

  constructor(private readonly opts: ServiceAllocatorOptions) {
    this.serviceCIDR = parseCidr(opts.serviceCIDR);
    if (this.serviceCIDR.prefix > 30) throw new Error(`--service-cidr ${opts.serviceCIDR} is too small: it needs at least 4 addresses`);
    this.nodePortRange = opts.nodePortRange ?? DEFAULT_NODE_PORT_RANGE;
    this.random = opts.random ?? Math.random;
  }

  /** The first usable address of the service CIDR: the `kubernetes` Service's. */
  get kubernetesServiceIP(): string {
    return formatIPv4(this.serviceCIDR.base + 1);
  }

  /** What stored Services other than `self` hold. */
  private inUse(self: string): { ips: Set<number>; ports: Set<number> } {
    const ips = new Set<number>(this.pendingIPs.keys());
    const ports = new Set<number>(this.pendingPorts.keys());
    for (const svc of this.opts.services()) {
      if (keyOf(svc) === self) continue;
      const s = svc.spec;
      if (hasClusterIP(s)) {
        for (const ip of s?.clusterIPs ?? (s?.clusterIP ? [s.clusterIP] : [])) {
          const n = parseIPv4(ip);
          if (n !== undefined) ips.add(n);
        }
      }
      for (const p of nodePortsOf(s)) ports.add(p);
    }
    return { ips, ports };
  }

  /**
   * Allocates what `svc` (being created, or updated from `old`) needs, writing the values into
   * it. Throws a 422 with Kubernetes' message for a requested value that is taken or out of
   * range. The result must be called once the write is done (dry runs reserve nothing).
   */
  allocate(svc: Service, old: Service | undefined, dryRun: boolean): Release {
    const s = (svc.spec ??= {});
    const name = svc.metadata?.name ?? '';
    const used = this.inUse(keyOf(svc));
    const ips: number[] = [];
    const ports: number[] = [];
    const fail = (err: StatusError): never => {
      throw err;
    };
    // Cluster IP: new Services, and Services leaving ExternalName (case A of updateClusterIPs).
    const oldHadIP = old !== undefined && old.spec?.type !== 'ExternalName';
    if (hasClusterIP(s) && !oldHadIP) {
      const requested = s.clusterIPs?.[0] || s.clusterIP || '';
      let ip: number;
      if (requested) {
        const n = parseIPv4(requested);
        if (n === undefined) fail(internalError(new Error(`failed to parse service IP "${requested}"`)));
        const reason = !this.usable(n!)
          ? `the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${formatCidr(this.serviceCIDR)}`
          : used.ips.has(n!)
            ? 'provided IP is already allocated'
            : undefined;
        if (reason) fail(this.invalid(name, FieldPath.root('spec').child('clusterIPs'), goStringSlice(s.clusterIPs ?? [requested]), `failed to allocate IP ${requested}: ${reason}`));
        ip = n!;
      } else {
        // The network and broadcast addresses are never handed out (ipallocator's range excludes them).
        const picked = pickFree(this.serviceCIDR.base + 1, this.serviceCIDR.size - 2, (v) => used.ips.has(v), SERVICE_IP_BAND, this.random);
        if (picked === undefined) fail(internalError(new Error(`failed to allocate a serviceIP: range is full`)));
        ip = picked!;
      }
      ips.push(ip);
      s.clusterIP = formatIPv4(ip);
      s.clusterIPs = [s.clusterIP, ...(s.clusterIPs ?? []).slice(1)];
    }
    // Node ports (initNodePorts / updateNodePorts): ports the old object held stay its own.
    const mine = new Set(old ? nodePortsOf(old.spec) : []);
    const claim = (port: number, path: FieldPath): void => {
      if (mine.has(port) || ports.includes(port)) return;
      const { first, last } = this.nodePortRange;
      if (port < first || port > last) fail(this.invalid(name, path, port, `provided port is not in the valid range. The range of valid ports is ${first}-${last}`));
      if (used.ports.has(port)) fail(this.invalid(name, path, port, 'provided port is already allocated'));
      ports.push(port);
    };
    const next = (): number => {
      const { first, last } = this.nodePortRange;
      const picked = pickFree(first, last - first + 1, (v) => used.ports.has(v) || ports.includes(v) || mine.has(v), NODE_PORT_BAND, this.random);
      if (picked === undefined) fail(internalError(new Error('failed to allocate a nodePort: range is full')));
      ports.push(picked!);
      return picked!;
    };
    if (s.type === 'NodePort' || s.type === 'LoadBalancer') {
      const byServicePort = new Map<number, number>();
      (s.ports ?? []).forEach((p, i) => {
        if (!p.nodePort && !wantsNodePorts(s)) return;
        const path = FieldPath.root('spec').child('ports').index(i).child('nodePort');
        if (p.nodePort) {
          claim(p.nodePort, path);
          byServicePort.set(p.port, p.nodePort);
          return;
        }
        // Two protocols on one port number share one node port (findRequestedNodePort).
        const shared = byServicePort.get(p.port) ?? (s.ports ?? []).find((q) => q.port === p.port && q.nodePort)?.nodePort;
        p.nodePort = shared ?? (old ? this.reuseOld(old.spec, p.port, ports, mine) : undefined) ?? next();
        if (shared) claim(shared, path);
        byServicePort.set(p.port, p.nodePort);
      });
    }
    if (needsHealthCheck(s)) {
      if (s.healthCheckNodePort) claim(s.healthCheckNodePort, FieldPath.root('spec').child('healthCheckNodePort'));
      else s.healthCheckNodePort = next();
    }
    if (dryRun) return () => undefined;
    for (const ip of ips) this.pendingIPs.set(ip, (this.pendingIPs.get(ip) ?? 0) + 1);
    for (const p of ports) this.pendingPorts.set(p, (this.pendingPorts.get(p) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const ip of ips) decrement(this.pendingIPs, ip);
      for (const p of ports) decrement(this.pendingPorts, p);
    };
  }

  /** The old Service's node port for the same service port, if this update does not use it elsewhere. */
  private reuseOld(old: Spec | undefined, port: number, taken: number[], mine: Set<number>): number | undefined {
    const np = (old?.ports ?? []).find((p) => p.port === port && p.nodePort)?.nodePort;
    return np && mine.has(np) && !taken.includes(np) ? np : undefined;
  }

  private usable(ip: number): boolean {
    const c = this.serviceCIDR;
    return cidrContains(c, ip) && ip !== c.base && ip !== c.base + c.size - 1;
  }

  private invalid(name: string, path: FieldPath, value: Parameters<typeof invalid>[1], detail: string): StatusError {
    return invalidError('', 'Service', name, [fieldErrorToCause(invalid(path, value, detail))]);
  }
}

function decrement(m: Map<number, number>, k: number): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
