/**
 * Cgroups for containers, where the machine offers them (Linux, as root): one cgroup per
 * container under a `skiff/<node>` subtree, in the unified (v2) hierarchy and, on hybrid or
 * legacy machines, in the v1 `memory` and `cpu` hierarchies. They give Kubernetes' resource
 * semantics to host processes:
 * - every process a container starts is tracked, even one that left its process group, and
 *   `cgroup.kill` (v2) or a kill of every listed pid (v1) ends them all: no orphan outlives its
 *   pod;
 * - `limits.memory` → memory.max / memory.limit_in_bytes, and the kernel's OOM kill is counted
 *   (memory.events / memory.oom_control `oom_kill`) so the container shows `OOMKilled`;
 * - `limits.cpu` → CFS quota (cpu.max / cpu.cfs_quota_us over a 100 ms period) and
 *   `requests.cpu` → cpu.weight / cpu.shares, as kubelet's cgroup manager sets them.
 *
 * Each subtree nests under the agent's own cgroup in that hierarchy (so a supervisor's limits
 * still hold), except on pure v2 where the agent's cgroup holds processes and so cannot hand
 * controllers to children ("no internal processes"): there the subtree is created at the root,
 * as kubelet's `kubepods` is.
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CgroupLimits {
  memoryBytes?: number;
  cpuLimitMillis?: number;
  cpuRequestMillis?: number;
}

/** The cgroups of one container: what the shim needs and what removal needs. */
export interface ContainerCgroups {
  dirs: string[];
  procs: string[];
  kill?: string;
  oomCounter?: { path: string; key: string };
}

interface Hierarchy {
  kind: 'v2' | 'memory' | 'cpu';
  /** The subtree root for this node, e.g. /sys/fs/cgroup/memory/<own>/skiff/node-1. */
  base: string;
  /** v2 only: controllers enabled for children. */
  controllers: Set<string>;
}

const CFS_PERIOD_US = 100_000;

/** Finds usable hierarchies; returns undefined where there are none (not Linux, not root). */
export async function detectCgroups(nodeName: string): Promise<CgroupManager | undefined> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  let mountinfo: string;
  let own: string;
  try {
    mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
    own = await readFile('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  const ownPaths = new Map<string, string>();
  for (const line of own.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[2] === '') ownPaths.set('v2', m[3]!);
    for (const c of m[2]!.split(',')) if (c) ownPaths.set(c, m[3]!);
  }
  const mounts: Array<{ kind: 'v2' | 'memory' | 'cpu'; mount: string }> = [];
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = pre.split(' ')[4]!;
    const [fstype, , superOpts = ''] = post.split(' ');
    if (fstype === 'cgroup2') mounts.push({ kind: 'v2', mount: mountPoint });
    else if (fstype === 'cgroup') {
      const opts = superOpts.split(',');
      if (opts.includes('memory')) mounts.push({ kind: 'memory', mount: mountPoint });
      if (opts.includes('cpu')) mounts.push({ kind: 'cpu', mount: mountPoint });
    }
  }
  const hierarchies: Hierarchy[] = [];
  const seen = new Set<string>();
  for (const { kind, mount } of mounts) {
    if (seen.has(kind)) continue;
    seen.add(kind);
    const ownPath = ownPaths.get(kind === 'v2' ? 'v2' : kind) ?? '/';
    const h = kind === 'v2' ? await prepareV2(mount, ownPath, nodeName, seen) : await prepareV1(kind, mount, ownPath, nodeName);
    if (h) hierarchies.push(h);
  }
  return hierarchies.length > 0 ? new CgroupManager(hierarchies) : undefined;
}

async function prepareV1(kind: 'memory' | 'cpu', mount: string, ownPath: string, node: string): Promise<Hierarchy | undefined> {
  const base = join(mount, ownPath, 'skiff', node);
  try {
    await mkdir(base, { recursive: true });
    return { kind, base, controllers: new Set() };
  } catch {
    return undefined;
  }
}

async function prepareV2(mount: string, ownPath: string, node: string, seen: Set<string>): Promise<Hierarchy | undefined> {
  const available = new Set((await readFile(join(mount, 'cgroup.controllers'), 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean));
  // Controllers v1 already owns are not available in v2 on a hybrid machine.
  const wanted = ['memory', 'cpu', 'pids'].filter((c) => available.has(c) && !seen.has(c));
  const candidates = ownPath === '/' ? [mount] : [join(mount, ownPath), mount];
  for (const root of candidates) {
    try {
      const chain = [root, join(root, 'skiff'), join(root, 'skiff', node)];
      await mkdir(chain[2]!, { recursive: true });
      const enabled = new Set<string>();
      if (wanted.length > 0) {
        for (const dir of chain) await writeFile(join(dir, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
        for (const c of wanted) enabled.add(c);
      }
      for (const c of enabled) seen.add(c);
      return { kind: 'v2', base: chain[2]!, controllers: enabled };
    } catch {
      // EBUSY (the agent's own cgroup has processes) or EACCES: try the next place.
    }
  }
  return undefined;
}

export class CgroupManager {
  constructor(private readonly hierarchies: Hierarchy[]) {}

  /** What this machine enforces, for the node's description and logs. */
  describe(): string {
    return this.hierarchies.map((h) => (h.kind === 'v2' ? `v2${h.controllers.size ? `(${[...h.controllers].join(',')})` : ''}` : `v1 ${h.kind}`)).join(', ');
  }

  /** Whether memory limits (and so OOM kills) are enforced. */
  get enforcesMemory(): boolean {
    return this.hierarchies.some((h) => h.kind === 'memory' || h.controllers.has('memory'));
  }

  /** Creates the cgroups of one container and writes its limits. */
  async create(podUid: string, containerId: string, limits: CgroupLimits): Promise<ContainerCgroups> {
    const out: ContainerCgroups = { dirs: [], procs: [] };
    for (const h of this.hierarchies) {
      const podDir = join(h.base, `pod${podUid}`);
      const dir = join(podDir, containerId);
      if (h.kind === 'v2' && h.controllers.size > 0) {
        await mkdir(podDir, { recursive: true });
        await writeFile(join(podDir, 'cgroup.subtree_control'), [...h.controllers].map((c) => `+${c}`).join(' ')).catch(() => undefined);
      }
      await mkdir(dir, { recursive: true });
      out.dirs.push(dir);
      out.procs.push(join(dir, 'cgroup.procs'));
      if (h.kind === 'v2') {
        out.kill = join(dir, 'cgroup.kill');
        if (h.controllers.has('memory')) {
          out.oomCounter = { path: join(dir, 'memory.events'), key: 'oom_kill' };
          if (limits.memoryBytes) {
            await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes));
            await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => undefined);
          }
        }
        if (h.controllers.has('cpu')) {
          if (limits.cpuLimitMillis) await writeFile(join(dir, 'cpu.max'), `${Math.max(1000, limits.cpuLimitMillis * 100)} ${CFS_PERIOD_US}`);
          if (limits.cpuRequestMillis) await writeFile(join(dir, 'cpu.weight'), String(sharesToWeight(milliToShares(limits.cpuRequestMillis))));
        }
      } else if (h.kind === 'memory') {
        out.oomCounter ??= { path: join(dir, 'memory.oom_control'), key: 'oom_kill' };
        if (limits.memoryBytes) {
          await writeFile(join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
          await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
        }
      } else if (h.kind === 'cpu') {
        if (limits.cpuLimitMillis) {
          await writeFile(join(dir, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
          await writeFile(join(dir, 'cpu.cfs_quota_us'), String(Math.max(1000, limits.cpuLimitMillis * 100)));
        }
        if (limits.cpuRequestMillis) await writeFile(join(dir, 'cpu.shares'), String(milliToShares(limits.cpuRequestMillis)));
      }
    }
    return out;
  }

  /** The container's cgroups if they exist (after an agent restart). */
  existing(podUid: string, containerId: string): ContainerCgroups {
    const out: ContainerCgroups = { dirs: [], procs: [] };
    for (const h of this.hierarchies) {
      const dir = join(h.base, `pod${podUid}`, containerId);
      out.dirs.push(dir);
      out.procs.push(join(dir, 'cgroup.procs'));
      if (h.kind === 'v2') out.kill = join(dir, 'cgroup.kill');
    }
    return out;
  }

  /** Pids still in a container's cgroups. */
  static async pids(cg: ContainerCgroups): Promise<number[]> {
    const all = new Set<number>();
    for (const p of cg.procs) {
      const text = await readFile(p, 'utf8').catch(() => '');
      for (const l of text.split('\n')) if (l) all.add(Number(l));
    }
    return [...all];
  }

  /** Kills every process of a container (cgroup.kill, else each listed pid until none is left). */
  static async killAll(cg: ContainerCgroups): Promise<void> {
    if (cg.kill) {
      try {
        await writeFile(cg.kill, '1');
      } catch {
        /* cgroup.kill missing (kernel < 5.14) or cgroup gone: fall through */
      }
    }
    for (let i = 0; i < 20; i++) {
      const pids = await CgroupManager.pids(cg);
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 10 * (i + 1)));
    }
  }

  /** Removes a container's cgroups (after killAll), and the pod's when it is empty. */
  static async remove(cg: ContainerCgroups): Promise<void> {
    for (const dir of cg.dirs) {
      for (let i = 0; i < 10; i++) {
        try {
          await rmdir(dir);
          break;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') break;
          if (code !== 'EBUSY') break;
          await new Promise((r) => setTimeout(r, 20 * (i + 1)));
        }
      }
      await rmdir(join(dir, '..')).catch(() => undefined); // the pod's cgroup, once empty
    }
  }
}

/** kubelet's MilliCPUToShares (min 2, 1024 per cpu). */
export function milliToShares(milli: number): number {
  return Math.max(2, Math.floor((milli * 1024) / 1000));
}

/** cgroup v2 weight from v1 shares (the conversion runc and kubelet use). */
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}
