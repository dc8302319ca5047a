import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { deepFreeze } from '../../api/object.js';
import { ago, cells, columnNames } from './testdata/helpers.js';

const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: ago(600) });

function svc(spec: Service['spec'], status?: Service['status']): Service {
  return deepFreeze({ apiVersion: 'v1', kind: 'Service', metadata: meta('web'), spec, status } as Service);
}

test('service columns match Kubernetes', () => {
  assert.deepEqual(columnNames('/v1/services'), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
});

// [case, service, NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR]
const serviceCases: Array<[string, Service, unknown[]]> = [
  [
    'ClusterIP',
    svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], selector: { app: 'web', tier: 'fe' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] }),
    ['web', 'ClusterIP', '10.96.0.10', '<none>', '80/TCP', '10m', 'app=web,tier=fe'],
  ],
  [
    'headless with several ports, no selector',
    svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }),
    ['web', 'ClusterIP', 'None', '<none>', '53/UDP,53/TCP', '10m', '<none>'],
  ],
  [
    'NodePort with external IPs',
    svc({ type: 'NodePort', clusterIP: '10.96.4.2', externalIPs: ['192.0.2.10', '192.0.2.11'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }),
    ['web', 'NodePort', '10.96.4.2', '192.0.2.10,192.0.2.11', '80:30080/TCP', '10m', '<none>'],
  ],
  [
    'LoadBalancer pending',
    svc({ type: 'LoadBalancer', clusterIP: '10.96.4.3', ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] }),
    ['web', 'LoadBalancer', '10.96.4.3', '<pending>', '443:31443/TCP', '10m', '<none>'],
  ],
  [
    'LoadBalancer with ingress (sorted, deduplicated, hostnames when no IP) and external IPs, never clipped',
    svc(
      { type: 'LoadBalancer', clusterIP: '10.96.4.3', externalIPs: ['192.0.2.99'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] },
      { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.9' }] } },
    ),
    ['web', 'LoadBalancer', '10.96.4.3', '203.0.113.9,lb.example.com,192.0.2.99', '443:31443/TCP', '10m', '<none>'],
  ],
  [
    'ExternalName without ports',
    svc({ type: 'ExternalName', externalName: 'db.example.com' }),
    ['web', 'ExternalName', '<none>', 'db.example.com', '<none>', '10m', '<none>'],
  ],
];

for (const [name, s, want] of serviceCases) {
  test(`service row: ${name}`, () => {
    assert.deepEqual(cells('/v1/services', s), want);
  });
}

test('endpoints: ip:port per address and port, three then "+ N more..."', () => {
  assert.deepEqual(columnNames('/v1/endpoints'), ['Name', 'Endpoints', 'Age']);
  const ep = (subsets: unknown) => deepFreeze({ metadata: meta('web'), subsets });
  assert.deepEqual(cells('/v1/endpoints', ep(undefined)), ['web', '<none>', '10m']);
  assert.equal(cells('/v1/endpoints', ep([{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 80 }] }]))[1], '10.244.0.5:80');
  const five = [1, 2, 3, 4, 5].map((i) => ({ ip: `10.0.0.${i}` }));
  assert.equal(cells('/v1/endpoints', ep([{ addresses: five, ports: [{ port: 80 }] }]))[1], '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...');
  // Two ports × two addresses: four endpoints, listed port by port.
  const twoPorts = [{ addresses: five.slice(0, 2), ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }];
  assert.equal(cells('/v1/endpoints', ep(twoPorts))[1], '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
  // Headless without ports lists bare IPs; IPv6 hosts are bracketed with a port.
  assert.equal(cells('/v1/endpoints', ep([{ addresses: five.slice(0, 2) }]))[1], '10.0.0.1,10.0.0.2');
  assert.equal(cells('/v1/endpoints', ep([{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 80 }] }]))[1], '[fd00::5]:80');
  // Only not-ready addresses: an empty cell, as in Kubernetes.
  assert.equal(cells('/v1/endpoints', ep([{ notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ port: 80 }] }]))[1], '');
});

test('endpointslice: address type, ports and endpoints with <unset> and "+ N more..."', () => {
  assert.deepEqual(columnNames('discovery.k8s.io/v1/endpointslices'), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const slice = (ports: unknown, endpoints: unknown) => deepFreeze({ metadata: meta('web-abc12'), addressType: 'IPv4', ports, endpoints });
  assert.deepEqual(cells('discovery.k8s.io/v1/endpointslices', slice([], [])), ['web-abc12', 'IPv4', '<unset>', '<unset>', '10m']);
  const endpoints = [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'] }, { addresses: ['10.0.0.5'] }];
  const ports = [{ port: 80, name: 'http' }, { name: 'metrics' }, {}, { port: 9000 }];
  assert.deepEqual(cells('discovery.k8s.io/v1/endpointslices', slice(ports, endpoints)), [
    'web-abc12',
    'IPv4',
    '80,metrics,* + 1 more...',
    '10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...',
    '10m',
  ]);
});
