/**
 * Printers for Services, Endpoints and EndpointSlices, as Kubernetes' `printService`,
 * `printEndpoints` and `printEndpointSlice`.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { objectAge } from './duration.js';
import { AGE_COLUMN, NAME_COLUMN, NONE, column, compareStrings, formatLabels, joinHostPort, listWithMore } from './format.js';
import type { ResourcePrinter } from './types.js';

/** How many endpoints the ENDPOINTS columns list before "+ N more...". */
export const MAX_LISTED_ENDPOINTS = 3;

/** Load-balancer ingress IPs (or hostnames), de-duplicated and sorted. */
function loadBalancerAddresses(svc: Service): string[] {
  const set = new Set<string>();
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip) set.add(ing.ip);
    else if (ing.hostname) set.add(ing.hostname);
  }
  return [...set].sort(compareStrings);
}

/**
 * The EXTERNAL-IP cell. ClusterIP and NodePort: `spec.externalIPs` or `<none>`; LoadBalancer:
 * ingress addresses then external IPs, or `<pending>` while it has none; ExternalName: the
 * external name. The server prints with `wide` on, so long LB lists are never clipped.
 */
export function serviceExternalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : NONE;
    case 'LoadBalancer': {
      const all = [...loadBalancerAddresses(svc), ...externalIPs];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** The PORT(S) cell: `80/TCP` or `80:30080/TCP` per port, comma-joined, `<none>` without ports. */
export function servicePorts(ports: readonly ServicePort[] | undefined): string {
  if (!ports || ports.length === 0) return NONE;
  const pieces: string[] = [];
  // Protocol is always defaulted to TCP by the API server.
  for (const p of ports) pieces.push(p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`);
  return pieces.join(',');
}

/** Printer for core/v1 Services. */
export const servicePrinter: ResourcePrinter<Service> = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'ServiceSpec.type'),
    column('Cluster-IP', 'string', 'ServiceSpec.clusterIP'),
    column('External-IP', 'string', 'ServiceSpec.externalIPs'),
    column('Port(s)', 'string', 'ServiceSpec.ports'),
    AGE_COLUMN,
    column('Selector', 'string', 'ServiceSpec.selector', { priority: 1 }),
  ],
  cells(svc, ctx) {
    // The internal Service always has clusterIPs (conversion fills it from clusterIP).
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || NONE;
    return [
      svc.metadata?.name ?? '',
      svc.spec?.type ?? '',
      clusterIP,
      serviceExternalIP(svc),
      servicePorts(svc.spec?.ports),
      objectAge(svc, ctx.nowMs),
      formatLabels(svc.spec?.selector),
    ];
  },
};

/**
 * The ENDPOINTS cell of an Endpoints object: `ip:port` for every ready address and port
 * (bare IPs for port-less headless subsets), the first three then `+ N more...`; `<none>`
 * without subsets.
 */
export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets;
  if (!subsets || subsets.length === 0) return NONE;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX_LISTED_ENDPOINTS) break;
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX_LISTED_ENDPOINTS) break;
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  // Subsets with no ready address print as an empty cell, as in Kubernetes.
  return count > MAX_LISTED_ENDPOINTS ? `${list.join(',')} + ${count - MAX_LISTED_ENDPOINTS} more...` : list.join(',');
}

/** Printer for core/v1 Endpoints. */
export const endpointsPrinter: ResourcePrinter<Endpoints> = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', 'Endpoints.subsets'), AGE_COLUMN],
  cells(ep, ctx) {
    return [ep.metadata?.name ?? '', formatEndpoints(ep), objectAge(ep, ctx.nowMs)];
  },
};

/** The PORTS cell of an EndpointSlice: port numbers (or names, or `*`), `<unset>` if none. */
export function endpointSlicePorts(slice: EndpointSlice): string {
  const ports = slice.ports ?? [];
  const list: string[] = [];
  for (const p of ports) {
    if (list.length === MAX_LISTED_ENDPOINTS) break;
    list.push(p.port !== undefined && p.port !== null ? String(p.port) : (p.name ?? '*'));
  }
  return listWithMore(list, ports.length, MAX_LISTED_ENDPOINTS, '<unset>');
}

/** The ENDPOINTS cell of an EndpointSlice: addresses of all endpoints, `<unset>` if none. */
export function endpointSliceAddresses(slice: EndpointSlice): string {
  const list: string[] = [];
  let count = 0;
  for (const e of slice.endpoints ?? []) {
    for (const addr of e.addresses ?? []) {
      if (list.length < MAX_LISTED_ENDPOINTS) list.push(addr);
      count++;
    }
  }
  return listWithMore(list, count, MAX_LISTED_ENDPOINTS, '<unset>');
}

/** Printer for discovery.k8s.io/v1 EndpointSlices. */
export const endpointSlicePrinter: ResourcePrinter<EndpointSlice> = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', 'EndpointSlice.addressType'),
    column('Ports', 'string', 'EndpointSlice.ports'),
    column('Endpoints', 'string', 'EndpointSlice.endpoints'),
    AGE_COLUMN,
  ],
  cells(slice, ctx) {
    return [
      slice.metadata?.name ?? '',
      slice.addressType ?? '',
      endpointSlicePorts(slice),
      endpointSliceAddresses(slice),
      objectAge(slice, ctx.nowMs),
    ];
  },
};
