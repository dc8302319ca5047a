/**
 * Writes pods' node-owned status (kubelet's status manager): only when it differs from what the
 * API has, through `pods/status` with a strategic merge patch — conditions merge by type, so
 * PodScheduled (scheduler) and DisruptionTarget (controllers) are kept; container status lists
 * are replaced whole (`$patch: replace`); `metadata.uid` guards against a re-created pod of the
 * same name. The last write per pod is remembered so a lagging informer does not cause the same
 * patch twice.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { NodePodStatus } from './pod-status.js';
import { NODE_CONDITIONS } from './pod-status.js';
import type { PodStatusWriter } from './pod-sync.js';

/** JSON with sorted keys, null/undefined dropped: for comparing what we would write. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined && o[k] !== null)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function comparable(s: Partial<NodePodStatus> | undefined): string {
  const own = new Set<string>(NODE_CONDITIONS);
  return canonical({
    phase: s?.phase,
    reason: s?.reason,
    message: s?.message,
    conditions: (s?.conditions ?? []).filter((c) => own.has(c.type)).map((c) => ({ ...c, lastProbeTime: undefined })),
    containerStatuses: s?.containerStatuses ?? [],
    initContainerStatuses: s?.initContainerStatuses ?? [],
    hostIP: s?.hostIP,
    hostIPs: s?.hostIPs,
    podIP: s?.podIP,
    podIPs: s?.podIPs,
    startTime: s?.startTime,
  });
}

export class StatusManager implements PodStatusWriter {
  private readonly written = new Map<string, { rv: string; body: string }>();
  /** Status patches sent (for tests and metrics). */
  writes = 0;

  constructor(private readonly client: Client) {}

  async write(pod: Pod, status: NodePodStatus): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const body = comparable(status);
    const last = this.written.get(uid);
    if (last && last.rv === pod.metadata?.resourceVersion && last.body === body) return;
    if (comparable(pod.status as NodePodStatus | undefined) === body) return;
    const patch = {
      metadata: { uid },
      status: {
        ...status,
        containerStatuses: [...(status.containerStatuses ?? []), { $patch: 'replace' }],
        ...(status.initContainerStatuses ? { initContainerStatuses: [...status.initContainerStatuses, { $patch: 'replace' }] } : {}),
      },
    };
    try {
      this.writes++;
      await this.client.pods(pod.metadata?.namespace ?? 'default').patchStatus(pod.metadata?.name ?? '', 'strategic', patch, { readOnlyResult: true });
      this.written.set(uid, { rv: pod.metadata?.resourceVersion ?? '', body });
    } catch (err) {
      if (isNotFound(err)) return; // deleted meanwhile: nothing to report
      throw err;
    }
  }

  /** Drops what was remembered about a pod that is gone. */
  forget(uid: string): void {
    this.written.delete(uid);
  }
}
