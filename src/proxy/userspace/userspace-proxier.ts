/**
 * The userspace service proxy (kube-proxy's original mode), for machines where the kernel's
 * forwarding cannot be programmed (no root, no nftables) or when asked for with
 * `--proxy-mode userspace`: a listener per served address and port, and connections copied to an
 * endpoint picked by the service port's balancer (round robin, ClientIP affinity).
 *
 * - ClusterIP:port — only where cluster IPs can be made local addresses (root: a dummy link,
 *   cluster-ip-binder.ts). Without root they are not reachable from this machine at all.
 * - NodePort — on every address of the machine (`0.0.0.0:<nodePort>`), 127.0.0.1 included.
 * - hostPort of a pod sharing the host's network whose host port differs from its container port.
 *
 * A service port without endpoints has no listener, so connections to it are refused at once by
 * the kernel; one that has endpoints again gets its listener back. TCP and UDP; SCTP is not
 * served in userspace.
 */
import type { Logger } from '../../client/log.js';
import type { ProxyEndpoint, ProxyServicePort } from '../service-model.js';
import type { PodHostPorts } from '../../agent/network/host-ports.js';
import { EndpointBalancer } from './balancer.js';
import { TcpForwarder } from './tcp-forwarder.js';
import { UdpForwarder } from './udp-forwarder.js';
import type { ClusterIPBinder } from './cluster-ip-binder.js';
import type { UserspaceBackend } from './userspace-proxy-thread.js';

/** What a pod on the host's network listens on, for host port mappings. */
const HOST_NETWORK_POD_ADDRESS = '127.0.0.1';

interface Wanted {
  balancerKey: string;
  protocol: 'tcp' | 'udp';
  host: string;
  port: number;
}

interface Listener {
  forwarder: TcpForwarder | UdpForwarder;
  balancerKey: string;
}

export interface UserspaceProxierOptions {
  logger: Logger;
  /** Makes cluster IPs local addresses; absent: cluster IPs are not served. */
  clusterIPs?: ClusterIPBinder;
}

export class UserspaceProxier implements UserspaceBackend {
  private readonly balancers = new Map<string, EndpointBalancer>();
  private readonly listeners = new Map<string, Listener>();
  /** Bind failures already reported (one warning per listener and cause). */
  private readonly reported = new Map<string, string>();
  private warnedNoClusterIPs = false;

  constructor(private readonly opts: UserspaceProxierOptions) {}

  /** Whether ClusterIP:port is served (cluster IPs bindable here). */
  get servesClusterIPs(): boolean {
    return !!this.opts.clusterIPs;
  }

  /**
   * Converges listeners on the model. Resolves with the number of listeners that could not be
   * opened (address in use, permission): the caller retries later.
   */
  async sync(ports: ProxyServicePort[], hostPorts: PodHostPorts[] = []): Promise<number> {
    const wanted = new Map<string, Wanted>();
    const want = (w: Wanted): void => void wanted.set(`${w.protocol}/${w.host}/${w.port}`, w);
    const liveBalancers = new Set<string>();
    const clusterIPs = new Set<string>();
    for (const p of ports) {
      if (p.clusterIP) clusterIPs.add(p.clusterIP);
      if (p.protocol === 'sctp') continue;
      liveBalancers.add(p.key);
      this.balancer(p.key).update(p.endpoints, p.affinitySeconds);
      if (p.endpoints.length === 0) continue;
      if (p.clusterIP && this.opts.clusterIPs) want({ balancerKey: p.key, protocol: p.protocol, host: p.clusterIP, port: p.port });
      if (p.nodePort) want({ balancerKey: p.key, protocol: p.protocol, host: '0.0.0.0', port: p.nodePort });
    }
    if (clusterIPs.size && !this.opts.clusterIPs && !this.warnedNoClusterIPs) {
      this.warnedNoClusterIPs = true;
      this.opts.logger.warn('cluster IPs are not reachable from this machine: the userspace proxy needs root to bind them; NodePorts are served on every address, 127.0.0.1 included');
    }
    for (const hp of hostPorts) {
      if (hp.podIP) continue; // pods with their own address: DNAT (nftables)
      for (const m of hp.mappings) {
        // On the host's network the pod binds its container port itself.
        if (m.protocol === 'sctp' || (m.hostPort === m.containerPort && !m.hostIP)) continue;
        const key = `hostport/${hp.podUid}/${m.protocol}/${m.hostPort}`;
        liveBalancers.add(key);
        const endpoint: ProxyEndpoint = { ip: HOST_NETWORK_POD_ADDRESS, port: m.containerPort };
        this.balancer(key).update([endpoint], undefined);
        want({ balancerKey: key, protocol: m.protocol, host: m.hostIP ?? '0.0.0.0', port: m.hostPort });
      }
    }
    if (this.opts.clusterIPs) await this.opts.clusterIPs.sync(clusterIPs);
    for (const [key, l] of this.listeners) {
      if (wanted.get(key)?.balancerKey === l.balancerKey) continue;
      this.listeners.delete(key);
      await l.forwarder.close();
    }
    for (const key of this.balancers.keys()) if (!liveBalancers.has(key)) this.balancers.delete(key);
    let failed = 0;
    for (const [key, w] of wanted) {
      if (this.listeners.has(key)) continue;
      const get = (): EndpointBalancer | undefined => this.balancers.get(w.balancerKey);
      const f = w.protocol === 'tcp' ? new TcpForwarder(w.host, w.port, get, this.opts.logger) : new UdpForwarder(w.host, w.port, get, this.opts.logger);
      try {
        await f.listen();
        this.listeners.set(key, { forwarder: f, balancerKey: w.balancerKey });
        this.reported.delete(key);
      } catch (err) {
        failed++;
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        if (this.reported.get(key) !== code) {
          this.reported.set(key, code);
          // `ns/name:port` with an unnamed port reads as the Service's name.
          const what = w.balancerKey.endsWith(':') ? w.balancerKey.slice(0, -1) : w.balancerKey;
          this.opts.logger.warn(`cannot listen on ${w.host}:${w.port}/${w.protocol} for ${what}: ${code}`);
        }
      }
    }
    for (const key of this.reported.keys()) if (!wanted.has(key)) this.reported.delete(key);
    return failed;
  }

  /** Listening addresses (`tcp/10.96.0.5/80`), for tests and figures. */
  listening(): string[] {
    return [...this.listeners.keys()].sort();
  }

  /** Closes every listener and connection; the cluster IPs stay bound (pods left running, re-adopted next start). */
  async close(): Promise<void> {
    for (const l of this.listeners.values()) await l.forwarder.destroy();
    this.listeners.clear();
    this.balancers.clear();
  }

  /** Closes every listener and connection and unbinds the cluster IPs. */
  async stop(): Promise<void> {
    await this.close();
    await this.opts.clusterIPs?.destroy();
  }

  private balancer(key: string): EndpointBalancer {
    let b = this.balancers.get(key);
    if (!b) this.balancers.set(key, (b = new EndpointBalancer()));
    return b;
  }
}
