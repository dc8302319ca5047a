/**
 * Services: SetDefaults_Service, the single-stack IP family fields the service REST fills in on
 * create, and on update the allocated values a client may omit (cluster IPs, node ports, health-check
 * node port) carried over from the old object as Kubernetes' patchAllocatedValues does — which is why
 * `kubectl replace` of a Service without its clusterIP works. Allocation of new cluster IPs and node
 * ports belongs to the service allocator, not here.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../../api/errors.js';
import { clone, type KubeObject } from '../../api/object.js';
import { validateService, validateServiceStatusUpdate, validateServiceUpdate } from '../../api/validation/core.js';
import { nameIsDNS1035Label } from '../../api/validation/object-meta.js';
import { BaseStrategy, as } from './base.js';

/** The families this cluster serves (single-stack IPv4). */
export const CLUSTER_IP_FAMILIES: readonly string[] = ['IPv4'];
/** v1.DefaultClientIPServiceAffinitySeconds (3 hours). */
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

type ServiceSpec = NonNullable<Service['spec']>;

const needsClusterIP = (s: ServiceSpec | undefined) => s?.type !== 'ExternalName';
const needsNodePort = (s: ServiceSpec | undefined) => s?.type === 'NodePort' || (s?.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const needsHealthCheckNodePort = (s: ServiceSpec | undefined) => s?.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';

/** clusterIP and clusterIPs[0] describe the same address; fill whichever is missing. */
function normalizeClusterIPs(s: ServiceSpec): void {
  if (!s.clusterIPs?.length && s.clusterIP) s.clusterIPs = [s.clusterIP];
  if (!s.clusterIP && s.clusterIPs?.length) s.clusterIP = s.clusterIPs[0];
}

/** initIPFamilyFields for a single-stack cluster. */
function initIPFamilies(s: ServiceSpec): void {
  if (!needsClusterIP(s)) return;
  if (!s.ipFamilyPolicy) {
    // Headless services without selectors are "require dual-stack": harmless, they get every family.
    s.ipFamilyPolicy = s.clusterIP === 'None' && Object.keys(s.selector ?? {}).length === 0 ? 'RequireDualStack' : 'SingleStack';
  }
  if (!s.ipFamilies?.length) s.ipFamilies = s.ipFamilyPolicy === 'SingleStack' ? [CLUSTER_IP_FAMILIES[0] ?? 'IPv4'] : [...CLUSTER_IP_FAMILIES];
}

/**
 * dropTypeDependentFields: a Service changing type loses the allocated values the new type has no
 * use for — node ports when it stops being NodePort/LoadBalancer, cluster IPs and IP families when
 * it becomes ExternalName — but only where the request still carries the old values (a value the
 * user changed is theirs to explain, and validation will).
 */
function dropTypeDependentFields(n: ServiceSpec, o: ServiceSpec | undefined): void {
  if (!o) return;
  if (needsClusterIP(o) && !needsClusterIP(n) && (n.clusterIP ?? '') === (o.clusterIP ?? '') && JSON.stringify(n.clusterIPs ?? []) === JSON.stringify(o.clusterIPs ?? [])) {
    delete n.clusterIP;
    delete n.clusterIPs;
    delete n.ipFamilies;
    delete n.ipFamilyPolicy;
    if (n.internalTrafficPolicy === o.internalTrafficPolicy) delete n.internalTrafficPolicy;
  }
  if (needsNodePort(o) && !needsNodePort(n)) {
    const old = new Map((o.ports ?? []).map((p) => [`${p.name ?? ''}/${p.port}`, p.nodePort]));
    for (const p of n.ports ?? []) if (p.nodePort && old.get(`${p.name ?? ''}/${p.port}`) === p.nodePort) delete p.nodePort;
  }
  if (needsHealthCheckNodePort(o) && !needsHealthCheckNodePort(n) && n.healthCheckNodePort === o.healthCheckNodePort) delete n.healthCheckNodePort;
  if (n.type !== 'NodePort' && n.type !== 'LoadBalancer' && o.externalTrafficPolicy && n.externalTrafficPolicy === o.externalTrafficPolicy && (o.type === 'NodePort' || o.type === 'LoadBalancer')) delete n.externalTrafficPolicy;
}

export class ServiceStrategy extends BaseStrategy {
  protected override readonly nameValidator = nameIsDNS1035Label;

  override applyDefaults(obj: KubeObject): void {
    const s = (as<Service>(obj).spec ??= {});
    s.sessionAffinity ||= 'None';
    s.type ||= 'ClusterIP';
    for (const p of s.ports ?? []) {
      p.protocol ||= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if (s.type === 'NodePort' || s.type === 'LoadBalancer') s.externalTrafficPolicy ||= 'Cluster';
    if (s.type !== 'ExternalName') s.internalTrafficPolicy ||= 'Cluster';
    if (s.sessionAffinity === 'ClientIP') {
      const cfg = ((s.sessionAffinityConfig ??= {}).clientIP ??= {});
      cfg.timeoutSeconds ??= DEFAULT_CLIENT_IP_AFFINITY_SECONDS;
    }
    if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
  }

  /** LoadBalancerStatus is a struct: a new Service reports `status: {loadBalancer: {}}`. */
  protected override initialStatus(): unknown {
    return { loadBalancer: {} };
  }

  override prepareForCreate(obj: KubeObject): void {
    super.prepareForCreate(obj);
    const s = (as<Service>(obj).spec ??= {});
    normalizeClusterIPs(s);
    initIPFamilies(s);
  }

  override prepareForUpdate(newObj: KubeObject, oldObj: KubeObject): void {
    super.prepareForUpdate(newObj, oldObj);
    const n = (as<Service>(newObj).spec ??= {});
    const o = as<Service>(oldObj).spec;
    if (needsClusterIP(o) && needsClusterIP(n)) {
      if (!n.clusterIP && o?.clusterIP) n.clusterIP = o.clusterIP;
      if (!n.clusterIPs?.length && o?.clusterIPs?.length) n.clusterIPs = [...o.clusterIPs];
      if (!n.ipFamilyPolicy && o?.ipFamilyPolicy) n.ipFamilyPolicy = o.ipFamilyPolicy;
      if (!n.ipFamilies?.length && o?.ipFamilies?.length) n.ipFamilies = [...o.ipFamilies];
    }
    if (needsNodePort(o) && needsNodePort(n)) {
      const used = (s: ServiceSpec | undefined) => new Set((s?.ports ?? []).map((p) => p.nodePort).filter((x): x is number => !!x));
      const oldUsed = used(o);
      const newUsed = used(n);
      const taken = new Set([...oldUsed].filter((x) => newUsed.has(x)));
      const byName = new Map((o?.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
      for (const p of n.ports ?? []) {
        if (p.nodePort) continue;
        const old = byName.get(p.name ?? '');
        if (old && !taken.has(old)) p.nodePort = old;
      }
    }
    if (needsHealthCheckNodePort(o) && needsHealthCheckNodePort(n) && !n.healthCheckNodePort && o?.healthCheckNodePort) {
      n.healthCheckNodePort = o.healthCheckNodePort;
    }
    dropTypeDependentFields(n, o);
    normalizeClusterIPs(n);
    initIPFamilies(n);
  }

  override prepareForStatusUpdate(newObj: KubeObject, oldObj: KubeObject): void {
    super.prepareForStatusUpdate(newObj, oldObj);
    if (newObj.status === undefined) newObj.status = clone(oldObj.status);
  }

  override validateCreate(obj: KubeObject): FieldError[] {
    return validateService(as<Service>(obj));
  }
  override validateUpdate(n: KubeObject, o: KubeObject): FieldError[] {
    return validateServiceUpdate(as<Service>(n), as<Service>(o));
  }
  override validateStatusUpdate(n: KubeObject): FieldError[] {
    return validateServiceStatusUpdate(as<Service>(n));
  }
}
