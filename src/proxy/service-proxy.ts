/**
 * The service proxy of one machine (kube-proxy): watches Services and EndpointSlices and keeps
 * forwarding in step — ClusterIP:port from pods and the host, NodeIP:nodePort and
 * 127.0.0.1:nodePort from the host, balanced over ready endpoints — in one of two modes:
 *
 * - `nftables` (the default where pods have network namespaces): the kernel's rules
 *   (nft-ruleset.ts), applied as a whole table in one nft transaction;
 * - `userspace` (no root or no nftables, or `--proxy-mode userspace`): listeners that copy
 *   connections to endpoints (userspace/userspace-proxier.ts). Where pods still have namespaces,
 *   the table keeps its other duties (host ports, node-local DNS, filter rules).
 *
 * The same table carries the pods' host ports (host-ports.ts), registered by the pod network.
 *
 * Changes are coalesced: while one apply runs, further changes only mark the state dirty, and the
 * next apply picks them all up — an endpoint change reaches the kernel within a few
 * milliseconds, a burst of them in one write.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { SharedInformer } from '../client/informer.js';
import type { Logger } from '../client/log.js';
import { silentLogger } from '../client/log.js';
import { run, tryRun } from '../agent/network/exec.js';
import { buildServicePorts, SERVICE_NAME_LABEL, type ProxyServicePort } from './service-model.js';
import { buildRuleset, deleteRuleset, type RulesetInput } from './nft-ruleset.js';
import type { HostPortRegistry } from '../agent/network/host-ports.js';
import type { UserspaceBackend } from './userspace/userspace-proxy-thread.js';

/** kube-proxy's --proxy-mode, as far as Skiff has them. */
export type ProxyMode = 'nftables' | 'userspace';

/** A listener that could not be opened is tried again after this long. */
export const LISTEN_RETRY_MS = 2000;

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
  /** How Services are served (default nftables). */
  mode?: ProxyMode;
  /** Whether the machine's nftables table is written at all (default true; false where pods share the host's network). */
  nftables?: boolean;
  /** The listeners of the userspace mode. */
  userspace?: UserspaceBackend;
  /** Host port mappings of the pods on this machine. */
  hostPorts?: HostPortRegistry;
  /** The cluster DNS address and the local nodes' gateways answering it. */
  localDNS?: () => RulesetInput['localDNS'];
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
  readonly mode: ProxyMode;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ServiceProxyOptions) {
    this.logger = (opts.logger ?? silentLogger).child({ component: 'service-proxy' });
    this.mode = opts.mode ?? 'nftables';
    if (this.mode === 'userspace' && !opts.userspace) throw new Error('the userspace proxy mode needs its listeners');
    if (this.mode === 'nftables' && opts.nftables === false) throw new Error('the nftables proxy mode needs nftables');
    this.apply = opts.apply ?? (async (script) => void (await run('nft', ['-f', '-'], script)));
    opts.slices.addIndexers({ [BY_SERVICE_INDEX]: indexSliceByService });
    const poke = (): void => this.schedule();
    opts.services.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
    opts.slices.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
    opts.hostPorts?.onChange(poke);
  }

  /** The userspace listeners (userspace mode). */
  get userspace(): UserspaceBackend | undefined {
    return this.mode === 'userspace' ? this.opts.userspace : undefined;
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
      const hostPorts = this.opts.hostPorts?.list() ?? [];
      try {
        if (this.opts.nftables !== false) {
          const o = this.opts;
          const localDNS = o.localDNS?.();
          await this.apply(buildRuleset({ table: o.table, bridgePrefix: o.bridgePrefix, serviceCIDR: o.serviceCIDR, clusterCIDR: o.clusterCIDR, ports, serviceMode: this.mode, hostPorts, ...(localDNS ? { localDNS } : {}) }));
        }
        if (this.mode === 'userspace') {
          const failed = await this.opts.userspace!.sync(ports, hostPorts);
          // A port held by another process, an address not there yet: try again shortly.
          if (failed > 0 && !this.retry) {
            this.retry = setTimeout(() => {
              this.retry = undefined;
              this.schedule();
            }, LISTEN_RETRY_MS);
          }
        }
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

  /** Removes the rules and closes the listeners. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.applying;
    if (this.opts.nftables !== false) await tryRun('nft', ['-f', '-'], deleteRuleset(this.opts.table));
    await this.opts.userspace?.stop();
  }

  /** Stops watching and serving but leaves the kernel's rules for pods left running (re-adopted by the next start). */
  async detach(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.applying;
    await this.opts.userspace?.close();
  }
}
