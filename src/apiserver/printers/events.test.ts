import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import { deepFreeze } from '../../api/object.js';
import { ago, cells, columnNames } from './testdata/helpers.js';

const EXPECTED_COLUMNS = ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*'];

test('event columns match Kubernetes for both API groups', () => {
  assert.deepEqual(columnNames('/v1/events'), EXPECTED_COLUMNS);
  assert.deepEqual(columnNames('events.k8s.io/v1/events'), EXPECTED_COLUMNS);
});

function coreEvent(over: Partial<CoreEvent>): CoreEvent {
  return deepFreeze({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-0.17a2b3c4d5e6f708', namespace: 'default', creationTimestamp: ago(600) },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u', apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app in pod web-0_default(u)\n',
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-1' },
    ...over,
  } as CoreEvent);
}

// [case, event, LAST SEEN TYPE REASON OBJECT SUBOBJECT SOURCE MESSAGE FIRST SEEN COUNT NAME]
const coreCases: Array<[string, CoreEvent, unknown[]]> = [
  [
    'legacy event with first/last timestamps and count',
    coreEvent({ firstTimestamp: ago(600), lastTimestamp: ago(30), count: 12 }),
    [
      '30s',
      'Warning',
      'BackOff',
      'pod/web-0',
      'spec.containers{app}',
      'kubelet, node-1',
      'Back-off restarting failed container app in pod web-0_default(u)',
      '10m',
      12,
      'web-0.17a2b3c4d5e6f708',
    ],
  ],
  [
    'no lastTimestamp: LAST SEEN falls back to FIRST SEEN; no count means 1',
    coreEvent({ firstTimestamp: ago(75) }),
    ['75s', 'Warning', 'BackOff', 'pod/web-0', 'spec.containers{app}', 'kubelet, node-1', 'Back-off restarting failed container app in pod web-0_default(u)', '75s', 1, 'web-0.17a2b3c4d5e6f708'],
  ],
  [
    'new-style event: eventTime, series overrides LAST SEEN and COUNT, reporting controller as source',
    coreEvent({
      eventTime: ago(3600),
      series: { count: 7, lastObservedTime: ago(5) },
      source: {},
      reportingComponent: 'default-scheduler',
      reportingInstance: 'default-scheduler-skiff',
      count: 0,
    }),
    [
      '5s',
      'Warning',
      'BackOff',
      'pod/web-0',
      'spec.containers{app}',
      'default-scheduler, default-scheduler-skiff',
      'Back-off restarting failed container app in pod web-0_default(u)',
      '60m',
      7,
      'web-0.17a2b3c4d5e6f708',
    ],
  ],
  [
    'no times at all: <unknown>; object without name prints only the kind; source without host',
    coreEvent({ involvedObject: { kind: 'Node' }, source: { component: 'node-controller' }, message: 'x' }),
    ['<unknown>', 'Warning', 'BackOff', 'node', '', 'node-controller', 'x', '<unknown>', 1, 'web-0.17a2b3c4d5e6f708'],
  ],
  [
    'series without lastObservedTime: <unknown>',
    coreEvent({ firstTimestamp: ago(10), lastTimestamp: ago(10), series: { count: 2 } }),
    ['<unknown>', 'Warning', 'BackOff', 'pod/web-0', 'spec.containers{app}', 'kubelet, node-1', 'Back-off restarting failed container app in pod web-0_default(u)', '10s', 2, 'web-0.17a2b3c4d5e6f708'],
  ],
];

for (const [name, e, want] of coreCases) {
  test(`core/v1 event row: ${name}`, () => {
    assert.deepEqual(cells('/v1/events', e), want);
  });
}

test('events.k8s.io/v1 event rows map note, regarding and deprecated fields', () => {
  const e: EventsV1Event = deepFreeze({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'nginx.17a2', namespace: 'default', creationTimestamp: ago(300) },
    eventTime: ago(300),
    reportingController: 'deployment-controller',
    reportingInstance: '',
    action: 'ScalingReplicaSet',
    reason: 'ScalingReplicaSet',
    regarding: { kind: 'Deployment', namespace: 'default', name: 'nginx', apiVersion: 'apps/v1' },
    note: 'Scaled up replica set nginx-7c5ddbdf54 to 3',
    type: 'Normal',
  });
  assert.deepEqual(cells('events.k8s.io/v1/events', e), [
    '5m',
    'Normal',
    'ScalingReplicaSet',
    'deployment/nginx',
    '',
    'deployment-controller',
    'Scaled up replica set nginx-7c5ddbdf54 to 3',
    '5m',
    1,
    'nginx.17a2',
  ]);
  const legacy: EventsV1Event = deepFreeze({
    ...e,
    deprecatedSource: { component: 'kubelet', host: 'node-2' },
    deprecatedFirstTimestamp: ago(900),
    deprecatedLastTimestamp: ago(60),
    deprecatedCount: 4,
  });
  assert.deepEqual(cells('events.k8s.io/v1/events', legacy).slice(0, 9), [
    '60s',
    'Normal',
    'ScalingReplicaSet',
    'deployment/nginx',
    '',
    'kubelet, node-2',
    'Scaled up replica set nginx-7c5ddbdf54 to 3',
    '15m',
    4,
  ]);
});
