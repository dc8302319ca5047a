/**
 * Holding the scheduler back while a backlog of pending pods is created, through the scheduler's
 * own leader election (kube-system/skiff-scheduler): the bench takes the Lease over, the
 * scheduler fails to renew and steps down within its renew deadline (client-go semantics), and
 * handing the Lease back (empty holder) lets it acquire at its next retry and start on the whole
 * backlog — a scheduler failing over onto 10,000 pending pods.
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { formatMicroTime } from '../../src/client/clock.js';
import { retryOnConflict } from '../../src/client/retry-on-conflict.js';
import { SCHEDULER_LEASE_NAME, SCHEDULER_LEASE_NAMESPACE } from '../../src/scheduler/leader-elected-scheduler.js';
import type { BenchServer } from './bench-server.js';
import { until } from './stats.js';

const HOLDER = 'skiff-bench';

async function setHolder(server: BenchServer, holderIdentity: string, leaseDurationSeconds: number): Promise<void> {
  const leases = server.client.leases(SCHEDULER_LEASE_NAMESPACE);
  await retryOnConflict(async () => {
    const lease: Lease = await leases.get(SCHEDULER_LEASE_NAME);
    const now = formatMicroTime(Date.now());
    await leases.update({ ...lease, spec: { ...lease.spec, holderIdentity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } });
  });
}

/** Takes the scheduler's Lease and waits until the scheduler has stepped down (its log says so). */
export async function holdScheduler(server: BenchServer): Promise<void> {
  const before = server.cluster.logs().split('lost leadership').length;
  await until('the scheduler Lease to exist', async () => ((await server.client.leases(SCHEDULER_LEASE_NAMESPACE).list()).items.some((l) => l.metadata?.name === SCHEDULER_LEASE_NAME) ? true : undefined), 30_000, 100);
  await setHolder(server, HOLDER, 3600);
  await until('the scheduler to step down', () => (server.cluster.logs().split('lost leadership').length > before ? true : undefined), 60_000, 100);
}

/** Hands the Lease back: an empty holder, which a candidate may take at once. */
export async function releaseScheduler(server: BenchServer): Promise<void> {
  await setHolder(server, '', 1);
}
