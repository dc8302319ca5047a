/**
 * The scheduler: `Scheduler` (one scheduling loop over its own informers, cache and queue) and
 * `runLeaderElectedScheduler` (how `skiff server` runs it, on the Lease kube-system/skiff-scheduler).
 */
export { Scheduler, DEFAULT_SCHEDULER_NAME, DEFAULT_BIND_CONCURRENCY, POD_FIELD_SELECTOR, type SchedulerOptions } from './scheduler.js';
export { runLeaderElectedScheduler, SCHEDULER_LEASE_NAME, SCHEDULER_LEASE_NAMESPACE, type LeaderElectedSchedulerOptions } from './leader-elected-scheduler.js';
export { SchedulingQueue, type QueuedPodInfo, type SchedulingQueueOptions } from './queue/scheduling-queue.js';
export { fitErrorMessage, ERR_NO_NODES_AVAILABLE } from './framework/fit-error.js';
