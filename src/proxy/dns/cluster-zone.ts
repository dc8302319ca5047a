/**
 * The `cluster.local` zone, answered from Services and EndpointSlices as CoreDNS's kubernetes
 * plugin answers it (the Kubernetes DNS specification):
 *
 * - `<svc>.<ns>.svc.<domain>` A → the cluster IP; for a headless Service, the ready endpoints'
 *   addresses (all of them with publishNotReadyAddresses); ExternalName → CNAME;
 * - `<hostname>.<svc>.<ns>.svc.<domain>` A → the endpoint with that hostname (StatefulSet pods
 *   through their governing Service), or the one whose address is `<a-b-c-d>`;
 * - `_<port>._<proto>.<svc>.<ns>.svc.<domain>` SRV for named ports (one per endpoint for a
 *   headless Service, targets with their A records in the additional section);
 * - `<a-b-c-d>.<ns>.pod.<domain>` A → a.b.c.d;
 * - NXDOMAIN (with the zone's SOA) for every other name in the zone; NOERROR without answers for
 *   types other than A/SRV on names that exist (the cluster is IPv4-only).
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { RCODE, TYPE, type Question, type Record } from './dns-packet.js';

/** CoreDNS's kubernetes plugin default TTL. */
export const CLUSTER_TTL = 5;

export interface ZoneSource {
  service(namespace: string, name: string): Service | undefined;
  slices(namespace: string, name: string): EndpointSlice[];
}

export interface ZoneAnswer {
  rcode: number;
  answers: Record[];
  authority: Record[];
  additional: Record[];
  /** An ExternalName target outside the zone, to resolve upstream and append. */
  chase?: string;
}

interface Endpoint {
  ip: string;
  hostname?: string;
  ports: Map<string, number>;
}

export class ClusterZone {
  constructor(
    private readonly source: ZoneSource,
    readonly domain = 'cluster.local',
  ) {}

  /** Whether `name` belongs to the zone. */
  inZone(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  private soa(): Record {
    return {
      name: this.domain,
      type: TYPE.SOA,
      ttl: CLUSTER_TTL,
      data: { mname: `ns.dns.${this.domain}`, rname: `hostmaster.${this.domain}`, serial: Math.floor(Date.now() / 1000), refresh: 7200, retry: 1800, expire: 86400, minimum: CLUSTER_TTL },
    };
  }

  private endpoints(svc: Service): Endpoint[] {
    const ns = svc.metadata?.namespace ?? '';
    const all = svc.spec?.publishNotReadyAddresses === true;
    const out: Endpoint[] = [];
    const seen = new Set<string>();
    for (const s of this.source.slices(ns, svc.metadata?.name ?? '')) {
      if (s.addressType && s.addressType !== 'IPv4') continue;
      const ports = new Map((s.ports ?? []).map((p) => [`${(p.name ?? '').toLowerCase()}/${(p.protocol ?? 'TCP').toLowerCase()}`, p.port ?? 0]));
      for (const ep of s.endpoints ?? []) {
        if (!all && ep.conditions?.ready === false) continue;
        const ip = ep.addresses[0];
        if (!ip || seen.has(ip)) continue;
        seen.add(ip);
        out.push({ ip, ...(ep.hostname ? { hostname: ep.hostname } : {}), ports });
      }
    }
    return out;
  }

  /** Answers a question about a name in the zone. */
  answer(q: Question): ZoneAnswer {
    const name = q.name.toLowerCase().replace(/\.$/, '');
    const rel = name === this.domain ? [] : name.slice(0, -this.domain.length - 1).split('.');
    const nx: ZoneAnswer = { rcode: RCODE.NXDOMAIN, answers: [], authority: [this.soa()], additional: [] };
    const nodata: ZoneAnswer = { rcode: RCODE.NOERROR, answers: [], authority: [this.soa()], additional: [] };
    const ok = (answers: Record[], additional: Record[] = []): ZoneAnswer => ({ rcode: RCODE.NOERROR, answers, authority: [], additional });
    const wantsA = q.type === TYPE.A || q.type === TYPE.ANY;
    if (rel.length === 0) return q.type === TYPE.SOA ? ok([this.soa()]) : nodata;
    // <a-b-c-d>.<ns>.pod
    if (rel.length === 3 && rel[2] === 'pod') {
      const ip = rel[0]!.replace(/-/g, '.');
      if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return nx;
      return wantsA ? ok([{ name: q.name, type: TYPE.A, ttl: CLUSTER_TTL, data: ip }]) : nodata;
    }
    if (rel.at(-1) !== 'svc') return nx;
    if (rel.length < 3) return rel.length === 2 || rel.length === 1 ? nodata : nx;
    const svcName = rel.at(-3)!;
    const ns = rel.at(-2)!;
    const svc = this.source.service(ns, svcName);
    if (!svc) return nx;
    const fqdn = `${svcName}.${ns}.svc.${this.domain}`;
    const headless = svc.spec?.clusterIP === 'None';
    if (rel.length === 3) {
      if (svc.spec?.type === 'ExternalName') {
        const target = (svc.spec.externalName ?? '').replace(/\.$/, '');
        const cname: Record = { name: q.name, type: TYPE.CNAME, ttl: CLUSTER_TTL, data: target };
        if (this.inZone(target)) {
          const inner = this.answer({ ...q, name: target });
          return { ...inner, answers: [cname, ...inner.answers], rcode: RCODE.NOERROR };
        }
        return { ...ok([cname]), ...(q.type !== TYPE.CNAME ? { chase: target } : {}) };
      }
      if (q.type === TYPE.SRV) return this.srv(q, svc, fqdn, undefined);
      if (!wantsA) return nodata;
      if (!headless) return svc.spec?.clusterIP ? ok([{ name: q.name, type: TYPE.A, ttl: CLUSTER_TTL, data: svc.spec.clusterIP }]) : nodata;
      return ok(this.endpoints(svc).map((e) => ({ name: q.name, type: TYPE.A, ttl: CLUSTER_TTL, data: e.ip })));
    }
    if (rel.length === 4) {
      // <hostname or a-b-c-d>.<svc>.<ns>.svc: endpoints of headless Services.
      if (!headless) return nx;
      const label = rel[0]!;
      const ep = this.endpoints(svc).find((e) => (e.hostname ?? '').toLowerCase() === label || e.ip.replace(/\./g, '-') === label);
      if (!ep) return nx;
      return wantsA ? ok([{ name: q.name, type: TYPE.A, ttl: CLUSTER_TTL, data: ep.ip }]) : nodata;
    }
    if (rel.length === 5 && rel[0]!.startsWith('_') && rel[1]!.startsWith('_')) {
      if (q.type !== TYPE.SRV && q.type !== TYPE.ANY) return nodata;
      return this.srv(q, svc, fqdn, { port: rel[0]!.slice(1), proto: rel[1]!.slice(1) });
    }
    return nx;
  }

  private srv(q: Question, svc: Service, fqdn: string, want: { port: string; proto: string } | undefined): ZoneAnswer {
    const answers: Record[] = [];
    const additional: Record[] = [];
    const ports = (svc.spec?.ports ?? []).filter((p) => p.name && (!want || (p.name.toLowerCase() === want.port && (p.protocol ?? 'TCP').toLowerCase() === want.proto)));
    if (ports.length === 0) return want ? { rcode: RCODE.NXDOMAIN, answers: [], authority: [this.soa()], additional: [] } : { rcode: RCODE.NOERROR, answers: [], authority: [this.soa()], additional: [] };
    if (svc.spec?.clusterIP !== 'None') {
      for (const p of ports) answers.push({ name: q.name, type: TYPE.SRV, ttl: CLUSTER_TTL, data: { priority: 0, weight: 100, port: p.port, target: fqdn } });
      if (svc.spec?.clusterIP) additional.push({ name: fqdn, type: TYPE.A, ttl: CLUSTER_TTL, data: svc.spec.clusterIP });
    } else {
      const eps = this.endpoints(svc);
      for (const p of ports) {
        for (const e of eps) {
          const port = e.ports.get(`${p.name!.toLowerCase()}/${(p.protocol ?? 'TCP').toLowerCase()}`);
          if (!port) continue;
          const target = `${e.hostname ?? e.ip.replace(/\./g, '-')}.${fqdn}`;
          answers.push({ name: q.name, type: TYPE.SRV, ttl: CLUSTER_TTL, data: { priority: 0, weight: Math.floor(100 / Math.max(1, eps.length)), port, target } });
          additional.push({ name: target, type: TYPE.A, ttl: CLUSTER_TTL, data: e.ip });
        }
      }
    }
    return { rcode: RCODE.NOERROR, answers, authority: [], additional };
  }
}
