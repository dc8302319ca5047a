import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, parseFieldSelectorFor, selectableFields, FieldSelectorParseError, escapeFieldValue, supportedFieldLabels } from './fields.js';
import { StatusError } from './errors.js';

const POD = { group: '', kind: 'Pod', namespaced: true };
const EVENT = { group: '', kind: 'Event', namespaced: true };

test('parseFieldSelector: terms, operators, escaping, canonical order', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['metadata.name=web', 'metadata.name=web'],
    ['metadata.name==web', 'metadata.name=web'],
    ['status.phase!=Running,metadata.name=a', 'metadata.name=a,status.phase!=Running'],
    ['a=x\\,y', 'a=x\\,y'],
    ['a=x\\=y', 'a=x\\=y'],
    ['a=', 'a='],
  ];
  for (const [input, want] of cases) assert.equal(parseFieldSelector(input).toString(), want, input);
  assert.equal(parseFieldSelector('a=x\\,y').requirements[0]?.value, 'x,y');
  assert.equal(escapeFieldValue('a\\b,c=d'), 'a\\\\b\\,c\\=d');
});

test('parseFieldSelector: errors read like apimachinery', () => {
  const cases: Array<[string, string]> = [
    ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
    ['a=b,c', "invalid selector: 'a=b,c'; can't understand 'c'"],
    ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
  ];
  for (const [input, msg] of cases) {
    assert.throws(() => parseFieldSelector(input), (e: unknown) => e instanceof FieldSelectorParseError && e.message === msg, input);
  }
});

test('pod selectable fields and matching', () => {
  const pod = {
    metadata: { name: 'web-1', namespace: 'default' },
    spec: { nodeName: 'node-1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }] },
  };
  const fields = selectableFields(POD, pod);
  assert.deepEqual(fields, {
    'metadata.name': 'web-1',
    'metadata.namespace': 'default',
    'spec.nodeName': 'node-1',
    'spec.restartPolicy': 'Always',
    'spec.schedulerName': 'default-scheduler',
    'spec.serviceAccountName': 'default',
    'spec.hostNetwork': 'false',
    'status.phase': 'Running',
    'status.podIP': '10.0.0.5',
    'status.nominatedNodeName': '',
  });
  const cases: Array<[string, boolean]> = [
    ['spec.nodeName=node-1', true],
    ['spec.nodeName=', false],
    ['spec.host=node-1', true],
    ['status.phase!=Succeeded,status.phase!=Failed', true],
    ['metadata.name=web-1,metadata.namespace=other', false],
    ['spec.hostNetwork=false', true],
    ['status.nominatedNodeName=', true],
  ];
  for (const [sel, want] of cases) assert.equal(parseFieldSelectorFor(POD, sel).matches(fields), want, sel);
});

test('unsupported field labels are a 400 like the API server', () => {
  assert.throws(
    () => parseFieldSelectorFor(POD, 'spec.foo=bar'),
    (e: unknown) => e instanceof StatusError && e.code === 400 && e.reason === 'BadRequest' && e.message === 'field label not supported: spec.foo',
  );
  assert.throws(() => parseFieldSelectorFor({ group: 'apps', kind: 'Deployment', namespaced: true }, 'status.replicas=1'), /field label not supported: status.replicas/);
  assert.throws(() => parseFieldSelectorFor(POD, 'garbage'), (e: unknown) => e instanceof StatusError && e.code === 400);
  assert.ok(supportedFieldLabels({ group: 'apps', kind: 'ReplicaSet', namespaced: true }).includes('status.replicas'));
});

test('event, secret, node, namespace, job and replicaset fields', () => {
  const ev = {
    metadata: { name: 'e1', namespace: 'default' },
    involvedObject: { kind: 'Job', name: 'db-init', namespace: 'default', uid: 'u-1' },
    reason: 'Completed',
    type: 'Normal',
    reportingComponent: 'job-controller',
    source: {},
  };
  const sel = parseFieldSelectorFor(EVENT, 'involvedObject.uid=u-1,involvedObject.name=db-init,involvedObject.namespace=default,involvedObject.kind=Job');
  assert.equal(sel.matches(selectableFields(EVENT, ev)), true);
  assert.equal(selectableFields(EVENT, ev).source, 'job-controller');
  const secret = { metadata: { name: 's' }, type: 'kubernetes.io/service-account-token' };
  assert.equal(parseFieldSelectorFor({ group: '', kind: 'Secret', namespaced: true }, 'type=kubernetes.io/service-account-token').matches(selectableFields({ group: '', kind: 'Secret', namespaced: true }, secret)), true);
  const nodeRef = { group: '', kind: 'Node', namespaced: false };
  assert.deepEqual(selectableFields(nodeRef, { metadata: { name: 'n1' }, spec: { unschedulable: true } }), { 'metadata.name': 'n1', 'spec.unschedulable': 'true' });
  const jobRef = { group: 'batch', kind: 'Job', namespaced: true };
  assert.equal(selectableFields(jobRef, { metadata: { name: 'j' }, status: { succeeded: 2 } })['status.successful'], '2');
  const rsRef = { group: 'apps', kind: 'ReplicaSet', namespaced: true };
  assert.equal(parseFieldSelectorFor(rsRef, 'status.replicas!=0').matches(selectableFields(rsRef, { metadata: { name: 'r' }, status: {} })), false);
  const nsRef = { group: '', kind: 'Namespace', namespaced: false };
  assert.equal(parseFieldSelectorFor(nsRef, 'status.phase=Active').matches(selectableFields(nsRef, { metadata: { name: 'x' }, status: { phase: 'Active' } })), true);
});
