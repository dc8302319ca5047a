/**
 * Node health as the node lifecycle controller sees it (tryUpdateNodeHealth). The controller
 * never compares timestamps written by another machine: it remembers, on its own clock, when it
 * last *observed* something fresh — the Ready condition's lastHeartbeatTime changing, or the
 * node's Lease renewTime advancing — and declares the node's status Unknown once nothing fresh
 * arrived for the grace period (--node-monitor-grace-period, 50 s; a node that never posted a
 * Ready condition gets the startup grace period, 60 s, counted from its creation).
 */
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { formatTime, parseTime } from '../../client/clock.js';

/** Conditions set to Unknown when the node stops posting (NetworkUnavailable is left alone). */
export const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeHealth {
  /** When (our clock) we last saw a fresh heartbeat or lease renewal. */
  probeTimestamp: number;
  /** When (our clock) we last saw the Ready condition transition. */
  readyTransitionTimestamp: number;
  /** The Ready condition as last observed. */
  ready: NodeCondition | undefined;
  /** renewTime of the Lease as last observed (ms), or undefined. */
  leaseRenewTime: number | undefined;
}

export interface HealthUpdate {
  health: NodeHealth;
  /** The Ready condition before this pass (what eviction decisions use). */
  observedReady: NodeCondition;
  /** The Ready condition after this pass. */
  currentReady: NodeCondition | undefined;
  /** A node whose status must be written (conditions set to Unknown), if any. */
  statusUpdate: Node | undefined;
}

function readyOf(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

/**
 * One node's health step. Pure: returns the new health record and, when the node must be marked
 * Unknown, a copy of the node with its conditions updated (the caller writes it through /status).
 */
export function updateNodeHealth(node: Node, saved: NodeHealth | undefined, lease: Lease | undefined, now: number, opts: { gracePeriodMs: number; startupGracePeriodMs: number }): HealthUpdate {
  const created = parseTime(node.metadata?.creationTimestamp) || now;
  const currentReady = readyOf(node);
  let observedReady: NodeCondition;
  let grace: number;
  let health = saved;
  if (!currentReady) {
    // Never posted: a stand-in condition dated from the node's creation.
    observedReady = { type: 'Ready', status: 'Unknown', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: node.metadata?.creationTimestamp };
    grace = opts.startupGracePeriodMs;
    health = health ? { ...health, ready: undefined } : { probeTimestamp: created, readyTransitionTimestamp: created, ready: undefined, leaseRenewTime: undefined };
  } else {
    observedReady = currentReady;
    grace = opts.gracePeriodMs;
  }
  const savedReady = health?.ready;
  if (!health) {
    health = { probeTimestamp: now, readyTransitionTimestamp: now, ready: currentReady, leaseRenewTime: undefined };
  } else if (!savedReady && currentReady) {
    health = { probeTimestamp: now, readyTransitionTimestamp: now, ready: currentReady, leaseRenewTime: health.leaseRenewTime };
  } else if (savedReady && currentReady && savedReady.lastHeartbeatTime !== currentReady.lastHeartbeatTime) {
    const transitioned = savedReady.lastTransitionTime !== currentReady.lastTransitionTime;
    health = { probeTimestamp: now, readyTransitionTimestamp: transitioned ? now : health.readyTransitionTimestamp, ready: currentReady, leaseRenewTime: health.leaseRenewTime };
  } else if (currentReady) {
    health = { ...health, ready: currentReady };
  }
  // A renewed Lease is a heartbeat too (the agent writes its status only on change).
  const renew = parseTime(lease?.spec?.renewTime ?? undefined);
  if (!Number.isNaN(renew) && (health.leaseRenewTime === undefined || health.leaseRenewTime < renew)) {
    health = { ...health, leaseRenewTime: renew, probeTimestamp: now };
  }

  let statusUpdate: Node | undefined;
  let ready = currentReady;
  if (now > health.probeTimestamp + grace) {
    const conditions: NodeCondition[] = (node.status?.conditions ?? []).map((c) => ({ ...c }));
    const ts = formatTime(now);
    for (const type of MONITORED_CONDITIONS) {
      const c = conditions.find((x) => x.type === type);
      if (!c) {
        conditions.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: ts });
      } else if (c.status !== 'Unknown') {
        c.status = 'Unknown';
        c.reason = 'NodeStatusUnknown';
        c.message = 'Kubelet stopped posting node status.';
        c.lastTransitionTime = ts;
      }
    }
    ready = conditions.find((c) => c.type === 'Ready');
    if (JSON.stringify(ready) !== JSON.stringify(observedReady)) {
      statusUpdate = { ...node, status: { ...node.status, conditions } };
      health = { ...health, ready, readyTransitionTimestamp: now };
    }
  }
  return { health, observedReady, currentReady: ready, statusUpdate };
}
