/**
 * successPolicy (Indexed Jobs; Kubernetes' success_policy.go): the first rule satisfied by the
 * succeeded indexes declares the Job successful early — condition SuccessCriteriaMet with reason
 * SuccessPolicy and message "Matched rules at index <i>" — and the lingering pods are terminated.
 */
import type { SuccessPolicy } from 'kubernetes-types/batch/v1.js';
import { OrderedIntervals } from './intervals.js';

/** Returns the condition message when a rule matches. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: OrderedIntervals): string | undefined {
  if (!policy || succeeded.list.length === 0) return undefined;
  for (let index = 0; index < policy.rules.length; index++) {
    const rule = policy.rules[index]!;
    if (rule.succeededIndexes !== undefined && rule.succeededIndexes !== null) {
      const required = OrderedIntervals.parse(rule.succeededIndexes, completions);
      if (required.list.length === 0) continue;
      if (matchSucceededIndexesRule(required, succeeded, rule.succeededCount)) return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && rule.succeededCount !== null && succeeded.total() >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}

/** All required indexes succeeded, or at least `succeededCount` of them did. */
function matchSucceededIndexesRule(rule: OrderedIntervals, succeeded: OrderedIntervals, succeededCount: number | undefined): boolean {
  let contains = 0;
  let i = 0;
  let j = 0;
  const r = rule.list;
  const s = succeeded.list;
  while (i < r.length && j < s.length) {
    const overlap = Math.min(r[i]!.last, s[j]!.last) - Math.max(r[i]!.first, s[j]!.first) + 1;
    if (overlap > 0) contains += overlap;
    if (s[j]!.last < r[i]!.last) j++;
    else if (s[j]!.last > r[i]!.last) i++;
    else {
      i++;
      j++;
    }
  }
  return contains === rule.total() || (succeededCount !== undefined && succeededCount !== null && contains >= succeededCount);
}
