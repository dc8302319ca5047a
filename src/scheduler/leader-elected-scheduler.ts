/**
 * Runs the scheduler under leader election on the Lease `kube-system/skiff-scheduler`, as
 * kube-scheduler does with its own lease: of several schedulers sharing a cluster exactly one
 * binds pods. While leading, a fresh Scheduler (own informers, cache and queue) runs; when
 * leadership is lost it stops and the runner campaigns again. Kubernetes exits the process
 * instead, which a supervisor then restarts; the effect is the same.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LeaderElector } from '../client/leader-election.js';
import type { Logger } from '../client/log.js';
import { silentLogger } from '../client/log.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';

export const SCHEDULER_LEASE_NAMESPACE = 'kube-system';
export const SCHEDULER_LEASE_NAME = 'skiff-scheduler';

export interface LeaderElectedSchedulerOptions extends SchedulerOptions {
  /** Unique per scheduler process; default `<hostname>_<uuid>`. */
  identity?: string;
  /** Disable only for single-process tests; default true. */
  leaderElection?: boolean;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/** Runs until `signal` aborts. `onScheduler` sees each Scheduler started while leading (tests). */
export async function runLeaderElectedScheduler(opts: LeaderElectedSchedulerOptions, signal: AbortSignal, onScheduler?: (s: Scheduler) => void): Promise<void> {
  const logger: Logger = (opts.logger ?? silentLogger).child({ component: 'scheduler' });
  const start = async (leaderSignal: AbortSignal): Promise<void> => {
    const scheduler = new Scheduler(opts);
    onScheduler?.(scheduler);
    await scheduler.run(leaderSignal);
  };
  if (opts.leaderElection === false) {
    await start(signal);
    return;
  }
  const identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
  while (!signal.aborted) {
    const elector = new LeaderElector({
      client: opts.client,
      namespace: SCHEDULER_LEASE_NAMESPACE,
      name: SCHEDULER_LEASE_NAME,
      identity,
      ...(opts.leaseDurationMs ? { leaseDurationMs: opts.leaseDurationMs } : {}),
      ...(opts.renewDeadlineMs ? { renewDeadlineMs: opts.renewDeadlineMs } : {}),
      ...(opts.retryPeriodMs ? { retryPeriodMs: opts.retryPeriodMs } : {}),
      ...(opts.clock ? { clock: opts.clock } : {}),
      logger,
    });
    await elector.run(signal, {
      onStartedLeading: async (leaderSignal) => {
        logger.info('became leader; scheduling pods', { identity });
        await start(leaderSignal);
      },
      onStoppedLeading: () => logger.warn('lost leadership; scheduler stopped', { identity }),
    });
  }
}
