/**
 * The conditions a terminating namespace reports (Kubernetes' deletion/status_condition_utils.go):
 * five condition types, each False with an "all is well" reason when nothing is wrong, True with
 * the problem otherwise. `kubectl describe ns` and `kubectl get ns -o yaml` show them while a
 * namespace waits for its content to go.
 */
import type { NamespaceCondition } from 'kubernetes-types/core/v1.js';
import { GroupDiscoveryFailedError } from './discovery.js';

export const NamespaceConditionTypes = {
  DiscoveryFailure: 'NamespaceDeletionDiscoveryFailure',
  GroupVersionParsingFailure: 'NamespaceDeletionGroupVersionParsingFailure',
  ContentFailure: 'NamespaceDeletionContentFailure',
  ContentRemaining: 'NamespaceContentRemaining',
  FinalizersRemaining: 'NamespaceFinalizersRemaining',
} as const;

const T = NamespaceConditionTypes;

/** In the order Kubernetes writes them. */
const CONDITION_TYPES: readonly string[] = [T.DiscoveryFailure, T.GroupVersionParsingFailure, T.ContentFailure, T.ContentRemaining, T.FinalizersRemaining];

const OK: Record<string, { reason: string; message: string }> = {
  [T.DiscoveryFailure]: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  [T.GroupVersionParsingFailure]: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  [T.ContentFailure]: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  [T.ContentRemaining]: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  [T.FinalizersRemaining]: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/** What one deletion pass found (the inputs of namespaceConditionUpdater). */
export interface DeletionReport {
  discoveryError?: Error;
  /** Errors deleting content, one per resource. */
  contentErrors: string[];
  /** `pods.` / `deployments.apps` → instances left. */
  remainingByResource: Map<string, number>;
  /** finalizer → instances held by it. */
  remainingByFinalizer: Map<string, number>;
}

interface Problem {
  type: string;
  reason: string;
  message: string;
}

function problems(report: DeletionReport): Problem[] {
  const out: Problem[] = [];
  if (report.discoveryError) {
    const e = report.discoveryError;
    const message = e instanceof GroupDiscoveryFailedError ? `Discovery failed for some groups, ${e.groups.size} failing: ${e.message}` : e.message;
    out.push({ type: T.DiscoveryFailure, reason: 'DiscoveryFailed', message });
  }
  if (report.contentErrors.length > 0) {
    const msgs = [...report.contentErrors].sort();
    out.push({ type: T.ContentFailure, reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}` });
  }
  const remaining = [...report.remainingByResource].filter(([, n]) => n > 0).map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
  if (remaining.length > 0) {
    out.push({ type: T.ContentRemaining, reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}` });
  }
  const held = [...report.remainingByFinalizer].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
  if (held.length > 0) {
    out.push({ type: T.FinalizersRemaining, reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${held.join(', ')}` });
  }
  return out;
}

/**
 * The namespace's conditions after a deletion pass, and whether they changed. A condition keeps
 * its lastTransitionTime unless its status flips; unrelated conditions are kept as they are.
 */
export function updateNamespaceConditions(current: readonly NamespaceCondition[] | undefined, report: DeletionReport, now: string): { conditions: NamespaceCondition[]; changed: boolean } {
  const conditions = (current ?? []).map((c) => ({ ...c }));
  const found = problems(report);
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const p = found.find((x) => x.type === type);
    const want = p ? { status: 'True', reason: p.reason, message: p.message } : { status: 'False', ...OK[type]! };
    const old = conditions.find((c) => c.type === type);
    if (!old) {
      conditions.push({ type, status: want.status, lastTransitionTime: now, reason: want.reason, message: want.message });
      changed = true;
    } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
      if (old.status !== want.status) old.lastTransitionTime = now;
      old.status = want.status;
      old.reason = want.reason;
      old.message = want.message;
      changed = true;
    }
  }
  return { conditions, changed };
}
