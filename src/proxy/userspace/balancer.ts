/**
 * Endpoint choice of the userspace proxy, after kube-proxy's userspace LoadBalancerRR: round robin
 * over a service port's ready endpoints, and with `sessionAffinity: ClientIP` a client address
 * stays on the endpoint it last reached until it has been idle for the affinity timeout
 * (`sessionAffinityConfig.clientIP.timeoutSeconds`, default 10800). A client whose pinned
 * endpoint failed to connect is re-balanced (kube-proxy's sessionAffinityReset).
 */
import type { ProxyEndpoint } from '../service-model.js';

/** Affinity entries are swept for expiry at most this often. */
export const AFFINITY_SWEEP_MS = 10_000;

interface Pin {
  endpoint: string;
  lastUsed: number;
}

const id = (ep: ProxyEndpoint): string => `${ep.ip}:${ep.port}`;

export class EndpointBalancer {
  private endpoints: ProxyEndpoint[] = [];
  private next = 0;
  private affinityMs: number | undefined;
  private readonly pins = new Map<string, Pin>();
  private lastSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The service port changed: new endpoint list and affinity setting. */
  update(endpoints: ProxyEndpoint[], affinitySeconds: number | undefined): void {
    const same = endpoints.length === this.endpoints.length && endpoints.every((e, i) => id(e) === id(this.endpoints[i]!));
    if (!same) {
      this.endpoints = endpoints;
      this.next = this.endpoints.length ? this.next % this.endpoints.length : 0;
      const live = new Set(endpoints.map(id));
      for (const [client, pin] of this.pins) if (!live.has(pin.endpoint)) this.pins.delete(client);
    }
    const ms = affinitySeconds === undefined ? undefined : affinitySeconds * 1000;
    if (ms !== this.affinityMs) {
      this.affinityMs = ms;
      this.pins.clear();
    }
  }

  get size(): number {
    return this.endpoints.length;
  }

  /**
   * Endpoints to try for a new connection from `clientIP`, best first: the pinned one (unless
   * `reset`), then the round-robin order from the next in turn. The caller tries them in order
   * and reports the one that worked with `connected`.
   */
  candidates(clientIP: string, reset = false): ProxyEndpoint[] {
    const n = this.endpoints.length;
    if (n === 0) return [];
    const t = this.now();
    this.sweep(t);
    const start = this.next;
    this.next = (this.next + 1) % n;
    const order = Array.from({ length: n }, (_, i) => this.endpoints[(start + i) % n]!);
    if (this.affinityMs === undefined || reset) return order;
    const pin = this.pins.get(clientIP);
    if (!pin || t - pin.lastUsed > this.affinityMs) return order;
    const pinned = order.findIndex((e) => id(e) === pin.endpoint);
    if (pinned <= 0) return order;
    // The pinned endpoint first; the turn it took from round robin is given back.
    this.next = start;
    return [order[pinned]!, ...order.filter((_, i) => i !== pinned)];
  }

  /** A connection from `clientIP` reached `endpoint`: pin it (with affinity) and refresh the pin. */
  connected(clientIP: string, endpoint: ProxyEndpoint): void {
    if (this.affinityMs === undefined) return;
    this.pins.set(clientIP, { endpoint: id(endpoint), lastUsed: this.now() });
  }

  private sweep(t: number): void {
    if (this.affinityMs === undefined || t - this.lastSweep < AFFINITY_SWEEP_MS) return;
    this.lastSweep = t;
    for (const [client, pin] of this.pins) if (t - pin.lastUsed > this.affinityMs) this.pins.delete(client);
  }
}
