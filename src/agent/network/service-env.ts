/**
 * Service environment variables, as kubelet injects them (getServiceEnvVarMap and
 * pkg/kubelet/envvars): for every Service with a cluster IP in the pod's namespace (when
 * `enableServiceLinks` is true, the default) and the `kubernetes` Service of `default` (always),
 * `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, `<NAME>_SERVICE_PORT_<PORTNAME>` and the Docker
 * link variables `<NAME>_PORT`, `<NAME>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}`. They come
 * before the container's own env, which can override them.
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';

/** Services of `default` every pod gets variables for (kubelet's masterServices). */
const MASTER_SERVICES = new Set(['kubernetes']);

const envName = (s: string): string => s.toUpperCase().replace(/-/g, '_');

function hasClusterIP(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** The variables for one Service (FromServices). */
export function serviceVariables(svc: Service): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (!hasClusterIP(svc) || !svc.spec?.ports?.length) return out;
  const prefix = envName(svc.metadata?.name ?? '');
  const ip = svc.spec.clusterIP!;
  out.push([`${prefix}_SERVICE_HOST`, ip]);
  const portVar = `${prefix}_SERVICE_PORT`;
  out.push([portVar, String(svc.spec.ports[0]!.port)]);
  for (const p of svc.spec.ports) if (p.name) out.push([`${portVar}_${envName(p.name)}`, String(p.port)]);
  svc.spec.ports.forEach((p, i) => {
    const proto = (p.protocol || 'TCP').toLowerCase();
    const url = `${proto}://${ip.includes(':') ? `[${ip}]` : ip}:${p.port}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([pp, url], [`${pp}_PROTO`, proto], [`${pp}_PORT`, String(p.port)], [`${pp}_ADDR`, ip]);
  });
  return out;
}

/** The service variables for `pod` given the Services the node knows. */
export function serviceEnvFor(pod: Pod, services: Iterable<Service>): Array<[string, string]> {
  const ns = pod.metadata?.namespace ?? 'default';
  const links = pod.spec?.enableServiceLinks ?? true;
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    if (!hasClusterIP(svc)) continue;
    const name = svc.metadata?.name ?? '';
    if (svc.metadata?.namespace === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, svc);
    } else if (svc.metadata?.namespace === ns && links) {
      chosen.set(name, svc);
    }
  }
  return [...chosen.keys()].sort().flatMap((name) => serviceVariables(chosen.get(name)!));
}
