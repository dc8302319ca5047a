/**
 * The cluster's network settings, published by the control plane for the node agents of other
 * machines: ConfigMap `kube-system/skiff-cluster-network` with `clusterCIDR`, `serviceCIDR`,
 * `clusterDNS` and `clusterDomain` (what kubeadm keeps in its `kube-system` ConfigMaps and
 * hands kubelets and kube-proxy when they join; nodes may `get` exactly this ConfigMap, as
 * kubeadm's `kubeadm:kubelet-config` Role lets `system:nodes` read theirs).
 *
 * An agent needs them before it can run pods with their own addresses: the service CIDR for the
 * proxy's rules and the DNS address, the cluster CIDR for the routes and filter rules.
 */
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { cidrAddress, formatCidr, parseCidr } from '../../api/cidr.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import type { Logger } from '../../client/log.js';
import { DNS_SERVICE_OFFSET, type ClusterNetworkPlan } from './host-network.js';
import { DEFAULT_CLUSTER_DOMAIN } from './pod-dns.js';

export const CLUSTER_NETWORK_NAMESPACE = 'kube-system';
export const CLUSTER_NETWORK_CONFIGMAP = 'skiff-cluster-network';

/** The ConfigMap for `plan`. */
export function clusterNetworkConfigMap(plan: ClusterNetworkPlan): ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CLUSTER_NETWORK_CONFIGMAP, namespace: CLUSTER_NETWORK_NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'skiff' } },
    data: {
      clusterCIDR: plan.clusterCIDR,
      serviceCIDR: plan.serviceCIDR,
      clusterDNS: cidrAddress(parseCidr(plan.serviceCIDR), DNS_SERVICE_OFFSET),
      clusterDomain: DEFAULT_CLUSTER_DOMAIN,
    },
  };
}

/** The plan a ConfigMap holds; throws an Error naming the bad field. */
export function parseClusterNetworkConfig(cm: ConfigMap): ClusterNetworkPlan {
  const d = cm.data ?? {};
  const field = (k: 'clusterCIDR' | 'serviceCIDR'): string => {
    const v = d[k];
    if (!v) throw new Error(`ConfigMap ${CLUSTER_NETWORK_NAMESPACE}/${CLUSTER_NETWORK_CONFIGMAP} has no ${k}`);
    return formatCidr(parseCidr(v));
  };
  return { clusterCIDR: field('clusterCIDR'), serviceCIDR: field('serviceCIDR') };
}

/** Creates or corrects the ConfigMap (a server at start); says so when another server published other ranges. */
export async function publishClusterNetworkConfig(client: Client, plan: ClusterNetworkPlan, logger: Logger): Promise<void> {
  const want = clusterNetworkConfigMap(plan);
  const api = client.configMaps(CLUSTER_NETWORK_NAMESPACE);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const cur = await api.get(CLUSTER_NETWORK_CONFIGMAP).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (!cur) return void (await api.create(want));
      const same = Object.entries(want.data!).every(([k, v]) => cur.data?.[k] === v);
      if (same) return;
      if (cur.data?.clusterCIDR || cur.data?.serviceCIDR) {
        logger.warn(`the cluster network configuration said cluster CIDR ${cur.data.clusterCIDR}, service CIDR ${cur.data.serviceCIDR}; this server uses ${plan.clusterCIDR} and ${plan.serviceCIDR}`);
      }
      await api.update({ ...cur, data: want.data! });
      return;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err)) throw err;
    }
  }
}

/** The cluster's plan as published, or undefined when the control plane publishes none. */
export async function readClusterNetworkConfig(client: Client): Promise<ClusterNetworkPlan | undefined> {
  try {
    return parseClusterNetworkConfig(await client.configMaps(CLUSTER_NETWORK_NAMESPACE).get(CLUSTER_NETWORK_CONFIGMAP));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
