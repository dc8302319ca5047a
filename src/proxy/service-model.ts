/**
 * What the service proxy forwards, computed from Services and EndpointSlices (kube-proxy's
 * ServicePortMap and EndpointsMap): one entry per service port with its cluster IP, node port,
 * protocol, session affinity and the endpoints to balance over — the ready ones, or, when none is
 * ready, the serving terminating ones (kube-proxy's fallback since 1.26). ExternalName and headless
 * Services have nothing to forward.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ProxyEndpoint {
  ip: string;
  port: number;
}

export interface ProxyServicePort {
  /** `ns/name:portName` (kube-proxy's ServicePortName). */
  key: string;
  namespace: string;
  service: string;
  portName: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIP: string | undefined;
  port: number;
  nodePort: number | undefined;
  /** ClientIP affinity timeout in seconds (undefined: none). */
  affinitySeconds: number | undefined;
  endpoints: ProxyEndpoint[];
}

/** The forwarding model of every service port, sorted by key. */
export function buildServicePorts(services: Iterable<Service>, slicesOf: (namespace: string, service: string) => EndpointSlice[]): ProxyServicePort[] {
  const out: ProxyServicePort[] = [];
  for (const svc of services) {
    const s = svc.spec;
    if (!s || s.type === 'ExternalName') continue;
    const ns = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const clusterIP = s.clusterIP && s.clusterIP !== 'None' ? s.clusterIP : undefined;
    if (!clusterIP && !(s.ports ?? []).some((p) => p.nodePort)) continue;
    const slices = slicesOf(ns, name);
    for (const p of s.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP').toLowerCase() as ProxyServicePort['protocol'];
      const ready: ProxyEndpoint[] = [];
      const terminating: ProxyEndpoint[] = [];
      const seen = new Set<string>();
      for (const slice of slices) {
        if (slice.addressType && slice.addressType !== 'IPv4') continue;
        const sp = (slice.ports ?? []).find((x) => (x.name ?? '') === (p.name ?? '') && (x.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (!sp?.port) continue;
        for (const ep of slice.endpoints ?? []) {
          const ip = ep.addresses[0];
          if (!ip) continue;
          const id = `${ip}:${sp.port}`;
          if (seen.has(id)) continue;
          seen.add(id);
          const c = ep.conditions ?? {};
          // A nil ready condition means ready (EndpointConditions docs).
          if (c.ready !== false) ready.push({ ip, port: sp.port });
          else if (c.serving && c.terminating) terminating.push({ ip, port: sp.port });
        }
      }
      const endpoints = (ready.length ? ready : terminating).sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip.localeCompare(b.ip, 'en', { numeric: true })));
      out.push({
        key: `${ns}/${name}:${p.name ?? ''}`,
        namespace: ns,
        service: name,
        portName: p.name ?? '',
        protocol,
        clusterIP,
        port: p.port,
        nodePort: s.type === 'NodePort' || s.type === 'LoadBalancer' ? p.nodePort : undefined,
        affinitySeconds: s.sessionAffinity === 'ClientIP' ? (s.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined,
        endpoints,
      });
    }
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}
