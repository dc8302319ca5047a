/**
 * The machine's side of pod networking, shared by every node and the service proxy of one Skiff
 * instance (a `skiff server` with local nodes, or a `skiff agent`):
 *
 * - an instance id (4 hex digits of the data dir's hash) that prefixes everything it creates on the
 *   host — bridges `skb<id>…`, veths `skv<id>…`, network namespaces `skiff-<id>-<pod uid>`, the
 *   nftables table `skiff_<id>` — so two instances on one machine never touch each other's;
 * - a registry entry in /run/skiff/network/<id>.json (pid and start time, CIDRs), so an instance
 *   that finds another one's entry with a dead owner removes everything that one left (namespaces
 *   and the processes still in them, links, rules) — nothing survives a crash past the next start;
 * - the CIDR plan: `--cluster-cidr` and `--service-cidr` must not overlap the machine's own
 *   addresses and routes, its DNS servers, or another live instance's ranges. Explicit flags that
 *   do are refused with a clear error; the defaults (10.244.0.0/16 and 10.96.0.0/12, as kubeadm
 *   and flannel use) move to the next free candidates instead. The choice is kept in the data dir,
 *   since Services hold addresses from it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cidrsOverlap, formatCidr, parseCidr, parseIPv4, type Cidr } from '../../api/cidr.js';
import { isAlive, processStartTime, sameProcess } from '../runtime/process/proc-info.js';
import { ipJson, onPath, readSysctl, run, tryRun, writeSysctl } from './exec.js';

export const REGISTRY_DIR = '/run/skiff/network';
export const DEFAULT_CLUSTER_CIDR = '10.244.0.0/16';
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
/** The cluster DNS Service's address: the tenth of the service CIDR (kubeadm's 10.96.0.10). */
export const DNS_SERVICE_OFFSET = 10;
/** Metric that marks Skiff's cluster-CIDR blackhole route. */
export const CLUSTER_ROUTE_METRIC = 4242;

export interface ClusterNetworkPlan {
  clusterCIDR: string;
  serviceCIDR: string;
}

export interface InstanceEntry extends ClusterNetworkPlan {
  id: string;
  pid: number;
  pidStart: number;
  dataDir: string;
  /** net.ipv4.ip_forward before the first instance turned it on ('0' or '1'). */
  ipForwardBefore?: string;
}

/** The instance id of a data dir. */
export function instanceId(dataDir: string): string {
  return createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 4);
}

export const bridgePrefix = (id: string): string => `skb${id}`;
/** The label of the loopback addresses holding cluster IPs for the userspace proxy. */
export const clusterIPLabel = (id: string): string => `lo:skd${id}`;
export const vethPrefix = (id: string): string => `skv${id}`;
export const netnsPrefix = (id: string): string => `skiff-${id}-`;
export const nftTable = (id: string): string => `skiff_${id}`;

/** Whether this process can give pods network namespaces (root on Linux with iproute2 and nftables). */
export async function podNetworkingAvailable(): Promise<{ ok: boolean; why?: string }> {
  if (process.platform !== 'linux') return { ok: false, why: `network namespaces need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, why: 'network namespaces need root' };
  for (const tool of ['ip', 'nft', 'nsenter']) if (!(await onPath(tool))) return { ok: false, why: `${tool} is not installed (Debian: ${tool === 'ip' ? 'iproute2' : tool === 'nft' ? 'nftables' : 'util-linux'})` };
  const probe = await tryRun('ip', ['netns', 'list']);
  if (probe === undefined) return { ok: false, why: 'ip netns is not permitted here' };
  return { ok: true };
}

/**
 * Whether this process may add addresses, links and routes to the machine (root on Linux with
 * iproute2): what binding cluster IPs for the userspace proxy needs, namespaces or not.
 */
export async function canManageHostAddresses(): Promise<boolean> {
  return process.platform === 'linux' && process.getuid?.() === 0 && (await onPath('ip'));
}

/** Address blocks in use on the machine, with what uses them (for the overlap check). */
export async function hostRanges(ownPrefixes: string[]): Promise<Array<{ cidr: Cidr; what: string }>> {
  const out: Array<{ cidr: Cidr; what: string }> = [];
  const own = (dev: string | undefined): boolean => !!dev && ownPrefixes.some((p) => dev.startsWith(p));
  try {
    for (const l of await ipJson<{ ifname: string; addr_info?: Array<{ local: string; prefixlen: number; family: string }> }>(['-4', 'addr', 'show'])) {
      if (own(l.ifname) || l.ifname === 'lo') continue;
      for (const a of l.addr_info ?? []) {
        if (a.family !== 'inet') continue;
        out.push({ cidr: parseCidr(`${a.local}/${a.prefixlen}`), what: `address ${a.local}/${a.prefixlen} on ${l.ifname}` });
      }
    }
    for (const r of await ipJson<{ dst: string; dev?: string; type?: string; metric?: number }>(['-4', 'route', 'show', 'table', 'all'])) {
      if (r.dst === 'default' || own(r.dev) || r.type === 'local' || r.type === 'broadcast' || r.dev === 'lo') continue;
      // Skiff's own routes: CIDR blackholes and routes to other machines' pods (live instances'
      // ranges come from their registry entries).
      if (r.metric === CLUSTER_ROUTE_METRIC) continue;
      try {
        out.push({ cidr: parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`), what: `route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}` });
      } catch {
        /* not IPv4 */
      }
    }
  } catch {
    // No iproute2 (macOS, minimal systems): fall back to the interface list Node reports.
    const { networkInterfaces } = await import('node:os');
    for (const [name, list] of Object.entries(networkInterfaces())) {
      for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal && a.cidr) out.push({ cidr: parseCidr(a.cidr), what: `address ${a.cidr} on ${name}` });
    }
  }
  try {
    for (const line of (await readFile('/etc/resolv.conf', 'utf8')).split('\n')) {
      const m = /^\s*nameserver\s+(\S+)/.exec(line);
      const ip = m ? parseIPv4(m[1]!) : undefined;
      if (ip !== undefined) out.push({ cidr: { base: ip, prefix: 32, size: 1 }, what: `DNS server ${m![1]} (/etc/resolv.conf)` });
    }
  } catch {
    /* no resolv.conf */
  }
  return out;
}

async function readEntry(path: string): Promise<InstanceEntry | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as InstanceEntry;
  } catch {
    return undefined;
  }
}

/** Registry entries of other instances, split into live and dead ones. */
export async function otherInstances(selfId: string): Promise<{ live: InstanceEntry[]; dead: InstanceEntry[] }> {
  const live: InstanceEntry[] = [];
  const dead: InstanceEntry[] = [];
  let names: string[] = [];
  try {
    names = await readdir(REGISTRY_DIR);
  } catch {
    return { live, dead };
  }
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    const e = await readEntry(join(REGISTRY_DIR, n));
    if (!e || e.id === selfId) continue;
    ((await sameProcess(e.pid, e.pidStart)) ? live : dead).push(e);
  }
  return { live, dead };
}

export interface PlanOptions {
  dataDir: string;
  clusterCIDR?: string;
  serviceCIDR?: string;
  /** Check against the machine and other instances (only where pod networking runs). */
  checkHost: boolean;
}

function candidates(kind: 'cluster' | 'service'): string[] {
  if (kind === 'cluster') return [DEFAULT_CLUSTER_CIDR, ...Array.from({ length: 9 }, (_, i) => `10.${245 + i}.0.0/16`)];
  return [DEFAULT_SERVICE_CIDR, ...Array.from({ length: 16 }, (_, i) => `10.${112 + i}.0.0/16`)];
}

/**
 * Runs `fn` holding the machine-wide registry lock (a directory created atomically; a holder that
 * died is detected by its pid), so two instances starting together never pick the same ranges.
 */
export async function withRegistryLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(REGISTRY_DIR, { recursive: true, mode: 0o755 });
  const lock = join(REGISTRY_DIR, '.lock');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => '0'));
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      if ((holder && !isAlive(holder)) || (!holder && age > 2000) || Date.now() > deadline) await rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/**
 * Chooses the cluster and service CIDRs for a data dir (flags, else what the data dir used last,
 * else the first free default) and checks them. Throws an Error whose message names the overlap.
 * With `checkHost`, the choice is recorded in the machine's registry at once (under its lock),
 * and what dead instances left behind is removed first.
 */
export async function planClusterNetwork(opts: PlanOptions): Promise<ClusterNetworkPlan> {
  if (!opts.checkHost) return choosePlan(opts, []);
  return withRegistryLock(async () => {
    const id = instanceId(opts.dataDir);
    const others = await otherInstances(id);
    for (const d of others.dead) await teardownInstance(d.id, d, d.ipForwardBefore);
    await sweepOrphans(id, others.live);
    const plan = await choosePlan(opts, others.live);
    const previous = await readEntry(join(REGISTRY_DIR, `${id}.json`));
    await writeEntry({ ...(previous ?? {}), id, pid: process.pid, pidStart: (await processStartTime(process.pid)) ?? 0, dataDir: resolve(opts.dataDir), ...plan });
    return plan;
  });
}

/**
 * For a node agent joining a cluster (`skiff agent`): the cluster's CIDRs come from the cluster,
 * not from flags, and are checked against this machine — its own addresses and routes, and other
 * Skiff instances of *other* clusters (an instance of the same cluster, another agent or a
 * server's local nodes on this machine, shares them by design). Throws an Error naming the
 * overlap; records the instance in the registry otherwise.
 */
export async function adoptClusterNetwork(dataDir: string, plan: ClusterNetworkPlan): Promise<void> {
  await withRegistryLock(async () => {
    const id = instanceId(dataDir);
    const others = await otherInstances(id);
    for (const d of others.dead) await teardownInstance(d.id, d, d.ipForwardBefore);
    await sweepOrphans(id, others.live);
    const taken = await hostRanges(['skb', 'skv', 'skd']);
    taken.push(...instanceRanges(others.live.filter((e) => e.clusterCIDR !== plan.clusterCIDR || e.serviceCIDR !== plan.serviceCIDR)));
    for (const [name, cidr] of [['cluster CIDR', plan.clusterCIDR], ['service CIDR', plan.serviceCIDR]] as const) {
      const c = parseCidr(cidr);
      const clash = taken.find((t) => cidrsOverlap(c, t.cidr));
      if (clash) throw new Error(`the cluster's ${name} ${cidr} overlaps ${clash.what} on this machine`);
    }
    const previous = await readEntry(join(REGISTRY_DIR, `${id}.json`));
    await writeEntry({ ...(previous ?? {}), id, pid: process.pid, pidStart: (await processStartTime(process.pid)) ?? 0, dataDir: resolve(dataDir), ...plan });
  });
}

async function writeEntry(entry: InstanceEntry): Promise<void> {
  const path = join(REGISTRY_DIR, `${entry.id}.json`);
  await writeFile(`${path}.tmp`, JSON.stringify(entry));
  await rename(`${path}.tmp`, path);
}

/** The cluster and service CIDRs other Skiff instances hold. */
function instanceRanges(instances: InstanceEntry[]): Array<{ cidr: Cidr; what: string }> {
  return instances.flatMap((e) => [
    { cidr: parseCidr(e.clusterCIDR), what: `the cluster CIDR of the Skiff instance in ${e.dataDir} (pid ${e.pid})` },
    { cidr: parseCidr(e.serviceCIDR), what: `the service CIDR of the Skiff instance in ${e.dataDir} (pid ${e.pid})` },
  ]);
}

/** `live`: the other live instances (their ranges are taken), when checking the host. */
async function choosePlan(opts: PlanOptions, live: InstanceEntry[]): Promise<ClusterNetworkPlan> {
  const file = join(opts.dataDir, 'network.json');
  let saved: Partial<ClusterNetworkPlan> = {};
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as ClusterNetworkPlan;
  } catch {
    /* first start */
  }
  const taken: Array<{ cidr: Cidr; what: string }> = [];
  if (opts.checkHost) {
    // Every Skiff bridge is left out: live instances' ranges come from their registry entries,
    // and dead ones' were removed.
    taken.push(...(await hostRanges(['skb', 'skv', 'skd'])), ...instanceRanges(live));
  }
  const clash = (c: Cidr, extra: Array<{ cidr: Cidr; what: string }> = []): string | undefined => [...taken, ...extra].find((t) => cidrsOverlap(c, t.cidr))?.what;
  const choose = (kind: 'cluster' | 'service', flag: string | undefined, previous: string | undefined, extra: Array<{ cidr: Cidr; what: string }>): string => {
    const name = kind === 'cluster' ? '--cluster-cidr' : '--service-cidr';
    const given = flag ?? previous;
    if (given !== undefined) {
      let c: Cidr;
      try {
        c = parseCidr(given);
      } catch {
        throw new Error(`${name} ${given} is not a CIDR block such as 10.244.0.0/16`);
      }
      const why = clash(c, extra);
      if (why) {
        const source = flag !== undefined ? name : `${name} ${given} (kept in ${file} from an earlier start)`;
        throw new Error(`${source} ${flag !== undefined ? given + ' ' : ''}overlaps ${why}; choose a range this machine does not use, e.g. ${name}=${suggest(kind, (x) => !clash(parseCidr(x), extra)) ?? '10.x.0.0/16'}`);
      }
      return formatCidr(c);
    }
    const pick = suggest(kind, (x) => !clash(parseCidr(x), extra));
    if (!pick) throw new Error(`every default ${kind} CIDR overlaps a network of this machine; pass ${name}`);
    return pick;
  };
  const clusterCIDR = choose('cluster', opts.clusterCIDR, saved.clusterCIDR, []);
  const serviceCIDR = choose('service', opts.serviceCIDR, saved.serviceCIDR, [{ cidr: parseCidr(clusterCIDR), what: `the cluster CIDR ${clusterCIDR}` }]);
  const plan = { clusterCIDR, serviceCIDR };
  if (saved.clusterCIDR !== clusterCIDR || saved.serviceCIDR !== serviceCIDR) {
    await mkdir(opts.dataDir, { recursive: true });
    await writeFile(`${file}.tmp`, JSON.stringify(plan, null, 2) + '\n');
    await rename(`${file}.tmp`, file);
  }
  return plan;
}

function suggest(kind: 'cluster' | 'service', free: (c: string) => boolean): string | undefined {
  return candidates(kind).find(free);
}

/** Removes everything an instance id created on the machine (its pods' processes included). */
export async function teardownInstance(id: string, plan?: ClusterNetworkPlan, ipForwardBefore?: string): Promise<void> {
  if (plan) await releaseClusterRoute(plan);
  const prefix = netnsPrefix(id);
  const list = (await tryRun('ip', ['netns', 'list'])) ?? '';
  for (const line of list.split('\n')) {
    const name = line.trim().split(/\s+/)[0];
    if (!name?.startsWith(prefix)) continue;
    await killNetnsProcesses(name);
    await tryRun('ip', ['netns', 'del', name]);
  }
  const links = await ipJson<{ ifname: string }>(['link', 'show']).catch(() => []);
  for (const l of links) {
    if (l.ifname.startsWith(bridgePrefix(id)) || l.ifname.startsWith(vethPrefix(id))) await tryRun('ip', ['link', 'del', l.ifname]);
  }
  await releaseClusterIPs(clusterIPLabel(id));
  await tryRun('nft', ['delete', 'table', 'ip', nftTable(id)]);
  await rm(join(REGISTRY_DIR, `${id}.json`), { force: true });
  // The dead instance may have been the last one to need forwarding.
  if (ipForwardBefore === '0' && (await otherInstances(id)).live.length === 0) await writeSysctl('net/ipv4/ip_forward', '0').catch(() => undefined);
}

/**
 * Removes what Skiff instances without a registry entry left on the machine (an instance killed
 * while it stopped, after its entry went but before its links did): bridges on a dead instance's
 * pod CIDRs would otherwise shadow the routes of the next instance given the same range. The
 * caller holds the registry lock; `selfId`'s leftovers stay for it to re-adopt.
 */
export async function sweepOrphans(selfId: string, live: InstanceEntry[]): Promise<void> {
  const keep = new Set([selfId, ...live.map((e) => e.id)]);
  const ids = new Set<string>();
  const idOf = (name: string, prefix: string): void => {
    const id = name.startsWith(prefix) ? name.slice(prefix.length, prefix.length + 4) : '';
    if (/^[0-9a-f]{4}$/.test(id) && !keep.has(id)) ids.add(id);
  };
  for (const l of await ipJson<{ ifname: string }>(['link', 'show']).catch(() => [])) {
    idOf(l.ifname, 'skb');
    idOf(l.ifname, 'skv');
  }
  for (const line of ((await tryRun('ip', ['netns', 'list'])) ?? '').split('\n')) idOf(line.trim(), 'skiff-');
  const lo = await ipJson<{ addr_info?: Array<{ label?: string }> }>(['addr', 'show', 'dev', 'lo']).catch(() => []);
  for (const a of lo[0]?.addr_info ?? []) idOf(a.label ?? '', 'lo:skd');
  for (const m of ((await tryRun('nft', ['list', 'tables', 'ip'])) ?? '').matchAll(/^table ip skiff_([0-9a-f]{4})$/gm)) idOf(`skiff_${m[1]}`, 'skiff_');
  for (const id of ids) await teardownInstance(id);
}

/** Removes the loopback addresses carrying `label` (cluster IPs of a userspace proxy). */
export async function releaseClusterIPs(label: string): Promise<void> {
  const lo = await ipJson<{ addr_info?: Array<{ family: string; local: string; prefixlen: number; label?: string }> }>(['addr', 'show', 'dev', 'lo']).catch(() => []);
  const mine = (lo[0]?.addr_info ?? []).filter((a) => a.family === 'inet' && a.label === label);
  if (mine.length) await tryRun('ip', ['-b', '-'], mine.map((a) => `addr del ${a.local}/${a.prefixlen} dev lo`).join('\n') + '\n');
}

/** SIGKILLs whatever still runs in a network namespace (a crashed instance's pods). */
export async function killNetnsProcesses(name: string): Promise<void> {
  const pids = ((await tryRun('ip', ['netns', 'pids', name])) ?? '').split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/**
 * Claims the instance's registry entry and cleans up after dead instances. Turns IPv4 forwarding
 * on (pods on different nodes talk through the host), remembering the old value so the last
 * instance to stop puts it back.
 */
export async function registerInstance(dataDir: string, plan: ClusterNetworkPlan, opts: { forwarding?: boolean } = {}): Promise<InstanceEntry> {
  return withRegistryLock(async () => {
    const id = instanceId(dataDir);
    const { live } = await otherInstances(id);
    const previous = await readEntry(join(REGISTRY_DIR, `${id}.json`));
    const current = await readSysctl('net/ipv4/ip_forward');
    // The machine's own setting: remembered by whichever instance turned forwarding on first.
    const before = previous?.ipForwardBefore ?? live.find((e) => e.ipForwardBefore !== undefined)?.ipForwardBefore ?? current ?? '0';
    const entry: InstanceEntry = { id, pid: process.pid, pidStart: (await processStartTime(process.pid)) ?? 0, dataDir: resolve(dataDir), ...plan, ipForwardBefore: before };
    await writeEntry(entry);
    if (current !== '1' && opts.forwarding !== false) await writeSysctl('net/ipv4/ip_forward', '1');
    return entry;
  });
}

/** Releases the registry entry; the last instance restores ip_forward. */
export async function unregisterInstance(entry: InstanceEntry): Promise<void> {
  await withRegistryLock(async () => {
    await rm(join(REGISTRY_DIR, `${entry.id}.json`), { force: true });
    const { live } = await otherInstances(entry.id);
    if (live.length === 0 && entry.ipForwardBefore === '0') await writeSysctl('net/ipv4/ip_forward', '0').catch(() => undefined);
  });
}

/** Blackholes the whole cluster CIDR (node blocks are more specific routes to their bridges): an address no node holds never leaves the machine. */
export async function claimClusterRoute(plan: ClusterNetworkPlan): Promise<void> {
  await run('ip', ['route', 'replace', 'unreachable', plan.clusterCIDR, 'metric', String(CLUSTER_ROUTE_METRIC)]);
}

/**
 * Removes the routes an instance of `plan` holds: the cluster CIDR blackhole, the service CIDR's
 * (userspace proxy) and the routes to other machines' pods inside the cluster CIDR.
 */
export async function releaseClusterRoute(plan: ClusterNetworkPlan): Promise<void> {
  await tryRun('ip', ['route', 'del', 'unreachable', plan.clusterCIDR, 'metric', String(CLUSTER_ROUTE_METRIC)]);
  await tryRun('ip', ['route', 'del', 'unreachable', plan.serviceCIDR, 'metric', String(CLUSTER_ROUTE_METRIC)]);
  const cluster = parseCidr(plan.clusterCIDR);
  for (const r of await ipJson<{ dst: string; gateway?: string; metric?: number }>(['-4', 'route', 'show']).catch(() => [])) {
    if (r.metric !== CLUSTER_ROUTE_METRIC || !r.gateway || !r.dst.includes('/')) continue;
    try {
      if (cidrsOverlap(parseCidr(r.dst), cluster)) await tryRun('ip', ['route', 'del', r.dst, 'via', r.gateway, 'metric', String(CLUSTER_ROUTE_METRIC)]);
    } catch {
      /* not IPv4 */
    }
  }
}
