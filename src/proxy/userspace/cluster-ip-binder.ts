/**
 * Makes cluster IPs local addresses of the machine, so the userspace proxy can listen on them:
 * each one a /32 on the loopback link, labelled `lo:skd<id>` so this instance (or the cleanup
 * after a crash) finds exactly its own — what kube-proxy's IPVS mode does with its `kube-ipvs0`
 * dummy link, on a link every kernel has. The whole service CIDR also gets an `unreachable`
 * route of Skiff's metric, so an address no Service holds fails at once on this machine instead
 * of following the default route out of it; local addresses win over that route (the local
 * routing table is looked up first).
 *
 * A cluster IP of a Service without endpoints stays bound with nothing listening: connections
 * are refused by the kernel at once.
 */
import type { Logger } from '../../client/log.js';
import { CLUSTER_ROUTE_METRIC, releaseClusterIPs } from '../../agent/network/host-network.js';
import { ipJson, run, tryRun } from '../../agent/network/exec.js';

export interface ClusterIPBinderOptions {
  /** The address label (`lo:skd<id>`). */
  label: string;
  serviceCIDR: string;
  logger: Logger;
}

export class ClusterIPBinder {
  private bound: Set<string> | undefined;

  constructor(private readonly opts: ClusterIPBinderOptions) {}

  /** Binds exactly `ips` (adds the missing, removes the rest). */
  async sync(ips: Set<string>): Promise<void> {
    const bound = this.bound ?? (await this.setUp());
    const add = [...ips].filter((ip) => !bound.has(ip));
    const del = [...bound].filter((ip) => !ips.has(ip));
    if (!add.length && !del.length) return;
    const batch = [...add.map((ip) => `addr replace ${ip}/32 dev lo label ${this.opts.label}`), ...del.map((ip) => `addr del ${ip}/32 dev lo`)];
    try {
      await run('ip', ['-b', '-'], batch.join('\n') + '\n');
    } catch (err) {
      // Someone changed the addresses under us: read back what is there, retry next time.
      this.bound = undefined;
      throw err;
    }
    for (const ip of add) bound.add(ip);
    for (const ip of del) bound.delete(ip);
  }

  /** Claims the service CIDR and adopts the addresses an earlier run left. */
  private async setUp(): Promise<Set<string>> {
    await run('ip', ['route', 'replace', 'unreachable', this.opts.serviceCIDR, 'metric', String(CLUSTER_ROUTE_METRIC)]);
    const lo = await ipJson<{ addr_info?: Array<{ family: string; local: string; label?: string }> }>(['addr', 'show', 'dev', 'lo']);
    const bound = new Set((lo[0]?.addr_info ?? []).filter((a) => a.family === 'inet' && a.label === this.opts.label).map((a) => a.local));
    this.bound = bound;
    return bound;
  }

  /** Removes every address of the label and the service CIDR route. */
  async destroy(): Promise<void> {
    this.bound = undefined;
    await releaseClusterIPs(this.opts.label);
    await tryRun('ip', ['route', 'del', 'unreachable', this.opts.serviceCIDR, 'metric', String(CLUSTER_ROUTE_METRIC)]);
  }
}
