import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { HostPortConflictError, HostPortRegistry, hostPortsOf } from './host-ports.js';

const pod = (spec: Pod['spec']): Pod => ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec });

test('hostPortsOf: container and sidecar ports with a hostPort, protocol and hostIP; none for hostNetwork pods', () => {
  const p = pod({
    initContainers: [
      { name: 'side', restartPolicy: 'Always', ports: [{ containerPort: 9000, hostPort: 19000, protocol: 'UDP' }] },
      { name: 'init', ports: [{ containerPort: 7000, hostPort: 17000 }] },
    ],
    containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 8080, hostIP: '0.0.0.0' }, { containerPort: 81 }, { containerPort: 82, hostPort: 8082, hostIP: '127.0.0.1' }] }],
  });
  assert.deepEqual(hostPortsOf(p), [
    { protocol: 'tcp', hostPort: 8080, hostIP: undefined, containerPort: 80 },
    { protocol: 'tcp', hostPort: 8082, hostIP: '127.0.0.1', containerPort: 82 },
    { protocol: 'udp', hostPort: 19000, hostIP: undefined, containerPort: 9000 },
  ]);
  assert.deepEqual(hostPortsOf(pod({ hostNetwork: true, containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort: 80 }] }] })), []);
});

test('HostPortRegistry: a port held by another pod of the machine is refused with who holds it; freed with the pod', () => {
  const r = new HostPortRegistry();
  let changes = 0;
  r.onChange(() => changes++);
  const m = (hostPort: number, hostIP?: string, protocol: 'tcp' | 'udp' = 'tcp') => ({ protocol, hostPort, hostIP, containerPort: 80 });
  r.set({ podUid: 'a', pod: 'default/a', node: 'node-1', podIP: '10.244.0.2', mappings: [m(8080)] });
  assert.throws(
    () => r.set({ podUid: 'b', pod: 'default/b', node: 'node-2', podIP: '10.244.1.2', mappings: [m(8080, '127.0.0.1')] }),
    (e: unknown) => e instanceof HostPortConflictError && /^cannot open hostPort 127\.0\.0\.1:8080\/TCP for pod default\/b: it is mapped to pod default\/a on node node-1, which shares this machine's addresses$/.test(e.message),
  );
  // Another protocol, or the pod itself again (a re-adopted pod registers once more), is fine.
  r.set({ podUid: 'b', pod: 'default/b', node: 'node-2', podIP: '10.244.1.2', mappings: [m(8080, undefined, 'udp')] });
  r.set({ podUid: 'a', pod: 'default/a', node: 'node-1', podIP: '10.244.0.2', mappings: [m(8080)] });
  assert.equal(r.list().length, 2);
  r.delete('a');
  r.set({ podUid: 'c', pod: 'default/c', node: 'node-2', podIP: '10.244.1.3', mappings: [m(8080)] });
  assert.deepEqual(r.list().map((e) => e.podUid), ['b', 'c']);
  assert.equal(changes, 5);
});
