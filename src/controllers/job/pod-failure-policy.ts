/**
 * podFailurePolicy matching (Kubernetes' pod_failure_policy.go): rules are tried in order against a
 * failed pod and the first match decides. `onExitCodes` looks at terminated app containers, then
 * init containers, never at exit code 0; `onPodConditions` at the pod's conditions.
 */
import type { Job, PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyOnPodConditionsPattern } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, Pod, PodCondition } from 'kubernetes-types/core/v1.js';

export type PodFailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailurePolicyMatch {
  /** Set when a FailJob rule matched: the Job's failure message. */
  failJobMessage?: string;
  /** False when an Ignore rule matched: the failure does not count against backoff limits. */
  countFailed: boolean;
  /** The matched rule's action, if any rule matched. */
  action?: PodFailurePolicyAction;
}

const NO_MATCH: PodFailurePolicyMatch = { countFailed: true };

/** Matches a failed pod against the Job's podFailurePolicy (no policy: counted, no action). */
export function matchPodFailurePolicy(job: Job, pod: Pod): PodFailurePolicyMatch {
  const rules = job.spec?.podFailurePolicy?.rules;
  if (!rules) return NO_MATCH;
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index]!;
    const action = rule.action as PodFailurePolicyAction;
    if (rule.onExitCodes) {
      const cs = matchOnExitCodes(pod, rule.onExitCodes);
      if (!cs) continue;
      const r = actionResult(action, () => `Container ${cs.name} for pod ${ns}/${name} failed with exit code ${cs.state!.terminated!.exitCode} matching ${action} rule at index ${index}`);
      if (r) return r;
    } else if (rule.onPodConditions) {
      const cond = matchOnPodConditions(pod, rule.onPodConditions);
      if (!cond) continue;
      const r = actionResult(action, () => `Pod ${ns}/${name} has condition ${cond.type} matching ${action} rule at index ${index}`);
      if (r) return r;
    }
  }
  return NO_MATCH;
}

function actionResult(action: PodFailurePolicyAction, message: () => string): PodFailurePolicyMatch | undefined {
  switch (action) {
    case 'Ignore':
      return { countFailed: false, action };
    case 'FailIndex':
    case 'Count':
      return { countFailed: true, action };
    case 'FailJob':
      return { failJobMessage: message(), countFailed: true, action };
    default:
      // An unknown action (from a newer API) matches nothing; the next rule is tried.
      return undefined;
  }
}

function matchOnExitCodes(pod: Pod, req: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  return matchingContainer(pod.status?.containerStatuses, req) ?? matchingContainer(pod.status?.initContainerStatuses, req);
}

function matchingContainer(statuses: readonly ContainerStatus[] | undefined, req: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  for (const cs of statuses ?? []) {
    const terminated = cs.state?.terminated;
    if (!terminated) continue;
    if (req.containerName && req.containerName !== cs.name) continue;
    if (terminated.exitCode === 0) continue;
    if (operatorMatches(terminated.exitCode, req)) return cs;
  }
  return undefined;
}

function operatorMatches(exitCode: number, req: PodFailurePolicyOnExitCodesRequirement): boolean {
  const listed = req.values.includes(exitCode);
  if (req.operator === 'In') return listed;
  if (req.operator === 'NotIn') return !listed;
  return false;
}

function matchOnPodConditions(pod: Pod, patterns: readonly PodFailurePolicyOnPodConditionsPattern[]): PodCondition | undefined {
  for (const c of pod.status?.conditions ?? []) {
    for (const p of patterns) {
      if (c.type === p.type && c.status === (p.status || 'True')) return c;
    }
  }
  return undefined;
}

/** The FailJob message of the first failed pod matching a FailJob rule (getFailJobMessage). */
export function failJobMessage(job: Job, failedPods: Iterable<Pod>): string | undefined {
  if (!job.spec?.podFailurePolicy) return undefined;
  for (const p of failedPods) {
    const m = matchPodFailurePolicy(job, p).failJobMessage;
    if (m !== undefined) return m;
  }
  return undefined;
}
