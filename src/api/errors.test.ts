import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalid, notFound, StatusError } from './errors.js';

test('notFound renders the group-qualified resource like apimachinery', () => {
  const err = notFound({ group: 'apps', resource: 'replicasets' }, 'nginx');
  assert.equal(err.message, 'replicasets.apps "nginx" not found');
  assert.deepEqual(err.toStatus().details, { name: 'nginx', group: 'apps', kind: 'replicasets' });
  assert.equal(notFound({ group: '', resource: 'pods' }, 'x').message, 'pods "x" not found');
});

test('invalid builds the 422 message kubectl prints', () => {
  const err = invalid('apps', 'ReplicaSet', 'bad', [
    { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.replicas' },
  ]);
  assert.equal(err.code, 422);
  assert.equal(err.message, 'ReplicaSet.apps "bad" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
});

test('fromStatus round-trips a wire Status', () => {
  const s = notFound({ group: '', resource: 'pods' }, 'p').toStatus();
  const back = StatusError.fromStatus(s);
  assert.equal(back.code, 404);
  assert.equal(back.reason, 'NotFound');
});
