import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { deploymentAnnotationsFrom, lastRevision, maxRevision, setNewReplicaSetAnnotations } from './annotations.js';
import { equalIgnoreHash } from './templates.js';

const deployment = (annotations: Record<string, string>, replicas = 3): Deployment => ({ metadata: { name: 'd', annotations }, spec: { replicas, selector: {}, template: {} } });
const withRevision = (r: string | undefined): ReplicaSet => ({ metadata: { name: `rs${r}`, ...(r !== undefined ? { annotations: { 'deployment.kubernetes.io/revision': r } } : {}) } });

test('a new set gets the revision, the replica annotations and the deployment annotations, minus the skipped ones', () => {
  const d = deployment({
    'kubernetes.io/change-cause': 'kubectl set image',
    team: 'a',
    'deployment.kubernetes.io/revision': '7',
    'kubectl.kubernetes.io/last-applied-configuration': '{}',
  });
  const a: Record<string, string> = {};
  assert.equal(setNewReplicaSetAnnotations(d, a, 2, false, 1), true);
  assert.deepEqual(a, {
    'kubernetes.io/change-cause': 'kubectl set image',
    team: 'a',
    'deployment.kubernetes.io/revision': '2',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  assert.equal(setNewReplicaSetAnnotations(d, a, 2, true, 1), false, 'nothing left to change');
});

test('rolling back to a set raises its revision and appends the old one to revision-history', () => {
  const d = deployment({});
  const a: Record<string, string> = { 'deployment.kubernetes.io/revision': '1' };
  assert.equal(setNewReplicaSetAnnotations(d, a, 3, true, 1), true);
  assert.equal(a['deployment.kubernetes.io/revision'], '3');
  assert.equal(a['deployment.kubernetes.io/revision-history'], '1');
  setNewReplicaSetAnnotations(d, a, 5, true, 1);
  assert.equal(a['deployment.kubernetes.io/revision-history'], '1,3');
  // A lower revision never overwrites a higher one.
  assert.equal(setNewReplicaSetAnnotations(d, a, 4, true, 1), false);
  assert.equal(a['deployment.kubernetes.io/revision'], '5');
});

test('revision-history drops its oldest entries past the length limit', () => {
  const a: Record<string, string> = { 'deployment.kubernetes.io/revision': '40', 'deployment.kubernetes.io/revision-history': '10,20,30' };
  setNewReplicaSetAnnotations(deployment({}), a, 41, true, 0, 5);
  assert.equal(a['deployment.kubernetes.io/revision-history'], '30,40');
});

test('max and last revision skip sets without a numeric revision', () => {
  const sets = [withRevision('3'), withRevision('x'), withRevision(undefined), withRevision('7'), withRevision('5')];
  assert.equal(maxRevision(sets), 7);
  assert.equal(lastRevision(sets), 5);
  assert.equal(maxRevision([]), 0);
});

test('rollback keeps the deployment revision and takes the other annotations from the set', () => {
  const d = deployment({ 'deployment.kubernetes.io/revision': '4', 'kubernetes.io/change-cause': 'edit' });
  const target: ReplicaSet = { metadata: { annotations: { 'kubernetes.io/change-cause': 'create', 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3' } } };
  assert.deepEqual(deploymentAnnotationsFrom(d, target), { 'deployment.kubernetes.io/revision': '4', 'kubernetes.io/change-cause': 'create' });
});

test('template equality ignores the pod-template-hash label and Go nil/empty differences', () => {
  const base = { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x', resources: {} }] } };
  const withHash = { metadata: { labels: { app: 'a', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };
  assert.equal(equalIgnoreHash(base, withHash), true);
  assert.equal(equalIgnoreHash(base, { ...withHash, spec: { containers: [{ name: 'c', image: 'y' }] } }), false);
  assert.equal(equalIgnoreHash({ metadata: { labels: { 'pod-template-hash': 'x' } } }, {}), true);
});
