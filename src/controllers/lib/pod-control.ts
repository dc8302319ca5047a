/**
 * Creating and deleting pods on behalf of an owner (Kubernetes' RealPodControl): pods are made
 * from the owner's template with a controller ownerReference and `<owner>-` generateName, and
 * every create/delete is recorded as an event on the owner with Kubernetes' reasons and wording.
 */
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../../api/errors.js';
import type { ObjectLike } from '../../client/types.js';
import { clone } from '../../api/object.js';
import type { Client } from '../../client/client.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { newControllerRef, type OwnerInfo } from './controller-ref.js';

/** Builds the pod a controller creates from its template (GetPodFromTemplate). */
export function podFromTemplate(template: PodTemplateSpec, owner: OwnerInfo, namespace: string, generateNamePrefix = `${owner.name}-`): Pod {
  const t = clone(template);
  const meta = t.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: generateNamePrefix,
      namespace,
      ...(meta.labels ? { labels: meta.labels } : {}),
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
      ...(meta.finalizers ? { finalizers: meta.finalizers } : {}),
      ownerReferences: [newControllerRef(owner)],
    },
    spec: t.spec!,
  };
  return pod;
}

export class PodControl {
  constructor(
    private readonly client: Client,
    private readonly recorder: EventRecorder,
  ) {}

  /** Creates a pod; records SuccessfulCreate or FailedCreate on the owner. */
  async create(pod: Pod, ownerObj: ObjectLike): Promise<Pod> {
    if (!pod.metadata?.labels || Object.keys(pod.metadata.labels).length === 0) {
      // Kubernetes refuses to create controller pods without labels: they could never be found again.
      const err = new Error('unable to create pods, no labels');
      this.recorder.event(ownerObj, 'Warning', 'FailedCreate', `Error creating: ${err.message}`);
      throw err;
    }
    try {
      const created = await this.client.pods(pod.metadata.namespace).create(pod);
      this.recorder.event(ownerObj, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata!.name}`);
      return created;
    } catch (err) {
      this.recorder.event(ownerObj, 'Warning', 'FailedCreate', `Error creating: ${(err as Error).message}`);
      throw err;
    }
  }

  /**
   * Deletes a pod; records SuccessfulDelete or FailedDelete. A pod already gone is not an error,
   * but resolves false (no event), so a caller tracking expectations can lower them: the informer
   * may have shown that deletion before the caller started expecting it.
   */
  async delete(namespace: string, name: string, ownerObj: ObjectLike, uid?: string): Promise<boolean> {
    try {
      await this.client.pods(namespace).delete(name, uid ? { preconditions: { uid } } : {});
      this.recorder.event(ownerObj, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      this.recorder.event(ownerObj, 'Warning', 'FailedDelete', `Error deleting: ${(err as Error).message}`);
      throw err;
    }
  }
}
