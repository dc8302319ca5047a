/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's leaderelection semantics,
 * so several replicas of a component (scheduler, controller manager) can run and only one acts:
 *
 * - a candidate tries every `retryPeriod` (jittered ×1.2) to acquire the Lease: create it if
 *   missing, or take it over once its holder has not renewed for `leaseDuration` — measured on
 *   the candidate's own clock from when it last saw the record change, never by comparing
 *   timestamps written by another machine (clock skew);
 * - every write carries the Lease's resourceVersion, so of two candidates racing only one wins
 *   (the other gets 409 Conflict);
 * - the leader renews every `retryPeriod`; if it cannot renew within `renewDeadline` it stops
 *   leading (its leader signal aborts) before the Lease can expire and be taken by another;
 * - on shutdown the leader releases the Lease (empty holder, 1 s duration) so a successor
 *   takes over at once instead of waiting out the lease.
 * `acquireTime`/`renewTime` are MicroTime; `leaseTransitions` counts changes of holder.
 */
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { isNotFound } from '../api/errors.js';
import type { Client } from './client.js';
import type { Clock } from './clock.js';
import { formatMicroTime, realClock, sleepUnlessAborted, timeoutSignal } from './clock.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import { jitter } from './backoff.js';

/** client-go defaults (kube-controller-manager, kube-scheduler). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** Jitter on acquire retries (client-go JitterFactor). */
export const LEADER_JITTER_FACTOR = 1.2;

export interface LeaderElectionOptions {
  client: Client;
  namespace: string;
  name: string;
  /** Unique per candidate, e.g. `<hostname>_<uuid>`. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Release the Lease when `run`'s signal aborts (client-go ReleaseOnCancel). Default true. */
  releaseOnCancel?: boolean;
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
}

export interface LeaderCallbacks {
  /**
   * Called on becoming leader. `leaderSignal` aborts when leadership ends (lost, or `run`'s signal
   * aborted); the returned promise, if any, is awaited before the Lease is released so the old
   * leader has stopped acting before a new one can start.
   */
  onStartedLeading(leaderSignal: AbortSignal): void | Promise<void>;
  /** Called once after leading ended (not called if this candidate never led). */
  onStoppedLeading?(): void;
  /** Called whenever the observed leader changes (including to this candidate). */
  onNewLeader?(identity: string): void;
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  /** Last Lease read or written (its resourceVersion is the next write's precondition). */
  private lease: Lease | undefined;
  /** Last observed record, and when (on our clock) we observed it change. */
  private observed: LeaseSpec | undefined;
  private observedTime = 0;
  private reportedLeader: string | undefined;

  constructor(private readonly opts: LeaderElectionOptions) {
    this.clock = opts.clock ?? realClock;
    this.logger = (opts.logger ?? silentLogger).child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.random = opts.random ?? Math.random;
    this.leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    if (!opts.identity) throw new Error('leader election needs a non-empty identity');
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.renewDeadlineMs <= LEADER_JITTER_FACTOR * this.retryPeriodMs) throw new Error('renewDeadline must be greater than retryPeriod × 1.2');
  }

  /** True while this candidate holds the Lease (as last observed). */
  isLeader(): boolean {
    return this.observed?.holderIdentity === this.opts.identity;
  }

  /** The holder last observed ('' if none). */
  getLeader(): string {
    return this.observed?.holderIdentity ?? '';
  }

  /**
   * Campaigns until leader, leads until leadership is lost or `signal` aborts, then returns.
   * Like client-go's Run it does not campaign again: call it again to do so.
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    if (!(await this.acquire(signal, callbacks))) return;
    this.logger.info('became leader');
    const leading = new AbortController();
    const stopLeading = (): void => leading.abort();
    signal.addEventListener('abort', stopLeading, { once: true });
    let work: Promise<void> = Promise.resolve();
    try {
      work = Promise.resolve()
        .then(() => callbacks.onStartedLeading(leading.signal))
        .catch((err: unknown) => this.logger.error('onStartedLeading failed', { error: err }));
      await this.renew(leading.signal, callbacks);
    } finally {
      leading.abort();
      signal.removeEventListener('abort', stopLeading);
      await work;
      if (signal.aborted && this.opts.releaseOnCancel !== false) await this.release();
      this.logger.info('stopped leading');
      try {
        callbacks.onStoppedLeading?.();
      } catch (err) {
        this.logger.error('onStoppedLeading failed', { error: err });
      }
    }
  }

  /** Tries every retryPeriod (jittered) until acquired; false if `signal` aborted first. */
  private async acquire(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<boolean> {
    this.logger.info('attempting to acquire leader lease');
    while (!signal.aborted) {
      const ok = await this.tryAcquireOrRenew(signal);
      this.reportTransition(callbacks);
      if (ok) return true;
      if (!(await sleepUnlessAborted(this.clock, jitter(this.retryPeriodMs, LEADER_JITTER_FACTOR, this.random), signal))) break;
    }
    return false;
  }

  /** Renews every retryPeriod; returns when a renewal could not succeed within renewDeadline, or on abort. */
  private async renew(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    while (!signal.aborted) {
      const deadline = timeoutSignal(this.clock, this.renewDeadlineMs, signal);
      let renewed = false;
      try {
        while (!deadline.signal.aborted) {
          renewed = await this.tryAcquireOrRenew(deadline.signal);
          this.reportTransition(callbacks);
          if (renewed) break;
          if (!(await sleepUnlessAborted(this.clock, this.retryPeriodMs, deadline.signal))) break;
        }
      } finally {
        deadline.cancel();
      }
      if (signal.aborted) return;
      if (!renewed) {
        this.logger.error('failed to renew lease within the renew deadline; stepping down', { renewDeadlineMs: this.renewDeadlineMs });
        return;
      }
      if (!(await sleepUnlessAborted(this.clock, this.retryPeriodMs, signal))) return;
    }
  }

  /** client-go tryAcquireOrRenew: one attempt; true if we hold the Lease afterwards. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const leases = this.opts.client.leases(this.opts.namespace);
    const desired: LeaseSpec = {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: formatMicroTime(now),
      renewTime: formatMicroTime(now),
      leaseTransitions: 0,
    };

    // Fast path: the leader updates the Lease it last wrote, assuming nobody else touched it.
    if (this.isLeader() && this.isLeaseValid(now) && this.lease) {
      desired.acquireTime = this.observed?.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = this.observed?.leaseTransitions ?? 0;
      try {
        this.lease = await leases.update({ ...this.lease, spec: desired }, { signal });
        this.setObserved(desired, now);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.logger.warn('optimistic lease renewal failed; re-reading', { error: err });
      }
    }

    let current: Lease;
    try {
      current = await leases.get(this.opts.name, { signal });
    } catch (err) {
      if (!isNotFound(err)) {
        if (!signal.aborted) this.logger.warn('error retrieving lease', { error: err });
        return false;
      }
      try {
        this.lease = await leases.create({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec: desired }, { signal });
        this.setObserved(desired, now);
        return true;
      } catch (createErr) {
        if (!signal.aborted) this.logger.debug('lease create lost a race', { error: createErr });
        return false;
      }
    }

    this.lease = current;
    const spec = current.spec ?? {};
    if (!this.observed || JSON.stringify(this.observed) !== JSON.stringify(spec)) this.setObserved(spec, now);
    if (spec.holderIdentity && this.isLeaseValid(now) && !this.isLeader()) {
      this.logger.debug('lease is held by another candidate and has not expired', { holder: spec.holderIdentity });
      return false;
    }
    if (this.isLeader()) {
      desired.acquireTime = spec.acquireTime ?? desired.acquireTime;
      desired.leaseTransitions = spec.leaseTransitions ?? 0;
    } else {
      desired.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    try {
      this.lease = await leases.update({ ...current, spec: desired }, { signal });
      this.setObserved(desired, now);
      return true;
    } catch (err) {
      if (!signal.aborted) this.logger.debug('lease update failed', { error: err });
      return false;
    }
  }

  /** client-go release: give the Lease up so a successor need not wait for it to expire. */
  private async release(): Promise<void> {
    if (!this.isLeader() || !this.lease) return;
    const now = formatMicroTime(this.clock.now());
    const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: this.observed?.leaseTransitions ?? 0 };
    const t = timeoutSignal(this.clock, this.renewDeadlineMs);
    try {
      this.lease = await this.opts.client.leases(this.opts.namespace).update({ ...this.lease, spec }, { signal: t.signal });
      this.setObserved(spec, this.clock.now());
      this.logger.info('released leader lease');
    } catch (err) {
      this.logger.warn('failed to release leader lease', { error: err });
    } finally {
      t.cancel();
    }
  }

  private isLeaseValid(now: number): boolean {
    const duration = (this.observed?.leaseDurationSeconds ?? 0) * 1000;
    return this.observedTime + duration > now;
  }

  private setObserved(spec: LeaseSpec, now: number): void {
    this.observed = spec;
    this.observedTime = now;
  }

  private reportTransition(callbacks: LeaderCallbacks): void {
    const holder = this.getLeader();
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (holder) {
      this.logger.info('new leader observed', { leader: holder });
      try {
        callbacks.onNewLeader?.(holder);
      } catch (err) {
        this.logger.error('onNewLeader failed', { error: err });
      }
    }
  }
}
