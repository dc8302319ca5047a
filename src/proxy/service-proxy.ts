/**
 * The service proxy of one machine (kube-proxy): watches Services and EndpointSlices and keeps the
 * kernel's forwarding rules (nftables, nft-ruleset.ts) in step — ClusterIP:port from pods and
 * the host, NodeIP:nodePort and 127.0.0.1:nodePort from the host, balanced over ready endpoints.
 *
 * Changes are applied as a whole table in one nft transaction, coalesced: while one apply runs,
 * further changes only mark the rules dirty, and the next apply picks them all up — an endpoint
 * change reaches the kernel within a few milliseconds, a burst of them in one write.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { SharedInformer } from '../client/informer.js';
import type { Logger } from '../client/log.js';
import { silentLogger } from '../client/log.js';
import { run, tryRun } from '../agent/network/exec.js';
import { buildServicePorts, SERVICE_NAME_LABEL, type ProxyServicePort } from './service-model.js';
import { buildRuleset, deleteRuleset } from './nft-ruleset.js';

export const BY_SERVICE_INDEX = 'skiff.dev/sliceByService';

/** Index EndpointSlices by `ns/service`. */
export const indexSliceByService = (s: EndpointSlice): string[] => {
  const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
  return svc ? [`${s.metadata?.namespace}/${svc}`] : [];
};

export interface ServiceProxyOptions {
  services: SharedInformer<Service>;
  slices: SharedInformer<EndpointSlice>;
  table: string;
  bridgePrefix: string;
  serviceCIDR: string;
  clusterCIDR: string;
  logger?: Logger;
  /** Applies an nft script (default: `nft -f -`). */
  apply?: (script: string) => Promise<void>;
}

export class ServiceProxy {
  private dirty = false;
  private applying: Promise<void> | undefined;
  private stopped = false;
  private readonly logger: Logger;
  private readonly apply: (script: string) => Promise<void>;
  /** The model last written (tests and the userspace fallback read it). */
  current: ProxyServicePort[] = [];
  private readonly idle = new Set<() => void>();
  /** Rule writes made (figures). */
  syncs = 0;

  constructor(private readonly opts: ServiceProxyOptions) {
    this.logger = (opts.logger ?? silentLogger).child({ component: 'service-proxy' });
    this.apply = opts.apply ?? (async (script) => void (await run('nft', ['-f', '-'], script)));
    opts.slices.addIndexers({ [BY_SERVICE_INDEX]: indexSliceByService });
    const poke = (): void => this.schedule();
    opts.services.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
    opts.slices.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
  }

  /** Marks the rules out of date and starts an apply unless one is running. */
  schedule(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (!this.applying) this.applying = this.loop();
  }

  private async loop(): Promise<void> {
    // Let the informer deliver the rest of a burst first.
    await new Promise((r) => setImmediate(r));
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      if (!this.opts.services.hasSynced() || !this.opts.slices.hasSynced()) continue;
      const ports = buildServicePorts(this.opts.services.store.list(), (ns, name) => this.opts.slices.store.byIndex(BY_SERVICE_INDEX, `${ns}/${name}`));
      try {
        await this.apply(buildRuleset({ table: this.opts.table, bridgePrefix: this.opts.bridgePrefix, serviceCIDR: this.opts.serviceCIDR, clusterCIDR: this.opts.clusterCIDR, ports }));
        this.current = ports;
        this.syncs++;
      } catch (err) {
        this.logger.error('cannot write the service rules; retrying', { error: err });
        await new Promise((r) => setTimeout(r, 1000));
        this.dirty = true;
      }
    }
    this.applying = undefined;
    for (const w of [...this.idle]) w();
  }

  /** Resolves when no change is waiting to be applied (tests). */
  async settled(): Promise<void> {
    if (!this.applying && !this.dirty) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.idle.delete(done);
        resolve();
      };
      this.idle.add(done);
    });
  }

  /** Removes the rules. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.applying;
    await tryRun('nft', ['-f', '-'], deleteRuleset(this.opts.table));
  }
}
