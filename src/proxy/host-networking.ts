/**
 * Everything networking one machine runs for its nodes (a `skiff server` with local nodes, or a
 * `skiff agent`): the pod networks of the nodes (bridges, namespaces, addresses), the routes to
 * the pods of other machines (node-routes.ts, flannel's host-gw), the service proxy with the
 * pods' host ports, and the cluster DNS server listening on every node's gateway. Pods asking
 * the cluster DNS address are answered by their own node's server; a server also publishes
 * those listeners as the endpoints of the `kube-dns` Service in `kube-system`, whose cluster IP
 * (the service CIDR's tenth address) is the nameserver in every pod's resolv.conf.
 *
 * Where network namespaces cannot be had (not root, not Linux, tools missing), pods share the
 * host's network: `forNode` hands the agents a hook that says so (their pods get an event), no
 * DNS runs, and the service proxy runs in userspace — with cluster IPs bound on a dummy link
 * when the process may add addresses (root), else NodePorts only (on every address, 127.0.0.1
 * included). `proxyMode: 'userspace'` asks for the userspace proxy where nftables is available.
 *
 * `stop()` removes every namespace, link, address, route, rule and registry entry it made,
 * unless pods are left running (then the next start on the same data dir takes them over).
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
  canManageHostAddresses,
  claimClusterRoute,
  DNS_SERVICE_OFFSET,
  clusterIPLabel,
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
import { NodeRoutes } from '../agent/network/node-routes.js';
import { HostPortRegistry } from '../agent/network/host-ports.js';
import { PodNetwork, type PodNetworkHook } from '../agent/network/pod-network.js';
import { readHostResolvConf } from '../agent/network/pod-dns.js';
import { ServiceProxy, BY_SERVICE_INDEX, indexSliceByService, type ProxyMode } from './service-proxy.js';
import { UserspaceProxyThread } from './userspace/userspace-proxy-thread.js';
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
  /** `--proxy-mode` (default: nftables where pods get network namespaces, else userspace). */
  proxyMode?: ProxyMode;
  /**
   * `server` (default) also publishes the kube-dns Service and its endpoints; `agent` (a node's
   * client, which may not write them) only serves.
   */
  role?: 'server' | 'agent';
  /** Pods must share the host's network for this reason (an agent whose machine clashes with the cluster's CIDRs). */
  fallbackReason?: string;
}

export class HostNetworking {
  readonly dnsIP: string;
  readonly isolated: boolean;
  readonly fallbackReason: string | undefined;
  readonly proxyMode: ProxyMode;
  /** Cluster IPs are made local addresses for the userspace proxy (root). */
  readonly bindsClusterIPs: boolean;
  private readonly nodes = new Map<string, NodeNetwork>();
  private readonly hostPorts = new HostPortRegistry();
  private routes: NodeRoutes | undefined;
  private readonly factory: SharedInformerFactory;
  private readonly abort = new AbortController();
  private entry: InstanceEntry | undefined;
  private proxy: ServiceProxy | undefined;
  private dns: DnsServer | undefined;
  private readonly logger: Logger;
  private readonly services;
  private readonly slices;
  /** Local nodes whose gateway answers DNS (node name → bridge and gateway). */
  private readonly dnsNodes = new Map<string, { bridge: string; gateway: string }>();
  private publishing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly opts: HostNetworkingOptions,
    available: { ok: boolean; why?: string },
    bindable: boolean,
  ) {
    this.logger = (opts.logger ?? silentLogger).child({ component: 'networking' });
    this.isolated = available.ok;
    this.fallbackReason = available.ok ? undefined : `${available.why}: pods share the host's network`;
    this.proxyMode = opts.proxyMode ?? (available.ok ? 'nftables' : 'userspace');
    this.bindsClusterIPs = this.proxyMode === 'userspace' && bindable;
    const svcCidr = parseCidr(opts.plan.serviceCIDR);
    this.dnsIP = cidrAddress(svcCidr, DNS_SERVICE_OFFSET);
    this.factory = new SharedInformerFactory(opts.client, { logger: this.logger });
    // Every informer of the factory waits on this one signal: not a leak.
    setMaxListeners(0, this.abort.signal);
    this.services = this.factory.services();
    this.slices = this.factory.endpointSlices({ indexers: { [BY_SERVICE_INDEX]: indexSliceByService } });
  }

  /** Sets up what the machine allows; call `start` once the API is serving. Throws when `proxyMode` cannot be had. */
  static async create(opts: HostNetworkingOptions): Promise<HostNetworking> {
    const available = opts.fallbackReason ? { ok: false, why: opts.fallbackReason } : await podNetworkingAvailable();
    if (opts.proxyMode === 'nftables' && !available.ok) throw new Error(`--proxy-mode nftables is not possible on this machine: ${available.why}`);
    // An agent whose machine clashes with the cluster's ranges must not bind addresses from them.
    const bindable = !opts.fallbackReason && (await canManageHostAddresses());
    const h = new HostNetworking(opts, available, bindable);
    if (!h.isolated) h.logger.warn(`pod networking disabled: ${h.fallbackReason}`);
    if (h.proxyMode === 'userspace') {
      // Without root the proxier itself warns that cluster IPs are out of reach.
      h.logger.info(`service proxy in userspace mode${h.bindsClusterIPs ? ': cluster IPs bound on loopback' : ''}`);
    }
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
      if (known && this.dns) void this.configureNode(name, node, known);
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
      nodeName: name,
      hostPorts: { registry: this.hostPorts, applied: () => this.proxy?.settled() ?? Promise.resolve() },
    });
  }

  /** Starts informers, the proxy and DNS, before the nodes (pod networks wait for their node's pod CIDR). */
  async start(): Promise<void> {
    const signal = this.abort.signal;
    const id = instanceId(this.opts.dataDir);
    const { plan } = this.opts;
    // Registered wherever something is added to the machine, so a crash is cleaned up by the next start.
    if (this.isolated || this.bindsClusterIPs) this.entry = await registerInstance(this.opts.dataDir, plan, { forwarding: this.isolated });
    if (this.isolated) await claimClusterRoute(plan);
    const userspace =
      this.proxyMode === 'userspace'
        ? new UserspaceProxyThread({ logger: this.logger, ...(this.bindsClusterIPs ? { clusterIPs: { label: clusterIPLabel(id), serviceCIDR: plan.serviceCIDR } } : {}) })
        : undefined;
    this.proxy = new ServiceProxy({
      services: this.services,
      slices: this.slices,
      table: nftTable(id),
      bridgePrefix: bridgePrefix(id),
      serviceCIDR: plan.serviceCIDR,
      clusterCIDR: plan.clusterCIDR,
      logger: this.logger,
      mode: this.proxyMode,
      nftables: this.isolated,
      ...(userspace ? { userspace } : {}),
      hostPorts: this.hostPorts,
      localDNS: () => ({ ip: this.dnsIP, nodes: [...this.dnsNodes.values()] }),
    });
    if (this.isolated) {
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
      const routes = (this.routes = new NodeRoutes({ clusterCIDR: plan.clusterCIDR, isLocal: (n) => this.nodes.has(n), logger: this.logger }));
      const syncRoutes = (): void => {
        if (nodes.hasSynced()) routes.sync(nodes.store.list()).catch((err: unknown) => this.logger.warn('cannot update the routes to other nodes', { error: err }));
      };
      const onNode = (n: Node): void => {
        const net = this.nodes.get(n.metadata?.name ?? '');
        if (net && n.spec?.podCIDR && net.podCIDR !== n.spec.podCIDR) void this.configureNode(n.metadata!.name!, net, n.spec.podCIDR);
        syncRoutes();
      };
      nodes.addEventHandler({ onAdd: onNode, onUpdate: (_o, n) => onNode(n), onDelete: syncRoutes });
      this.factory.start(signal);
      await this.factory.waitForCacheSync(signal);
      syncRoutes();
    } else {
      this.factory.start(signal);
      await this.factory.waitForCacheSync(signal);
    }
    this.proxy.schedule();
    if (this.isolated && this.opts.role !== 'agent') await this.ensureDnsService();
  }

  private async configureNode(name: string, net: NodeNetwork, podCIDR: string): Promise<void> {
    try {
      await net.configure(podCIDR);
      const gw = net.gateway!;
      await this.dns!.listen(gw, 53);
      this.dnsNodes.set(name, { bridge: net.bridge, gateway: gw });
      // Its pods' DNS is answered on their node from now on.
      this.proxy?.schedule();
      if (this.opts.role !== 'agent') this.publishDnsEndpoints();
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
    const ips = [...this.dnsNodes.values()].map((n) => n.gateway).sort();
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
    this.dnsNodes.clear();
    if (opts.leavePodsRunning) return void (await this.proxy?.detach());
    await this.proxy?.stop();
    await this.routes?.clear();
    for (const n of this.nodes.values()) await n.destroy();
    if (!this.entry) return;
    await releaseClusterRoute(this.opts.plan);
    await unregisterInstance(this.entry);
  }

  /** The host port mappings of this machine's pods (tests). */
  get hostPortMappings(): HostPortRegistry {
    return this.hostPorts;
  }
}
