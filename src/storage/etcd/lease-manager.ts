/**
 * Leases for keys written with a TTL, reused the way Kubernetes' API server reuses them
 * (k8s.io/apiserver pkg/storage/etcd3/lease_manager.go): one lease is granted with a little
 * extra TTL and shared by every write with the same TTL inside that extra time, instead of one
 * lease per Event object. A key may therefore live up to that extra time (5% of its TTL, at most
 * a minute) longer than asked. etcd raises TTLs below its minimum (1.5 × election timeout,
 * rounded up: 2 s by default) to that minimum.
 */
import type { EtcdClient } from './etcd-client.js';

/** Share of a TTL that a lease may be reused for (Kubernetes' leaseReuseDurationPercent). */
export const LEASE_REUSE_DURATION_PERCENT = 0.05;
/** Longest reuse window (Kubernetes' leaseReuseDurationSeconds default). */
export const LEASE_MAX_REUSE_DURATION_SECONDS = 60;

interface Granted {
  id: bigint;
  ttl: number;
  expiresAt: number;
}

export class LeaseManager {
  /** The newest lease per requested TTL. */
  private readonly leases = new Map<number, Granted>();
  private readonly granting = new Map<number, Promise<Granted>>();

  constructor(
    private readonly client: EtcdClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds a lease granted for `ttl` may be handed out again. */
  static reuseSeconds(ttl: number): number {
    return Math.min(Math.floor(ttl * LEASE_REUSE_DURATION_PERCENT), LEASE_MAX_REUSE_DURATION_SECONDS);
  }

  /** A lease that keeps a key for at least `ttl` seconds from now. */
  async leaseFor(ttl: number): Promise<bigint> {
    for (;;) {
      const prev = this.leases.get(ttl);
      const now = this.now();
      // Valid: it outlives the TTL. Sufficient: it does not outlive it by more than the window.
      if (prev && now + ttl * 1000 < prev.expiresAt && now + (ttl + LeaseManager.reuseSeconds(ttl)) * 1000 > prev.expiresAt) {
        return prev.id;
      }
      // Concurrent writers wait for one grant instead of each getting their own.
      const inflight = this.granting.get(ttl);
      if (inflight) {
        const g = await inflight;
        if (g.expiresAt > this.now() + ttl * 1000) return g.id;
        continue;
      }
      const grant = this.grant(ttl);
      this.granting.set(ttl, grant);
      try {
        return (await grant).id;
      } finally {
        this.granting.delete(ttl);
      }
    }
  }

  /** Forgets a lease etcd no longer knows (expired or revoked), so the next write gets a new one. */
  forget(id: bigint): void {
    for (const [ttl, g] of this.leases) if (g.id === id) this.leases.delete(ttl);
  }

  private async grant(ttl: number): Promise<Granted> {
    const total = ttl + LeaseManager.reuseSeconds(ttl);
    const start = this.now();
    const res = await this.client.leaseGrant(total);
    if (res.error) throw new Error(`etcd lease grant: ${res.error}`);
    // etcd may raise the TTL to its minimum; expiry counts from before the request left.
    const g: Granted = { id: res.ID, ttl: res.TTL, expiresAt: start + Math.max(res.TTL, total) * 1000 };
    this.leases.set(ttl, g);
    return g;
  }
}
