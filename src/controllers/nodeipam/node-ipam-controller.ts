/**
 * The node IPAM controller (Kubernetes' pkg/controller/nodeipam with the RangeAllocator): every
 * Node gets a pod CIDR — `spec.podCIDR` and `spec.podCIDRs` — carved from `--cluster-cidr` in
 * blocks of `--node-cidr-mask-size` (/24), lowest free block first. Node agents give their pods
 * addresses from it. A full range leaves the node without one and records `CIDRNotAvailable`.
 *
 * The taken blocks are those the Nodes in the cache hold, plus blocks this controller assigned
 * whose write the cache has not shown yet. A pod CIDR is never changed once set (the API refuses
 * it); a deleted Node's block is free again.
 *
 * Wiring: node adds/updates without a pod CIDR enqueue the node name. sync(name) picks a block and
 * PATCHes the Node.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import { cidrsOverlap, formatCidr, parseCidr, subnet, subnetCount, type Cidr } from '../../api/cidr.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';

/** --node-cidr-mask-size for IPv4. */
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

export interface NodeIpamOptions {
  clusterCIDR: string;
  nodeCIDRMaskSize?: number;
}

export class NodeIpamController implements Controller {
  readonly name = 'nodeipam';
  private readonly cluster: Cidr;
  private readonly mask: number;

  constructor(opts: NodeIpamOptions) {
    this.cluster = parseCidr(opts.clusterCIDR);
    this.mask = opts.nodeCIDRMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE;
    if (this.mask < this.cluster.prefix) throw new Error(`--node-cidr-mask-size ${this.mask} is larger than --cluster-cidr ${opts.clusterCIDR}`);
  }

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const nodes = ctx.informers.nodes();
    const recorder = ctx.recorder('cidrAllocator');
    const enqueue = (n: Node): void => {
      if (!n.spec?.podCIDR) queue.add(n.metadata!.name!);
    };
    nodes.addEventHandler({
      onAdd: enqueue,
      onUpdate: (_o, n) => enqueue(n),
      // A freed block may be what a waiting node needs.
      onDelete: () => {
        for (const n of nodes.store.list()) enqueue(n);
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;
    // Assigned here, not yet seen in the cache (name → block index).
    const assigned = new Map<string, number>();

    const sync = async (name: string): Promise<SyncResult> => {
      const node = nodes.store.get(name);
      if (!node) {
        assigned.delete(name);
        return;
      }
      if (node.spec?.podCIDR) {
        assigned.delete(name);
        return;
      }
      const taken = new Set<number>();
      for (const n of nodes.store.list()) {
        for (const c of n.spec?.podCIDRs ?? (n.spec?.podCIDR ? [n.spec.podCIDR] : [])) {
          const idx = this.indexOf(c);
          if (idx !== undefined) taken.add(idx);
        }
      }
      for (const [n, idx] of assigned) {
        // Entries the cache now shows (or whose node is gone) are dropped; the rest are in flight.
        const other = nodes.store.get(n);
        if (!other || other.spec?.podCIDR) assigned.delete(n);
        else if (n !== name) taken.add(idx);
      }
      const count = subnetCount(this.cluster, this.mask);
      let index = assigned.get(name);
      if (index === undefined) {
        for (let i = 0; i < count; i++) {
          if (!taken.has(i)) {
            index = i;
            break;
          }
        }
      }
      if (index === undefined) {
        recorder.event({ kind: 'Node', apiVersion: 'v1', name, uid: name }, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
        return { requeueAfterMs: 30_000 };
      }
      assigned.set(name, index);
      const cidr = formatCidr(subnet(this.cluster, this.mask, index));
      try {
        await ctx.client.nodes().patch(name, 'strategic', { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      } catch (err) {
        assigned.delete(name);
        if (isNotFound(err)) return;
        throw err;
      }
      ctx.logger.info('assigned a pod CIDR to a node', { node: name, podCIDR: cidr });
    };
    await runWorkers(queue, 1, sync, signal, { logger: ctx.logger.child({ controller: this.name }) });
  }

  /** The block index of `cidr` in the cluster range, when it is one of its blocks. */
  private indexOf(cidr: string): number | undefined {
    let c: Cidr;
    try {
      c = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (!cidrsOverlap(c, this.cluster) || c.prefix !== this.mask) return undefined;
    return (c.base - this.cluster.base) / c.size;
  }
}
