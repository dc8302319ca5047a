/**
 * A pod's /etc/resolv.conf and /etc/hosts, as kubelet writes them (pkg/kubelet/network/dns and
 * the managed hosts file):
 *
 * - `dnsPolicy: ClusterFirst` (the default): the cluster DNS Service's address, search domains
 *   `<ns>.svc.<domain> svc.<domain> <domain>` followed by the host's, `options ndots:5`. A
 *   hostNetwork pod gets that only with `ClusterFirstWithHostNet`; otherwise, like `Default`, the
 *   host's resolv.conf. `None` takes everything from `dnsConfig`, which is merged last in any case.
 * - /etc/hosts: localhost lines, the pod's own address and hostname (with its FQDN when it has a
 *   subdomain), then `hostAliases` under kubelet's comment.
 */
import { readFile } from 'node:fs/promises';
import type { Pod } from 'kubernetes-types/core/v1.js';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
/** kubelet's limits: at most 32 search domains, 2048 characters in all. */
const MAX_SEARCH = 32;
const MAX_NAMESERVERS = 3;

export interface HostResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export function parseResolvConf(text: string): HostResolvConf {
  const out: HostResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches = rest.filter((s) => s !== '.');
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

export async function readHostResolvConf(path = '/etc/resolv.conf'): Promise<HostResolvConf> {
  try {
    return parseResolvConf(await readFile(path, 'utf8'));
  } catch {
    return { nameservers: [], searches: [], options: [] };
  }
}

/** The resolv.conf kubelet gives the pod, or undefined when the pod keeps the host's file untouched. */
export function podResolvConf(pod: Pod, clusterDNS: string | undefined, host: HostResolvConf, domain = DEFAULT_CLUSTER_DOMAIN): string | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  let policy = pod.spec?.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && pod.spec?.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  if ((policy === 'ClusterFirst' && !clusterDNS) || (policy === 'Default' && !pod.spec?.dnsConfig)) {
    // No cluster DNS configured (kubelet falls back to Default and says so), or the host's file as is.
    if (!pod.spec?.dnsConfig) return policy === 'Default' ? undefined : format(host);
    policy = 'Default';
  }
  let cfg: HostResolvConf;
  if (policy === 'None') cfg = { nameservers: [], searches: [], options: [] };
  else if (policy === 'Default') cfg = { nameservers: [...host.nameservers], searches: [...host.searches], options: [...host.options] };
  else cfg = { nameservers: [clusterDNS!], searches: [`${ns}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches], options: ['ndots:5'] };
  const dc = pod.spec?.dnsConfig;
  if (dc) {
    cfg.nameservers = unique([...cfg.nameservers, ...(dc.nameservers ?? [])]);
    cfg.searches = unique([...cfg.searches, ...(dc.searches ?? [])]);
    // dnsConfig options replace same-named ones.
    const opts = new Map(cfg.options.map((o) => [o.split(':')[0]!, o]));
    for (const o of dc.options ?? []) opts.set(o.name ?? '', o.value !== undefined ? `${o.name}:${o.value}` : (o.name ?? ''));
    cfg.options = [...opts.values()].filter(Boolean);
  }
  cfg.nameservers = cfg.nameservers.slice(0, MAX_NAMESERVERS);
  cfg.searches = cfg.searches.slice(0, MAX_SEARCH);
  return format(cfg);
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

function format(cfg: HostResolvConf): string {
  const lines: string[] = [];
  if (cfg.searches.length) lines.push(`search ${cfg.searches.join(' ')}`);
  for (const n of cfg.nameservers) lines.push(`nameserver ${n}`);
  if (cfg.options.length) lines.push(`options ${cfg.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The managed /etc/hosts of a pod with its own network namespace. */
export function podHostsFile(pod: Pod, podIP: string, hostname: string, domain = DEFAULT_CLUSTER_DOMAIN): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const sub = pod.spec?.subdomain;
  const ns = pod.metadata?.namespace ?? 'default';
  lines.push(sub ? `${podIP}\t${hostname}.${sub}.${ns}.svc.${domain}\t${hostname}` : `${podIP}\t${hostname}`);
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return lines.join('\n') + '\n';
}
