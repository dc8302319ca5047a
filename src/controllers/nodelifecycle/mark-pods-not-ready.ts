/**
 * MarkPodsNotReady (controller/util/node): pods on a node that stopped answering get Ready=False,
 * so Services stop sending them traffic, and a Warning event `NodeNotReady` "Node is not ready".
 * Pods already not Ready are left alone; a pod deleted meanwhile is skipped.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import { formatTime } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';

export async function markPodsNotReady(client: Client, recorder: EventRecorder, pods: readonly Pod[], nodeName: string, now: number): Promise<void> {
  const errors: unknown[] = [];
  for (const pod of pods) {
    if (pod.spec?.nodeName !== nodeName) continue;
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
    if (!ready || ready.status === 'False') continue;
    try {
      await client.pods(pod.metadata?.namespace ?? '').patchStatus(pod.metadata?.name ?? '', 'strategic', {
        metadata: { uid: pod.metadata?.uid },
        status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: formatTime(now) }] },
      });
    } catch (err) {
      if (isNotFound(err)) continue;
      errors.push(err);
      continue;
    }
    recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
  }
  if (errors.length) throw new AggregateError(errors, `cannot mark ${errors.length} pod(s) on node ${nodeName} not ready`);
}
