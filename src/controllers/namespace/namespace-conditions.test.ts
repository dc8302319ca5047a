/**
 * The conditions of a terminating namespace: Kubernetes' reasons and messages, stable ordering,
 * transition times kept unless the status flips.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { GroupDiscoveryFailedError } from './discovery.js';
import { updateNamespaceConditions, type DeletionReport } from './namespace-conditions.js';

const empty = (): DeletionReport => ({ contentErrors: [], remainingByResource: new Map(), remainingByFinalizer: new Map() });

describe('namespace conditions', () => {
  test('all well: five False conditions in Kubernetes order', () => {
    const { conditions, changed } = updateNamespaceConditions(undefined, empty(), '2024-01-01T00:00:00Z');
    assert.ok(changed);
    assert.deepEqual(
      conditions.map((c) => [c.type, c.status, c.reason]),
      [
        ['NamespaceDeletionDiscoveryFailure', 'False', 'ResourcesDiscovered'],
        ['NamespaceDeletionGroupVersionParsingFailure', 'False', 'ParsedGroupVersions'],
        ['NamespaceDeletionContentFailure', 'False', 'ContentDeleted'],
        ['NamespaceContentRemaining', 'False', 'ContentRemoved'],
        ['NamespaceFinalizersRemaining', 'False', 'ContentHasNoFinalizers'],
      ],
    );
    assert.equal(updateNamespaceConditions(conditions, empty(), '2024-01-01T00:00:09Z').changed, false, 'no write when nothing changed');
  });

  test('problems: sorted messages, and transition times that move only on a status flip', () => {
    const first = updateNamespaceConditions(undefined, empty(), '2024-01-01T00:00:00Z').conditions;
    const report = empty();
    report.discoveryError = new GroupDiscoveryFailedError(new Map([['apps/v1', 'boom']]));
    report.contentErrors.push('unexpected items still remain in namespace: demo for gvr: /v1, Resource=pods', 'a failure');
    report.remainingByResource.set('pods.', 2).set('deployments.apps', 1).set('configmaps.', 0);
    report.remainingByFinalizer.set('example.com/b', 1).set('example.com/a', 3);
    const { conditions, changed } = updateNamespaceConditions(first, report, '2024-01-01T00:01:00Z');
    assert.ok(changed);
    const by = (t: string) => conditions.find((c) => c.type === t)!;
    assert.equal(by('NamespaceDeletionDiscoveryFailure').message, 'Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: apps/v1: boom');
    assert.equal(by('NamespaceDeletionDiscoveryFailure').reason, 'DiscoveryFailed');
    assert.equal(by('NamespaceDeletionContentFailure').message, 'Failed to delete all resource types, 2 remaining: a failure, unexpected items still remain in namespace: demo for gvr: /v1, Resource=pods');
    assert.equal(by('NamespaceContentRemaining').message, 'Some resources are remaining: deployments.apps has 1 resource instances, pods. has 2 resource instances');
    assert.equal(by('NamespaceFinalizersRemaining').message, 'Some content in the namespace has finalizers remaining: example.com/a in 3 resource instances, example.com/b in 1 resource instances');
    assert.equal(by('NamespaceContentRemaining').lastTransitionTime, '2024-01-01T00:01:00Z');
    assert.equal(by('NamespaceDeletionGroupVersionParsingFailure').lastTransitionTime, '2024-01-01T00:00:00Z');

    // Fewer pods left: the message changes, the transition time does not.
    const next = empty();
    next.remainingByResource.set('pods.', 1);
    const later = updateNamespaceConditions(conditions, next, '2024-01-01T00:02:00Z').conditions;
    const remaining = later.find((c) => c.type === 'NamespaceContentRemaining')!;
    assert.equal(remaining.message, 'Some resources are remaining: pods. has 1 resource instances');
    assert.equal(remaining.lastTransitionTime, '2024-01-01T00:01:00Z');
  });

  test('unrelated conditions are kept', () => {
    const { conditions } = updateNamespaceConditions([{ type: 'Custom', status: 'True' }], empty(), '2024-01-01T00:00:00Z');
    assert.equal(conditions[0]!.type, 'Custom');
    assert.equal(conditions.length, 6);
  });
});
