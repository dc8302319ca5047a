/**
 * The hook between a node agent's pod workers and the pod network (the role CNI plays for
 * kubelet's sandbox): `setUp` gives a pod its network namespace and address (or, for hostNetwork
 * pods and on machines without network namespaces, the host's network) plus the /etc/hosts and
 * /etc/resolv.conf files to mount, and maps its host ports (the portmap plugin's part);
 * `tearDown` removes them; `serviceEnv` lists the Service variables kubelet injects. The agent
 * stays ignorant of bridges and nftables.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { RuntimeMount } from '../runtime/runtime.js';
import type { NodeNetwork } from './node-network.js';
import { DEFAULT_CLUSTER_DOMAIN, podHostsFile, podResolvConf, readHostResolvConf } from './pod-dns.js';
import { serviceEnvFor } from './service-env.js';
import { dialInNetns } from './netns-dial.js';
import { hostPortsOf, type HostPortRegistry } from './host-ports.js';
import type { Socket } from 'node:net';

/** How many 100 ms steps a pod waits for its node's pod CIDR before NetworkNotReady. */
const POD_CIDR_WAIT_STEPS = 30;

/** What a pod's sandbox gets from the network. */
export interface PodSandboxNetwork {
  /** The pod's own address (absent: the host's network). */
  ip?: string;
  /** Network namespace the containers join. */
  netnsPath?: string;
  /** /etc/hosts and /etc/resolv.conf bind mounts. */
  mounts: RuntimeMount[];
}

/** The pod network cannot be set up yet (no pod CIDR): the pod waits, as kubelet's NetworkNotReady. */
export class NetworkNotReadyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkNotReadyError';
  }
}

export interface PodNetworkHook {
  /** Pods get their own network namespace here (false: they share the host's, see fallbackReason). */
  readonly isolated: boolean;
  readonly fallbackReason: string | undefined;
  setUp(pod: Pod, sandboxDir: string, hostname: string): Promise<PodSandboxNetwork>;
  tearDown(podUid: string): Promise<void>;
  podIP(podUid: string): string | undefined;
  serviceEnv(pod: Pod): Array<[string, string]>;
  /** A connection to localhost:port inside the pod's namespace (undefined: the pod has none). */
  dial(pod: Pod, port: number): Promise<Socket> | undefined;
}

export interface PodNetworkOptions {
  /** Undefined: no network namespaces on this machine (fallbackReason says why). */
  node: NodeNetwork | undefined;
  fallbackReason?: string;
  /** The node's pod CIDR, fetched when first needed (node.spec.podCIDR). */
  podCIDR: () => Promise<string | undefined>;
  /** The cluster DNS Service address (kubelet's --cluster-dns). */
  clusterDNS: string | undefined;
  clusterDomain?: string;
  /** Services the node knows (an informer's cache). */
  services: () => Iterable<Service>;
  /** The node's name (host port messages). */
  nodeName?: string;
  /** Host port mappings of the machine, and a wait for them to be in force. */
  hostPorts?: { registry: HostPortRegistry; applied: () => Promise<void> };
}

export class PodNetwork implements PodNetworkHook {
  readonly isolated: boolean;
  readonly fallbackReason: string | undefined;

  constructor(private readonly opts: PodNetworkOptions) {
    this.isolated = !!opts.node;
    this.fallbackReason = opts.node ? undefined : (opts.fallbackReason ?? 'pod networking is not available');
  }

  async setUp(pod: Pod, sandboxDir: string, hostname: string): Promise<PodSandboxNetwork> {
    const uid = pod.metadata?.uid ?? '';
    const node = this.opts.node;
    const etc = join(sandboxDir, 'etc');
    const domain = this.opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    const mounts: RuntimeMount[] = [];
    const resolv = podResolvConf(pod, this.opts.clusterDNS, await readHostResolvConf(), domain);
    const write = async (name: string, text: string): Promise<void> => {
      await mkdir(etc, { recursive: true });
      await writeFile(join(etc, name), text);
      mounts.push({ source: join(etc, name), target: `/etc/${name}`, readOnly: false, file: true });
    };
    if (!node || pod.spec?.hostNetwork) {
      if (resolv !== undefined && node) await write('resolv.conf', resolv);
      await this.mapHostPorts(pod, undefined);
      return { mounts };
    }
    if (!node.podCIDR) {
      // The node IPAM controller assigns the block moments after the node registers: wait a little
      // before calling the network not ready (kubelet would report NetworkNotReady meanwhile).
      let cidr = await this.opts.podCIDR();
      for (let i = 0; !cidr && i < POD_CIDR_WAIT_STEPS; i++) {
        await new Promise((r) => setTimeout(r, 100));
        cidr = await this.opts.podCIDR();
      }
      if (!cidr) throw new NetworkNotReadyError('network is not ready: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:the node has no pod CIDR yet');
      await node.configure(cidr);
    }
    const att = await node.setUp(uid);
    await this.mapHostPorts(pod, att.ip);
    await write('hosts', podHostsFile(pod, att.ip, hostname, domain));
    if (resolv !== undefined) await write('resolv.conf', resolv);
    return { ip: att.ip, netnsPath: att.netnsPath, mounts };
  }

  /**
   * Registers the pod's host ports and waits for them to be in force (the container must not
   * start before its port is reachable). A port another pod of this machine holds fails the
   * sandbox with a message naming that pod; the pod worker retries.
   */
  private async mapHostPorts(pod: Pod, podIP: string | undefined): Promise<void> {
    const hp = this.opts.hostPorts;
    const mappings = hostPortsOf(pod);
    if (!hp || mappings.length === 0) return;
    const m = pod.metadata ?? {};
    hp.registry.set({ podUid: m.uid ?? '', pod: `${m.namespace ?? 'default'}/${m.name ?? ''}`, node: this.opts.nodeName ?? '', podIP, mappings });
    await hp.applied();
  }

  async tearDown(podUid: string): Promise<void> {
    this.opts.hostPorts?.registry.delete(podUid);
    await this.opts.node?.tearDown(podUid);
  }

  podIP(podUid: string): string | undefined {
    return this.opts.node?.attachment(podUid)?.ip;
  }

  serviceEnv(pod: Pod): Array<[string, string]> {
    return serviceEnvFor(pod, this.opts.services());
  }

  dial(pod: Pod, port: number): Promise<Socket> | undefined {
    const att = this.opts.node?.attachment(pod.metadata?.uid ?? '');
    return att ? dialInNetns(att.netnsPath, port) : undefined;
  }
}
