import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from '../../api/object.js';
import { ago, cells, columnNames } from './testdata/helpers.js';

const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: ago(4 * 86400) });

test('namespace: STATUS is the phase', () => {
  assert.deepEqual(columnNames('/v1/namespaces'), ['Name', 'Status', 'Age']);
  assert.deepEqual(cells('/v1/namespaces', deepFreeze({ metadata: meta('kube-system'), status: { phase: 'Active' } })), ['kube-system', 'Active', '4d']);
  assert.deepEqual(cells('/v1/namespaces', deepFreeze({ metadata: meta('gone'), status: { phase: 'Terminating' } })), ['gone', 'Terminating', '4d']);
});

test('configmap: DATA counts data and binaryData keys', () => {
  assert.deepEqual(columnNames('/v1/configmaps'), ['Name', 'Data', 'Age']);
  assert.deepEqual(cells('/v1/configmaps', deepFreeze({ metadata: meta('kube-root-ca.crt'), data: { 'ca.crt': 'x', b: 'y' }, binaryData: { c: 'AA==' } })), [
    'kube-root-ca.crt',
    3,
    '4d',
  ]);
  assert.deepEqual(cells('/v1/configmaps', deepFreeze({ metadata: meta('empty') })), ['empty', 0, '4d']);
});

test('secret: TYPE and DATA', () => {
  assert.deepEqual(columnNames('/v1/secrets'), ['Name', 'Type', 'Data', 'Age']);
  assert.deepEqual(cells('/v1/secrets', deepFreeze({ metadata: meta('tls'), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eQ==' } })), [
    'tls',
    'kubernetes.io/tls',
    2,
    '4d',
  ]);
});

test('serviceaccount: SECRETS counts secret references', () => {
  assert.deepEqual(columnNames('/v1/serviceaccounts'), ['Name', 'Secrets', 'Age']);
  assert.deepEqual(cells('/v1/serviceaccounts', deepFreeze({ metadata: meta('default') })), ['default', 0, '4d']);
  assert.deepEqual(cells('/v1/serviceaccounts', deepFreeze({ metadata: meta('builder'), secrets: [{ name: 'a' }] })), ['builder', 1, '4d']);
});

test('lease: HOLDER is the holder identity, empty when unheld', () => {
  assert.deepEqual(columnNames('coordination.k8s.io/v1/leases'), ['Name', 'Holder', 'Age']);
  assert.deepEqual(cells('coordination.k8s.io/v1/leases', deepFreeze({ metadata: meta('node-1'), spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } })), [
    'node-1',
    'node-1',
    '4d',
  ]);
  assert.deepEqual(cells('coordination.k8s.io/v1/leases', deepFreeze({ metadata: meta('free'), spec: {} })), ['free', '', '4d']);
});
