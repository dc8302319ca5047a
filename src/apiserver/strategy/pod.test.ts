import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, resourceOf, update, updateStatus } from './test-helpers.js';
import { computePodQOS } from './pod.js';
import { isStatus } from '../../api/errors.js';

const POD = resourceOf('', 'Pod');
const pod = (spec: Record<string, unknown>, name = 'web') => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec });

test('pod defaults: SetDefaults_Pod/PodSpec/Container and admission', () => {
  const { obj, errors } = create(
    POD,
    pod({
      containers: [
        {
          name: 'app',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          resources: { limits: { cpu: '0.5', memory: '1.5Gi' } },
          livenessProbe: { httpGet: { port: 80 } },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        },
        { name: 'side', image: 'busybox:1.36' },
      ],
      volumes: [{ name: 'a' }, { name: 'b', configMap: { name: 'cm' } }, { name: 'c', hostPath: { path: '/tmp' } }],
    }),
  );
  assert.deepEqual(errors, []);
  const spec = obj.spec as Record<string, unknown> & { containers: Array<Record<string, unknown>>; volumes: unknown[]; tolerations: unknown[] };
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.serviceAccount, 'default');
  assert.equal(spec.priority, 0);
  assert.equal(spec.preemptionPolicy, 'PreemptLowerPriority');
  const [app, side] = spec.containers;
  assert.equal(app?.imagePullPolicy, 'Always');
  assert.equal(side?.imagePullPolicy, 'IfNotPresent');
  assert.equal(app?.terminationMessagePath, '/dev/termination-log');
  assert.equal(app?.terminationMessagePolicy, 'File');
  assert.deepEqual(app?.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.deepEqual(app?.resources, { limits: { cpu: '500m', memory: '1536Mi' }, requests: { cpu: '500m', memory: '1536Mi' } });
  assert.deepEqual(app?.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(app?.env, [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName', apiVersion: 'v1' } } }]);
  assert.deepEqual(side?.resources, {});
  assert.deepEqual(spec.volumes, [
    { name: 'a', emptyDir: {} },
    { name: 'b', configMap: { name: 'cm', defaultMode: 420 } },
    { name: 'c', hostPath: { path: '/tmp', type: '' } },
  ]);
  assert.deepEqual(spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  assert.deepEqual(obj.status, { phase: 'Pending', qosClass: 'Burstable' }, 'the second container has no limits');
  assert.equal(obj.metadata?.generation, 1);
});

test('image pull policy follows the tag', () => {
  const cases: Array<[string, string]> = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry:5000/team/app', 'Always'],
    ['registry:5000/team/app:v2', 'IfNotPresent'],
    ['nginx@sha256:0123', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) {
    const { obj } = create(POD, pod({ containers: [{ name: 'c', image }] }));
    assert.equal((obj.spec as { containers: Array<{ imagePullPolicy: string }> }).containers[0]?.imagePullPolicy, want, image);
  }
});

test('existing tolerations for not-ready/unreachable are respected', () => {
  const { obj } = create(POD, pod({ containers: [{ name: 'c', image: 'x' }], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }] }));
  assert.deepEqual((obj.spec as { tolerations: unknown[] }).tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const all = create(POD, pod({ containers: [{ name: 'c', image: 'x' }], tolerations: [{ operator: 'Exists' }] })).obj;
  assert.deepEqual((all.spec as { tolerations: unknown[] }).tolerations, [{ operator: 'Exists' }]);
});

test('QoS classes', () => {
  assert.equal(computePodQOS({ containers: [{ name: 'a' }] }), 'BestEffort');
  assert.equal(computePodQOS({ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] }), 'Burstable');
  assert.equal(computePodQOS({ containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }] }), 'Guaranteed');
  assert.equal(computePodQOS({ containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } } }] }), 'Burstable');
});

test('pod create validation messages', () => {
  const cases: Array<[Record<string, unknown>, string[], string?]> = [
    [{ containers: [] }, ['spec.containers: Required value']],
    [
      { containers: [{ name: 'Bad_Name', image: 'x' }] },
      [
        "spec.containers[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [{ containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] }, ['spec.containers[1].name: Duplicate value: "a"']],
    [{ containers: [{ name: 'a' }] }, ['spec.containers[0].image: Required value']],
    [{ containers: [{ name: 'a', image: ' x' }] }, ['spec.containers[0].image: Invalid value: " x": must not have leading or trailing whitespace']],
    [{ containers: [{ name: 'a', image: 'x' }], restartPolicy: 'Foo' }, ['spec.restartPolicy: Unsupported value: "Foo": supported values: "Always", "Never", "OnFailure"']],
    [{ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] }, ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    [{ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, protocol: 'HTTP' }] }] }, ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']],
    [
      { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] },
      ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'],
    ],
    [{ containers: [{ name: 'a', image: 'x', resources: { requests: { memory: '-1' } } }] }, ['spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0']],
    [{ containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'missing', mountPath: '/m' }] }] }, ['spec.containers[0].volumeMounts[0].name: Not found: "missing"']],
    [{ containers: [{ name: 'a', image: 'x', env: [{ name: 'A=B' }] }] }, ["spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"]],
    [
      { containers: [{ name: 'a', image: 'x', env: [{ name: 'A', valueFrom: {} }] }] },
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'],
    ],
    [{ containers: [{ name: 'a', image: 'x', livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } }] }, ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1']],
    [{ containers: [{ name: 'a', image: 'x', readinessProbe: {} }] }, ['spec.containers[0].readinessProbe: Required value: must specify a handler type']],
    [{ containers: [{ name: 'a', image: 'x' }], volumes: [{ name: 'v', secret: {} }] }, ['spec.volumes[0].secret.secretName: Required value']],
    [{ containers: [{ name: 'a', image: 'x' }], volumes: [{ name: 'v' }, { name: 'v' }] }, ['spec.volumes[1].name: Duplicate value: "v"']],
    [{ containers: [{ name: 'a', image: 'x' }], activeDeadlineSeconds: 0 }, ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']],
    [{ containers: [{ name: 'a', image: 'x' }], hostname: 'Host' }, ["spec.hostname: Invalid value: \"Host\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]],
    [{ containers: [{ name: 'a', image: 'x' }], tolerations: [{ operator: 'Equal', value: 'x' }] }, ['spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"']],
    [{ containers: [{ name: 'a', image: 'x' }], tolerations: [{ key: 'k', operator: 'Maybe' }] }, ['spec.tolerations[0].operator: Unsupported value: "Maybe": supported values: "Equal", "Exists"']],
    [{ containers: [{ name: 'a', image: 'x' }], tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }] }, ["spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"]],
    [{ containers: [{ name: 'a', image: 'x' }], nodeSelector: { 'a/b/c': 'x' } }, ["spec.nodeSelector: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
  ];
  for (const [spec, want] of cases) assert.deepEqual(create(POD, pod(spec)).errors, want, JSON.stringify(spec));
});

test('pod names are DNS subdomains', () => {
  const { errors } = create(POD, pod({ containers: [{ name: 'a', image: 'x' }] }, 'Bad_Name'));
  assert.deepEqual(errors, [
    "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  ]);
});

test('unparsable quantities are a decode error (400)', () => {
  assert.throws(
    () => create(POD, pod({ containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: 'lots' } } }] })),
    (e: unknown) => isStatus(e, 400) && (e as Error).message === "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  );
});

test('pod updates: only images, deadlines, added tolerations; generation follows spec', () => {
  const old = create(POD, pod({ containers: [{ name: 'a', image: 'x:1' }], activeDeadlineSeconds: 100 })).obj;
  (old.metadata ??= {}).generation = 1;
  old.status = { phase: 'Running' };
  const next = structuredClone(old) as typeof old & { spec: { containers: Array<Record<string, unknown>>; tolerations: unknown[]; activeDeadlineSeconds?: number } };
  next.spec.containers[0]!.image = 'x:2';
  next.spec.tolerations = [...next.spec.tolerations, { key: 'k', operator: 'Exists' }];
  next.spec.activeDeadlineSeconds = 50;
  next.status = { phase: 'Failed' };
  const ok = update(POD, old, next);
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.generationBumped, true);
  assert.equal(ok.obj.metadata?.generation, 2);
  assert.deepEqual(ok.obj.status, { phase: 'Running' }, 'status is kept on a main-resource update');

  const raise = structuredClone(old) as typeof next;
  raise.spec.activeDeadlineSeconds = 200;
  assert.deepEqual(update(POD, old, raise).errors, ['spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value']);

  const ports = structuredClone(old) as typeof next;
  ports.spec.containers[0]!.ports = [{ containerPort: 81 }];
  const [msg] = update(POD, old, ports).errors;
  assert.ok(
    msg?.startsWith(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    ),
    msg,
  );
  assert.match(msg ?? '', /spec\.containers\[0\]\.ports/);

  const added = structuredClone(old) as typeof next;
  added.spec.containers.push({ name: 'b', image: 'y' });
  assert.deepEqual(update(POD, old, added).errors, ['spec.containers: Forbidden: pod updates may not add or remove containers']);

  const removed = structuredClone(old) as typeof next;
  removed.spec.tolerations = [];
  assert.deepEqual(update(POD, old, removed).errors, []);
  assert.equal((update(POD, old, removed).obj.spec as { tolerations: unknown[] }).tolerations.length, 2, 'default tolerations are re-added');

  const labelsOnly = structuredClone(old);
  (labelsOnly.metadata ??= {}).labels = { a: 'b' };
  assert.equal(update(POD, old, labelsOnly).generationBumped, false);
});

test('pod status updates keep spec and owner references, refuse un-terminating containers', () => {
  const old = create(POD, pod({ containers: [{ name: 'a', image: 'x' }], restartPolicy: 'Never' })).obj;
  (old.metadata ??= {}).ownerReferences = [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }];
  old.status = { phase: 'Failed', qosClass: 'BestEffort', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 1 } } }] };
  const next = structuredClone(old);
  (next.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'changed';
  delete (next.metadata ?? {}).ownerReferences;
  next.status = { phase: 'Running', containerStatuses: [{ name: 'a', state: { running: {} } }] };
  const r = updateStatus(POD, old, next);
  assert.equal((r.obj.spec as { containers: Array<{ image: string }> }).containers[0]?.image, 'x');
  assert.equal(r.obj.metadata?.ownerReferences?.length, 1);
  assert.equal((r.obj.status as { qosClass: string }).qosClass, 'BestEffort');
  assert.deepEqual(r.errors, ['status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state']);
});

test('pod status writes keep observedGeneration values they leave unset (v1.33)', () => {
  const old = create(POD, pod({ containers: [{ name: 'a', image: 'x' }] })).obj;
  old.status = { phase: 'Running', observedGeneration: 3, conditions: [{ type: 'Ready', status: 'True', observedGeneration: 3 }] };
  const next = structuredClone(old);
  next.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] };
  const r = updateStatus(POD, old, next);
  assert.deepEqual(r.obj.status, {
    phase: 'Running',
    observedGeneration: 3,
    conditions: [{ type: 'Ready', status: 'False', observedGeneration: 3 }, { type: 'PodScheduled', status: 'True' }],
  });
});
