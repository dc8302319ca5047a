/**
 * Empties a terminating namespace (Kubernetes' deletion/namespaced_resources_deleter.go
 * deleteAllContent): for every namespaced resource the server serves, deletecollection (or list
 * and delete one by one where deletecollection is not served) with Background propagation — the
 * namespace controller must not make the garbage collector orphan anything — then list what is
 * left. What is left is fine for a while:
 *
 * - pods terminate gracefully: until their longest terminationGracePeriodSeconds has passed since
 *   the namespace's deletion began, the estimate is that grace period;
 * - objects held by finalizers get a default estimate of 15 s;
 * - anything else that survived a delete is an error ("unexpected items still remain").
 *
 * The caller requeues after half the estimate and finalizes the namespace only once a pass finds
 * nothing left and no error.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/object.js';
import { isNotFound, isStatus } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { ResourceClient } from '../../client/resource-client.js';
import type { DiscoveredResource } from './discovery.js';
import { discoverDeletableNamespacedResources } from './discovery.js';
import type { DeletionReport } from './namespace-conditions.js';

/** Kubernetes' finalizerEstimateSeconds: the wait assumed for objects held by finalizers. */
export const FINALIZER_ESTIMATE_SECONDS = 15;

export interface ContentDeletionResult {
  /** Seconds until what remains is expected to be gone (0: nothing pending). */
  estimateSeconds: number;
  report: DeletionReport;
}

interface ResourceOutcome {
  estimateSeconds: number;
  remaining: number;
  finalizers: Map<string, number>;
  error?: string;
}

/** `pods.` / `deployments.apps`: how Kubernetes names a resource in these messages. */
export function resourceLabel(r: { group: string; resource: string }): string {
  return `${r.resource}.${r.group}`;
}

/** GroupVersionResource.String(): `/v1, Resource=pods`. */
function gvrString(r: DiscoveredResource): string {
  return `${r.group}/${r.version}, Resource=${r.resource}`;
}

const notSupported = (err: unknown) => isStatus(err, 405) || isNotFound(err);

export class NamespacedContentDeleter {
  constructor(
    private readonly client: Client,
    private readonly now: () => number,
  ) {}

  /** One deletion pass over everything in `namespace`, whose deletion began at `deletedAt` (RFC 3339). */
  async deleteAllContent(namespace: string, deletedAt: string, signal?: AbortSignal): Promise<ContentDeletionResult> {
    const report: DeletionReport = { contentErrors: [], remainingByResource: new Map(), remainingByFinalizer: new Map() };
    let resources: DiscoveredResource[] = [];
    try {
      const found = await discoverDeletableNamespacedResources(this.client, signal);
      resources = found.resources;
      if (found.error) report.discoveryError = found.error;
    } catch (err) {
      report.discoveryError = err instanceof Error ? err : new Error(String(err));
    }
    let estimateSeconds = 0;
    for (const r of resources) {
      const outcome = await this.deleteResource(r, namespace, deletedAt);
      if (outcome.error) report.contentErrors.push(outcome.error);
      estimateSeconds = Math.max(estimateSeconds, outcome.estimateSeconds);
      if (outcome.remaining > 0) {
        const label = resourceLabel(r);
        report.remainingByResource.set(label, (report.remainingByResource.get(label) ?? 0) + outcome.remaining);
        for (const [f, n] of outcome.finalizers) report.remainingByFinalizer.set(f, (report.remainingByFinalizer.get(f) ?? 0) + n);
      }
    }
    return { estimateSeconds, report };
  }

  private async deleteResource(r: DiscoveredResource, namespace: string, deletedAt: string): Promise<ResourceOutcome> {
    const rc = this.client.resource<KubeObject>({ group: r.group, version: r.version, resource: r.resource, namespaced: true, kind: r.kind }).namespace(namespace);
    const none = { remaining: 0, finalizers: new Map<string, number>() };
    let estimateSeconds: number;
    try {
      estimateSeconds = r.group === '' && r.resource === 'pods' ? await this.estimatePodTermination(namespace, deletedAt) : 0;
    } catch (err) {
      return { estimateSeconds: 0, ...none, error: (err as Error).message };
    }
    try {
      let collectionDeleted = false;
      if (r.verbs.has('deletecollection')) {
        try {
          await rc.deleteCollection({ propagationPolicy: 'Background' });
          collectionDeleted = true;
        } catch (err) {
          if (!notSupported(err)) throw err;
        }
      }
      if (!collectionDeleted) await this.deleteEach(rc, r);
    } catch (err) {
      return { estimateSeconds, ...none, error: (err as Error).message };
    }
    if (!r.verbs.has('list')) return { estimateSeconds, ...none };
    let items: KubeObject[];
    try {
      items = (await rc.list()).items;
    } catch (err) {
      if (notSupported(err)) return { estimateSeconds, ...none };
      return { estimateSeconds, ...none, error: (err as Error).message };
    }
    if (items.length === 0) return { estimateSeconds: 0, ...none };
    const finalizers = new Map<string, number>();
    for (const item of items) for (const f of item.metadata?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    if (estimateSeconds > 0) return { estimateSeconds, remaining: items.length, finalizers };
    if (finalizers.size > 0) return { estimateSeconds: FINALIZER_ESTIMATE_SECONDS, remaining: items.length, finalizers };
    return { estimateSeconds, remaining: items.length, finalizers, error: `unexpected items still remain in namespace: ${namespace} for gvr: ${gvrString(r)}` };
  }

  private async deleteEach(rc: ResourceClient<KubeObject>, r: DiscoveredResource): Promise<void> {
    if (!r.verbs.has('list')) return;
    let items: KubeObject[];
    try {
      items = (await rc.list()).items;
    } catch (err) {
      if (notSupported(err)) return;
      throw err;
    }
    for (const item of items) {
      try {
        await rc.delete(item.metadata!.name!, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!notSupported(err)) throw err;
      }
    }
  }

  /**
   * The longest grace period among pods still running (estimateGracefulTerminationForPods), or 0
   * once that long has passed since the namespace's deletion began.
   */
  private async estimatePodTermination(namespace: string, deletedAt: string): Promise<number> {
    const pods = (await this.client.pods(namespace).list()).items as Pod[];
    let estimate = 0;
    for (const p of pods) {
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      estimate = Math.max(estimate, p.spec?.terminationGracePeriodSeconds ?? 0);
    }
    const elapsedMs = this.now() - Date.parse(deletedAt);
    return elapsedMs >= estimate * 1000 ? 0 : estimate;
  }
}
