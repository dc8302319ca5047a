/**
 * Authorization. Administrators (system:masters) may do anything. Node agents get what a
 * kubelet needs and no more, after Kubernetes' Node authorizer and NodeRestriction admission:
 * read nodes, pods, services and endpoints; write their own Node, Lease and the status of pods
 * bound to them; create events; read (never list) secrets, configmaps and volume claims that a
 * pod bound to them references; read persistent volumes, and update the ones pinned to them (the
 * local-path cleanup finalizer, src/agent/local-volumes.ts). Everything else is 403.
 */
import type { UserInfo } from '../../api/http.js';
import type { StoredObject } from '../../api/object.js';
import { forbidden, type StatusError } from '../../api/errors.js';
import type { ResourceRequest } from '../request-info.js';
import { ADMIN_GROUP, nodeNameOf } from './authn.js';

/** Lookups the node rules need; served from the watch cache. */
export interface AuthzLookups {
  pod(namespace: string, name: string): StoredObject | undefined;
  podsOnNode(node: string): Iterable<StoredObject>;
  /** A PersistentVolume by name (cluster-scoped). */
  persistentVolume?(name: string): StoredObject | undefined;
  /** A Node by name (for the value of its `kubernetes.io/hostname` label). */
  node?(name: string): StoredObject | undefined;
}

const READ = new Set(['get', 'list', 'watch']);

export function isAdmin(user: UserInfo): boolean {
  return user.groups.includes(ADMIN_GROUP);
}

function deny(user: UserInfo, ri: ResourceRequest, why: string): StatusError {
  const what = `${ri.resource}${ri.subresource ? '/' + ri.subresource : ''}`;
  const gr = ri.group ? `${what}.${ri.group}` : what;
  const scope = ri.namespace ? ` in the namespace "${ri.namespace}"` : ri.info?.namespaced === false ? ' at the cluster scope' : '';
  const named = ri.name ? ` "${ri.name}"` : '';
  return forbidden(`${gr}${named} is forbidden: User "${user.name}" cannot ${ri.verb} resource "${what}" in API group "${ri.group}"${scope}: ${why}`, { group: ri.group, resource: ri.resource }, ri.name || undefined);
}

/** Throws 403 unless `user` may perform the request. */
export function authorize(user: UserInfo, ri: ResourceRequest, lookups: AuthzLookups): void {
  if (isAdmin(user)) return;
  const node = nodeNameOf(user);
  if (!node) throw deny(user, ri, 'no RBAC policy matched');
  const why = nodeDecision(node, ri, lookups);
  if (why !== undefined) throw deny(user, ri, why);
}

/** undefined = allowed; otherwise the reason for denial. */
function nodeDecision(node: string, ri: ResourceRequest, lookups: AuthzLookups): string | undefined {
  const g = ri.group;
  const r = ri.resource;
  const sub = ri.subresource;
  const verb = ri.verb;
  const own = `can only access its own ${r}`;
  if (g === '' && r === 'nodes') {
    if (READ.has(verb) && !sub) return undefined;
    if (verb === 'create' && !sub) return undefined; // NodeRestriction checks the name in the body
    if ((verb === 'update' || verb === 'patch') && (sub === '' || sub === 'status')) return ri.name === node ? undefined : own;
    if (verb === 'delete' && !sub) return ri.name === node ? undefined : own;
    return 'node may not perform this action on nodes';
  }
  if (g === 'coordination.k8s.io' && r === 'leases') {
    if (ri.namespace !== 'kube-node-lease') return 'node may only use leases in kube-node-lease';
    if (verb === 'create') return undefined;
    if (['get', 'update', 'patch', 'delete'].includes(verb)) return ri.name === node ? undefined : own;
    return 'node may not list leases';
  }
  if (g === '' && r === 'pods') {
    if (READ.has(verb) && !sub) return undefined;
    if ((sub === 'status' && (verb === 'update' || verb === 'patch' || verb === 'get')) || (verb === 'delete' && !sub)) {
      const pod = lookups.pod(ri.namespace, ri.name);
      if (!pod) return undefined; // let the handler answer 404
      return (pod as { spec?: { nodeName?: string } }).spec?.nodeName === node ? undefined : 'pod is not bound to this node';
    }
    return 'node may not perform this action on pods';
  }
  if ((g === '' && r === 'events') || (g === 'events.k8s.io' && r === 'events')) {
    return ['create', 'update', 'patch', 'get', 'list', 'watch'].includes(verb) ? undefined : 'node may not delete events';
  }
  if ((g === '' && (r === 'services' || r === 'endpoints' || r === 'namespaces')) || (g === 'discovery.k8s.io' && r === 'endpointslices')) {
    return READ.has(verb) && !sub ? undefined : `node may only read ${r}`;
  }
  // The cluster's network settings a joining agent needs (src/agent/network/cluster-network-config.ts),
  // as kubeadm's kubeadm:kubelet-config Role lets system:nodes read kube-system/kubelet-config.
  if (g === '' && r === 'configmaps' && verb === 'get' && !sub && ri.namespace === 'kube-system' && ri.name === 'skiff-cluster-network') return undefined;
  if (g === '' && (r === 'secrets' || r === 'configmaps' || r === 'persistentvolumeclaims' || r === 'serviceaccounts')) {
    if (verb !== 'get' || sub) return `node may only get individual ${r} referenced by its pods`;
    return referencedByNodePod(node, r, ri.namespace, ri.name, lookups) ? undefined : `no relationship found between node '${node}' and this object`;
  }
  if (g === '' && r === 'persistentvolumes') {
    // Kubernetes' node authorizer lets a node get the volumes of its pods. Skiff's agents also
    // watch volumes (a deleted local-path volume must be found after its pod and claim are gone;
    // a volume has no field that selects by node) and update the ones pinned to them, to drop the
    // local-path cleanup finalizer once their directory is gone.
    if (READ.has(verb) && !sub) return undefined;
    if ((verb === 'update' || verb === 'patch') && !sub) {
      const pv = lookups.persistentVolume?.(ri.name);
      if (!pv) return undefined; // let the handler answer 404
      return volumePinnedTo(pv, node, lookups) ? undefined : 'persistentvolume is not pinned to this node';
    }
    return 'node may only read persistentvolumes and update the ones pinned to it';
  }
  return 'no relationship found between node and this object';
}

/**
 * Whether a volume's required node affinity is exactly `kubernetes.io/hostname In [<this node>]`
 * (what the local-path provisioner writes), the value being the node's hostname label or name.
 */
function volumePinnedTo(pv: StoredObject, node: string, lookups: AuthzLookups): boolean {
  const terms = (pv as { spec?: { nodeAffinity?: { required?: { nodeSelectorTerms?: Array<{ matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }> }> } } } }).spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return false;
  const exprs = terms[0]?.matchExpressions ?? [];
  if (exprs.length !== 1) return false;
  const e = exprs[0]!;
  if (e.key !== 'kubernetes.io/hostname' || e.operator !== 'In' || e.values?.length !== 1) return false;
  const hostname = (lookups.node?.(node) as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata?.labels?.['kubernetes.io/hostname'] ?? node;
  return e.values[0] === hostname;
}

interface PodSpecRefs {
  spec?: {
    serviceAccountName?: string;
    volumes?: Array<{
      secret?: { secretName?: string };
      configMap?: { name?: string };
      persistentVolumeClaim?: { claimName?: string };
      projected?: { sources?: Array<{ secret?: { name?: string }; configMap?: { name?: string } }> };
    }>;
    imagePullSecrets?: Array<{ name?: string }>;
    containers?: ContainerRefs[];
    initContainers?: ContainerRefs[];
  };
}
interface ContainerRefs {
  env?: Array<{ valueFrom?: { secretKeyRef?: { name?: string }; configMapKeyRef?: { name?: string } } }>;
  envFrom?: Array<{ secretRef?: { name?: string }; configMapRef?: { name?: string } }>;
}

function referencedByNodePod(node: string, resource: string, namespace: string, name: string, lookups: AuthzLookups): boolean {
  for (const pod of lookups.podsOnNode(node)) {
    if (pod.metadata.namespace !== namespace) continue;
    if (podReferences(pod as PodSpecRefs, resource, name)) return true;
  }
  return false;
}

function podReferences(pod: PodSpecRefs, resource: string, name: string): boolean {
  const spec = pod.spec ?? {};
  if (resource === 'serviceaccounts') return (spec.serviceAccountName ?? 'default') === name;
  for (const v of spec.volumes ?? []) {
    if (resource === 'secrets' && v.secret?.secretName === name) return true;
    if (resource === 'configmaps' && v.configMap?.name === name) return true;
    if (resource === 'persistentvolumeclaims' && v.persistentVolumeClaim?.claimName === name) return true;
    for (const s of v.projected?.sources ?? []) {
      if (resource === 'secrets' && s.secret?.name === name) return true;
      if (resource === 'configmaps' && s.configMap?.name === name) return true;
    }
  }
  if (resource === 'secrets' && (spec.imagePullSecrets ?? []).some((s) => s.name === name)) return true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      if (resource === 'secrets' && e.valueFrom?.secretKeyRef?.name === name) return true;
      if (resource === 'configmaps' && e.valueFrom?.configMapKeyRef?.name === name) return true;
    }
    for (const e of c.envFrom ?? []) {
      if (resource === 'secrets' && e.secretRef?.name === name) return true;
      if (resource === 'configmaps' && e.configMapRef?.name === name) return true;
    }
  }
  return false;
}
