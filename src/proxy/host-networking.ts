/**
 * Everything networking one machine runs for its nodes (a `skiff server` with local nodes): the
 * pod networks of the nodes (bridges, namespaces, addresses), the service proxy (nftables), and
 * the cluster DNS server listening on every node's gateway address — published as the endpoints
 * of the `kube-dns` Service in `kube-system`, whose cluster IP (the service CIDR's tenth address)
 * is the nameserver in every pod's resolv.conf.
 *
 * Where network namespaces cannot be had (not root, not Linux, tools missing), pods share the
 * host's network: `forNode` hands the agents a hook that says so (their pods get an event), and
 * no proxy or DNS runs.
 *
 * `stop()` removes every namespace, link, address record, rule and registry entry it made, unless
 * pods are left running (then the next start on the same data dir takes them over).
 */
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import type { Endpoints, Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { cidrAddress, parseCidr } from '../api/cidr.js';
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { Logger } from '../client/log.js';
import { silentLogger } from '../client/log.js';
import {
  bridgePrefix,
  claimClusterRoute,
  DNS_SERVICE_OFFSET,
  instanceId,
  nftTable,
  podNetworkingAvailable,
  registerInstance,
  releaseClusterRoute,
  unregisterInstance,
  type ClusterNetworkPlan,
  type InstanceEntry,
} from '../agent/network/host-network.js';
import { NodeNetwork } from '../agent/network/node-network.js';
import { PodNetwork, type PodNetworkHook } from '../agent/network/pod-network.js';
import { readHostResolvConf } from '../agent/network/pod-dns.js';
import { ServiceProxy, BY_SERVICE_INDEX, indexSliceByService } from './service-proxy.js';
import { ClusterZone } from './dns/cluster-zone.js';
import { DnsServer, type Upstream } from './dns/dns-server.js';

export const DNS_SERVICE = 'kube-dns';
export const DNS_NAMESPACE = 'kube-system';
const DNS_MANAGER = 'cluster-dns.skiff.dev';

export interface HostNetworkingOptions {
  dataDir: string;
  plan: ClusterNetworkPlan;
  /** A client allowed to read Services/EndpointSlices/Nodes and write the kube-dns objects. */
  client: Client;
  logger?: Logger;
  /** Resolvers for names outside the cluster (default: the host's /etc/resolv.conf). */
  upstreams?: Upstream[];
}

export class HostNetworking {
  readonly dnsIP: string;
  readonly isolated: boolean;
  readonly fallbackReason: string | undefined;
  private readonly nodes = new Map<string, NodeNetwork>();
  private readonly factory: SharedInformerFactory;
  private readonly abort = new AbortController();
  private entry: InstanceEntry | undefined;
  private proxy: ServiceProxy | undefined;
  private dns: DnsServer | undefined;
  private readonly logger: Logger;
  private readonly services;
  private readonly slices;
  private dnsAddresses = new Set<string>();
  private publishing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly opts: HostNetworkingOptions,
    available: { ok: boolean; why?: string },
  ) {
    this.logger = (opts.logger ?? silentLogger).child({ component: 'networking' });
    this.isolated = available.ok;
    this.fallbackReason = available.ok ? undefined : `${available.why}: pods share the host's network`;
    const svcCidr = parseCidr(opts.plan.serviceCIDR);
    this.dnsIP = cidrAddress(svcCidr, DNS_SERVICE_OFFSET);
    this.factory = new SharedInformerFactory(opts.client, { logger: this.logger });
    // Every informer of the factory waits on this one signal: not a leak.
    setMaxListeners(0, this.abort.signal);
    this.services = this.factory.services();
    this.slices = this.factory.endpointSlices({ indexers: { [BY_SERVICE_INDEX]: indexSliceByService } });
  }

  /** Sets up what the machine allows; call `start` once the API is serving. */
  static async create(opts: HostNetworkingOptions): Promise<HostNetworking> {
    const h = new HostNetworking(opts, await podNetworkingAvailable());
    if (!h.isolated) h.logger.warn(`pod networking disabled: ${h.fallbackReason}`);
    return h;
  }

  /** The hook a node agent uses for its pods (its address records from an earlier run loaded). */
  async forNode(name: string, nodeClient: Client, nodeDataDir: string): Promise<PodNetworkHook> {
    let node: NodeNetwork | undefined;
    if (this.isolated) {
      node = new NodeNetwork({ instanceId: instanceId(this.opts.dataDir), nodeName: name, dir: join(nodeDataDir, 'network') });
      await node.recover();
      this.nodes.set(name, node);
      const known = this.factory.nodes().store.get(name)?.spec?.podCIDR;
      if (known && this.dns) void this.configureNode(node, known);
    }
    return new PodNetwork({
      node,
      ...(this.fallbackReason ? { fallbackReason: this.fallbackReason } : {}),
      podCIDR: async () => {
        try {
          return (await nodeClient.nodes().get(name)).spec?.podCIDR;
        } catch (err) {
          if (isNotFound(err)) return undefined;
          throw err;
        }
      },
      clusterDNS: this.isolated ? this.dnsIP : undefined,
      services: () => this.services.store.list(),
    });
  }

  /** Starts informers, the proxy and DNS, before the nodes (pod networks wait for their node's pod CIDR). */
  async start(): Promise<void> {
    const signal = this.abort.signal;
    if (this.isolated) {
      this.entry = await registerInstance(this.opts.dataDir, this.opts.plan);
      await claimClusterRoute(this.opts.plan);
      this.proxy = new ServiceProxy({
        services: this.services,
        slices: this.slices,
        table: nftTable(this.entry.id),
        bridgePrefix: bridgePrefix(this.entry.id),
        serviceCIDR: this.opts.plan.serviceCIDR,
        clusterCIDR: this.opts.plan.clusterCIDR,
        logger: this.logger,
      });
      const resolv = await readHostResolvConf();
      const upstreams = this.opts.upstreams ?? resolv.nameservers.map((host) => ({ host, port: 53 }));
      this.dns = new DnsServer({
        zone: new ClusterZone({
          service: (ns, n) => this.services.store.getByName(ns, n),
          slices: (ns, n) => this.slices.store.byIndex(BY_SERVICE_INDEX, `${ns}/${n}`),
        }),
        upstreams: () => upstreams,
        logger: this.logger,
      });
      const nodes = this.factory.nodes();
      const onNode = (n: Node): void => {
        const net = this.nodes.get(n.metadata?.name ?? '');
        if (net && n.spec?.podCIDR && net.podCIDR !== n.spec.podCIDR) void this.configureNode(net, n.spec.podCIDR);
      };
      nodes.addEventHandler({ onAdd: onNode, onUpdate: (_o, n) => onNode(n) });
    }
    this.factory.start(signal);
    await this.factory.waitForCacheSync(signal);
    this.proxy?.schedule();
    if (this.isolated) await this.ensureDnsService();
  }

  private async configureNode(net: NodeNetwork, podCIDR: string): Promise<void> {
    try {
      await net.configure(podCIDR);
      const gw = net.gateway!;
      await this.dns!.listen(gw, 53);
      this.dnsAddresses.add(gw);
      this.publishDnsEndpoints();
    } catch (err) {
      this.logger.error('cannot set up the node network', { podCIDR, error: err });
    }
  }

  /** The kube-dns Service (selector-less: its endpoints are the DNS listeners, written here). */
  private async ensureDnsService(): Promise<void> {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: DNS_SERVICE, namespace: DNS_NAMESPACE, labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        clusterIP: this.dnsIP,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    };
    try {
      await this.opts.client.services(DNS_NAMESPACE).create(svc);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      if (isInvalid(err)) this.logger.warn(`cannot create the ${DNS_SERVICE} Service at ${this.dnsIP}: ${(err as Error).message}`);
      else throw err;
    }
  }

  private publishDnsEndpoints(): void {
    this.publishing = this.publishing.then(() => this.writeDnsEndpoints()).catch((err: unknown) => this.logger.warn('cannot publish the DNS endpoints', { error: err }));
  }

  private async writeDnsEndpoints(): Promise<void> {
    const ips = [...this.dnsAddresses].sort();
    const c = this.opts.client;
    const endpoints: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: DNS_SERVICE, namespace: DNS_NAMESPACE, labels: { 'k8s-app': 'kube-dns', 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: ips.length
        ? [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] }]
        : [],
    };
    const slice: EndpointSlice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: DNS_SERVICE, namespace: DNS_NAMESPACE, labels: { 'kubernetes.io/service-name': DNS_SERVICE, 'endpointslice.kubernetes.io/managed-by': DNS_MANAGER, 'k8s-app': 'kube-dns' } },
      addressType: 'IPv4',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } })),
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    };
    for (let i = 0; i < 5; i++) {
      try {
        const curEp = await c.endpoints(DNS_NAMESPACE).get(DNS_SERVICE).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
        if (curEp) await c.endpoints(DNS_NAMESPACE).update({ ...endpoints, metadata: { ...endpoints.metadata, resourceVersion: curEp.metadata?.resourceVersion } });
        else await c.endpoints(DNS_NAMESPACE).create(endpoints);
        const curSlice = await c.endpointSlices(DNS_NAMESPACE).get(DNS_SERVICE).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
        if (curSlice) await c.endpointSlices(DNS_NAMESPACE).update({ ...slice, metadata: { ...slice.metadata, resourceVersion: curSlice.metadata?.resourceVersion } });
        else await c.endpointSlices(DNS_NAMESPACE).create(slice);
        return;
      } catch (err) {
        if (!isConflict(err) && !isAlreadyExists(err)) throw err;
      }
    }
  }

  /** The service proxy (tests read its figures). */
  get serviceProxy(): ServiceProxy | undefined {
    return this.proxy;
  }

  /**
   * Stops the proxy and DNS and removes the pod networks. With `leavePodsRunning`, namespaces,
   * bridges and rules stay for the pods still running (the next start re-adopts them).
   */
  async stop(opts: { leavePodsRunning?: boolean } = {}): Promise<void> {
    this.abort.abort();
    await this.factory.shutdown();
    await this.dns?.close();
    this.dnsAddresses.clear();
    if (opts.leavePodsRunning || !this.entry) return;
    await this.proxy?.stop();
    for (const n of this.nodes.values()) await n.destroy();
    await releaseClusterRoute(this.opts.plan);
    await unregisterInstance(this.entry);
  }
}
