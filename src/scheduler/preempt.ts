/**
 * Carrying out a preemption (preemption.Executor): each victim gets the DisruptionTarget condition
 * (reason PreemptionByScheduler) and is deleted with its UID as precondition, and an event
 * `Preempted` "Preempted by pod <uid> on node <node>" is recorded on it. The preemptor meanwhile
 * waits in the queue with `status.nominatedNodeName` set; the victims' deletion moves it back.
 */
import { isConflict, isNotFound } from '../api/errors.js';
import type { Client } from '../client/client.js';
import type { EventRecorder } from '../client/event-recorder.js';
import type { Logger } from '../client/log.js';
import type { PreemptionCandidate } from './framework/preemption.js';
import type { PodInfo } from './framework/pod-info.js';

export interface PreemptionContext {
  client: Client;
  recorder: EventRecorder;
  schedulerName: string;
  logger: Logger;
}

export async function executePreemption(ctx: PreemptionContext, preemptor: PodInfo, candidate: PreemptionCandidate): Promise<void> {
  for (const victim of candidate.victims) {
    const pod = victim.pod;
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const pods = ctx.client.pods(ns);
    try {
      if (!pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True')) {
        await pods.patchStatus(name, 'strategic', {
          metadata: { uid: victim.uid },
          status: {
            conditions: [
              {
                type: 'DisruptionTarget',
                status: 'True',
                reason: 'PreemptionByScheduler',
                message: `${ctx.schedulerName}: preempting to accommodate a higher priority pod`,
                lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
              },
            ],
          },
        });
      }
      await pods.delete(name, { preconditions: { uid: victim.uid } });
      ctx.recorder.event(pod, 'Normal', 'Preempted', `Preempted by pod ${preemptor.uid} on node ${candidate.node.name}`);
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) continue;
      ctx.logger.warn('cannot preempt victim', { victim: victim.key, preemptor: preemptor.key, error: err });
    }
  }
}
