/**
 * Routes to the pods of other machines, as flannel's host-gw backend installs them: for every
 * Node that is not on this machine and has a pod CIDR, `ip route <podCIDR> via <its InternalIP>`.
 * Pods then reach pods anywhere in the cluster at their own addresses, without encapsulation or
 * address translation — which needs the machines on one link (the InternalIP must be a direct
 * neighbour; a node that is not is reported once and left without a route, as host-gw does).
 *
 * The routes carry Skiff's route metric, so a restarted instance recognises the ones it left
 * (and removes those of nodes that went meanwhile), and the CIDR overlap check ignores them.
 */
import { networkInterfaces } from 'node:os';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from '../../client/log.js';
import { cidrContains, cidrsOverlap, parseCidr, parseIPv4, type Cidr } from '../../api/cidr.js';
import { ipJson, run, tryRun } from './exec.js';
import { CLUSTER_ROUTE_METRIC } from './host-network.js';

export interface NodeRoutesOptions {
  clusterCIDR: string;
  /** Whether a node's pods live on this machine (its own bridges). */
  isLocal: (nodeName: string) => boolean;
  logger: Logger;
}

/** The InternalIP of a node (kubelet's --node-ip), else its first address that is an IPv4 address. */
export function nodeInternalIP(node: Node): string | undefined {
  const addrs = node.status?.addresses ?? [];
  const internal = addrs.find((a) => a.type === 'InternalIP' && parseIPv4(a.address) !== undefined);
  return internal?.address;
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') out.add(a.address);
  return out;
}

export class NodeRoutes {
  private readonly cluster: Cidr;
  private installed: Map<string, string> | undefined;
  private readonly warned = new Map<string, string>();
  private pending: Node[] | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: NodeRoutesOptions) {
    this.cluster = parseCidr(opts.clusterCIDR);
  }

  /** The routes wanted for `nodes` (pod CIDR → next hop). */
  desired(nodes: Iterable<Node>): Map<string, string> {
    const want = new Map<string, string>();
    const local = localAddresses();
    for (const n of nodes) {
      const name = n.metadata?.name ?? '';
      const cidr = n.spec?.podCIDR;
      if (!cidr || this.opts.isLocal(name)) continue;
      let c: Cidr;
      try {
        c = parseCidr(cidr);
      } catch {
        continue;
      }
      if (!cidrsOverlap(c, this.cluster)) continue;
      const via = nodeInternalIP(n);
      const v = via === undefined ? undefined : parseIPv4(via);
      // A node on this machine (another instance's, or one at a loopback address) needs no route.
      if (!via || v === undefined || local.has(via) || cidrContains(parseCidr('127.0.0.0/8'), v)) continue;
      want.set(cidr, via);
    }
    return want;
  }

  /** Converges the routes on `nodes` (coalesced: only the latest call's nodes are applied). */
  sync(nodes: Node[]): Promise<void> {
    this.pending = nodes;
    this.running ??= this.loop().finally(() => (this.running = undefined));
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.pending) {
      const nodes = this.pending;
      this.pending = undefined;
      await this.apply(this.desired(nodes));
    }
  }

  private async apply(want: Map<string, string>): Promise<void> {
    const have = this.installed ?? (this.installed = await this.adopt());
    for (const [cidr, via] of have) {
      if (want.get(cidr) === via) continue;
      await tryRun('ip', ['route', 'del', cidr, 'via', via, 'metric', String(CLUSTER_ROUTE_METRIC)]);
      have.delete(cidr);
    }
    for (const [cidr, via] of want) {
      if (have.get(cidr) === via) continue;
      try {
        await run('ip', ['route', 'replace', cidr, 'via', via, 'metric', String(CLUSTER_ROUTE_METRIC)]);
        have.set(cidr, via);
        this.warned.delete(cidr);
      } catch (err) {
        const msg = (err as Error).message;
        if (this.warned.get(cidr) !== msg) {
          this.warned.set(cidr, msg);
          this.opts.logger.warn(`no route to the pods of ${cidr} via ${via} (nodes must share a link for pod traffic between machines): ${msg}`);
        }
      }
    }
  }

  /** Routes an earlier run left (Skiff's metric, a next hop, inside the cluster CIDR). */
  private async adopt(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const routes = await ipJson<{ dst: string; gateway?: string; metric?: number }>(['-4', 'route', 'show']).catch(() => []);
    for (const r of routes) {
      if (r.metric !== CLUSTER_ROUTE_METRIC || !r.gateway || !r.dst.includes('/')) continue;
      try {
        if (cidrsOverlap(parseCidr(r.dst), this.cluster)) out.set(r.dst, r.gateway);
      } catch {
        /* not IPv4 */
      }
    }
    return out;
  }

  /** Removes every route this instance installed. */
  async clear(): Promise<void> {
    await this.running;
    for (const [cidr, via] of this.installed ?? (await this.adopt())) await tryRun('ip', ['route', 'del', cidr, 'via', via, 'metric', String(CLUSTER_ROUTE_METRIC)]);
    this.installed = new Map();
  }
}
