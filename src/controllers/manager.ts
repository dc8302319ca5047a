/**
 * The controller manager (kube-controller-manager's role): one shared informer factory, one event
 * recorder per component, every registered controller — and leader election on the Lease
 * `kube-system/skiff-controller-manager`, so that when several managers share a cluster exactly one
 * acts. On losing leadership every controller stops (its signal aborts) and the manager campaigns
 * again; Kubernetes exits the process instead, which a supervisor then restarts.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import { EventRecorder } from '../client/event-recorder.js';
import { LeaderElector } from '../client/leader-election.js';
import type { Clock } from '../client/clock.js';
import { realClock } from '../client/clock.js';
import type { Logger } from '../client/log.js';
import { silentLogger } from '../client/log.js';
import type { Controller, ControllerContext } from './controller.js';

export const LEADER_LEASE_NAMESPACE = 'kube-system';
export const LEADER_LEASE_NAME = 'skiff-controller-manager';
/** Default workers per controller (Kubernetes' --concurrent-*-syncs defaults are 5). */
export const DEFAULT_WORKERS = 5;

export interface ManagerOptions {
  client: Client;
  controllers: Controller[];
  /** Unique per manager process; default `<hostname>_<uuid>`. */
  identity?: string;
  /** Disable only for single-process tests; default true. */
  leaderElection?: boolean;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  workers?: number;
  clock?: Clock;
  logger?: Logger;
}

export class ControllerManager {
  readonly identity: string;
  private readonly logger: Logger;
  private leading = false;

  constructor(private readonly opts: ManagerOptions) {
    this.identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'controller-manager' });
  }

  /** Whether this manager currently holds the lease and runs controllers. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Runs until `signal` aborts: campaigns for leadership and runs the controllers while leading. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.opts.leaderElection === false) {
      this.leading = true;
      try {
        await this.runControllers(signal);
      } finally {
        this.leading = false;
      }
      return;
    }
    while (!signal.aborted) {
      const elector = new LeaderElector({
        client: this.opts.client,
        namespace: LEADER_LEASE_NAMESPACE,
        name: LEADER_LEASE_NAME,
        identity: this.identity,
        ...(this.opts.leaseDurationMs ? { leaseDurationMs: this.opts.leaseDurationMs } : {}),
        ...(this.opts.renewDeadlineMs ? { renewDeadlineMs: this.opts.renewDeadlineMs } : {}),
        ...(this.opts.retryPeriodMs ? { retryPeriodMs: this.opts.retryPeriodMs } : {}),
        ...(this.opts.clock ? { clock: this.opts.clock } : {}),
        logger: this.logger,
      });
      await elector.run(signal, {
        onStartedLeading: async (leaderSignal) => {
          this.leading = true;
          this.logger.info('became leader; starting controllers', { identity: this.identity });
          try {
            await this.runControllers(leaderSignal);
          } finally {
            this.leading = false;
          }
        },
        onStoppedLeading: () => this.logger.warn('lost leadership; controllers stopped', { identity: this.identity }),
      });
    }
  }

  private async runControllers(signal: AbortSignal): Promise<void> {
    const clock = this.opts.clock ?? realClock;
    const informers = new SharedInformerFactory(this.opts.client, { logger: this.logger, clock });
    const recorders = new Map<string, EventRecorder>();
    const ctx: ControllerContext = {
      client: this.opts.client,
      informers,
      clock,
      logger: this.logger,
      workers: this.opts.workers ?? DEFAULT_WORKERS,
      recorder: (component) => {
        let r = recorders.get(component);
        if (!r) recorders.set(component, (r = new EventRecorder({ client: this.opts.client, component, clock, logger: this.logger })));
        return r;
      },
    };
    // Every controller (and its cache wait) listens on this one signal: not a leak.
    setMaxListeners(0, signal);
    // Each controller registers its informers synchronously when run() is called; the factory
    // starts afterwards, and controllers wait for the caches before starting workers.
    const runs = this.opts.controllers.map((c) =>
      c.run(ctx, signal).catch((err: unknown) => {
        this.logger.error('controller stopped with an error', { controller: c.name, error: err });
      }),
    );
    informers.start(signal);
    await Promise.all(runs);
    await informers.shutdown();
    await Promise.all([...recorders.values()].map((r) => r.shutdown()));
  }
}
