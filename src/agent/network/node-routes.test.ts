import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Node } from 'kubernetes-types/core/v1.js';
import { silentLogger } from '../../client/log.js';
import { NodeRoutes, nodeInternalIP } from './node-routes.js';
import { clusterNetworkConfigMap, parseClusterNetworkConfig } from './cluster-network-config.js';

const node = (name: string, podCIDR: string | undefined, ip: string | undefined): Node => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
  status: { addresses: [{ type: 'Hostname', address: name }, ...(ip ? [{ type: 'InternalIP', address: ip }] : [])] },
});

test('host-gw routes: other machines only, through their InternalIP, inside the cluster CIDR', () => {
  const routes = new NodeRoutes({ clusterCIDR: '10.244.0.0/16', isLocal: (n) => n === 'node-1', logger: silentLogger });
  const want = routes.desired([
    node('node-1', '10.244.0.0/24', '192.0.2.200'), // this machine's own node
    node('remote-1', '10.244.1.0/24', '198.51.100.7'),
    node('remote-2', '10.244.2.0/24', '127.0.0.1'), // a node at a loopback address lives here
    node('remote-3', undefined, '198.51.100.9'), // no pod CIDR yet
    node('remote-4', '10.99.0.0/24', '198.51.100.10'), // outside the cluster CIDR
    node('remote-5', '10.244.5.0/24', undefined), // no address
  ]);
  assert.deepEqual([...want], [['10.244.1.0/24', '198.51.100.7']]);
});

test('nodeInternalIP takes the InternalIP, not the hostname', () => {
  assert.equal(nodeInternalIP(node('a', undefined, '198.51.100.7')), '198.51.100.7');
  assert.equal(nodeInternalIP(node('a', undefined, undefined)), undefined);
});

test('the cluster network ConfigMap round-trips and names what is missing', () => {
  const cm = clusterNetworkConfigMap({ clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' });
  assert.deepEqual(cm.data, { clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12', clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local' });
  assert.deepEqual(parseClusterNetworkConfig(cm), { clusterCIDR: '10.244.0.0/16', serviceCIDR: '10.96.0.0/12' });
  const broken: ConfigMap = { ...cm, data: { clusterCIDR: '10.244.0.0/16' } };
  assert.throws(() => parseClusterNetworkConfig(broken), /kube-system\/skiff-cluster-network has no serviceCIDR/);
  assert.throws(() => parseClusterNetworkConfig({ ...cm, data: { ...cm.data, clusterCIDR: '10.244.0.0/33' } }), /invalid CIDR address/);
});
