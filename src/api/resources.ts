/**
 * The resources Skiff serves, with the names, kinds, scope, short names, categories, verbs and
 * subresources Kubernetes gives them. Discovery, routing, storage keys and messages all read
 * this table, so a resource added here is served everywhere.
 */

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export interface SubresourceInfo {
  /** e.g. `status`, `scale`, `binding`, `log`, `eviction`. */
  name: string;
  /** Kind served on the subresource, e.g. Scale in autoscaling/v1. */
  kind: string;
  group: string;
  version: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural lower-case name used in paths: `replicasets`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: Verb[];
  subresources: SubresourceInfo[];
  /** DELETE without propagationPolicy: Kubernetes orphans for batch/v1 Jobs (legacy default). */
  defaultPropagation: 'Background' | 'Orphan';
}

/** `group/version`, or just `v1` for the core group. */
export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

const status = (group: string, version: string, kind: string): SubresourceInfo => ({
  name: 'status',
  kind,
  group,
  version,
  verbs: ['get', 'patch', 'update'],
});
const scale: SubresourceInfo = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

function resource(
  group: string,
  version: string,
  resourceName: string,
  kind: string,
  opts: Partial<Pick<ResourceInfo, 'namespaced' | 'shortNames' | 'categories' | 'verbs' | 'defaultPropagation'>> & {
    sub?: Array<SubresourceInfo | 'status' | 'scale'>;
  } = {},
): ResourceInfo {
  return {
    group,
    version,
    resource: resourceName,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced: opts.namespaced ?? true,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    verbs: opts.verbs ?? ALL_VERBS,
    subresources: (opts.sub ?? []).map((s) => (s === 'status' ? status(group, version, kind) : s === 'scale' ? scale : s)),
    defaultPropagation: opts.defaultPropagation ?? 'Background',
  };
}

const core = (name: string, kind: string, opts?: Parameters<typeof resource>[4]) => resource('', 'v1', name, kind, opts);

/** Every resource served, in discovery order. */
export const RESOURCES: readonly ResourceInfo[] = [
  core('bindings', 'Binding', { verbs: ['create'] }),
  core('configmaps', 'ConfigMap', { shortNames: ['cm'] }),
  core('endpoints', 'Endpoints', { shortNames: ['ep'] }),
  core('events', 'Event', { shortNames: ['ev'] }),
  core('namespaces', 'Namespace', {
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    sub: [
      'status',
      { name: 'finalize', kind: 'Namespace', group: '', version: 'v1', verbs: ['update'] },
    ],
  }),
  core('nodes', 'Node', { namespaced: false, shortNames: ['no'], sub: ['status'] }),
  core('persistentvolumeclaims', 'PersistentVolumeClaim', { shortNames: ['pvc'], sub: ['status'] }),
  core('persistentvolumes', 'PersistentVolume', { namespaced: false, shortNames: ['pv'], sub: ['status'] }),
  core('pods', 'Pod', {
    shortNames: ['po'],
    categories: ['all'],
    sub: [
      'status',
      { name: 'binding', kind: 'Binding', group: '', version: 'v1', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'log', kind: 'Pod', group: '', version: 'v1', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
      { name: 'attach', kind: 'PodAttachOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', group: '', version: 'v1', verbs: ['create', 'get'] },
    ],
  }),
  core('secrets', 'Secret'),
  core('serviceaccounts', 'ServiceAccount', { shortNames: ['sa'] }),
  core('services', 'Service', {
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    sub: ['status'],
  }),
  resource('apps', 'v1', 'controllerrevisions', 'ControllerRevision'),
  resource('apps', 'v1', 'daemonsets', 'DaemonSet', { shortNames: ['ds'], categories: ['all'], sub: ['status'] }),
  resource('apps', 'v1', 'deployments', 'Deployment', { shortNames: ['deploy'], categories: ['all'], sub: ['status', 'scale'] }),
  resource('apps', 'v1', 'replicasets', 'ReplicaSet', { shortNames: ['rs'], categories: ['all'], sub: ['status', 'scale'] }),
  resource('apps', 'v1', 'statefulsets', 'StatefulSet', { shortNames: ['sts'], categories: ['all'], sub: ['status', 'scale'] }),
  resource('batch', 'v1', 'cronjobs', 'CronJob', { shortNames: ['cj'], categories: ['all'], sub: ['status'] }),
  resource('batch', 'v1', 'jobs', 'Job', { categories: ['all'], sub: ['status'], defaultPropagation: 'Orphan' }),
  resource('coordination.k8s.io', 'v1', 'leases', 'Lease'),
  resource('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice'),
  resource('events.k8s.io', 'v1', 'events', 'Event', { shortNames: ['ev'] }),
];

/** API groups in discovery order, each with its served versions. The core group is "". */
export function apiGroups(): Array<{ group: string; versions: string[] }> {
  const groups = new Map<string, string[]>();
  for (const r of RESOURCES) {
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  return [...groups].map(([group, versions]) => ({ group, versions }));
}

const byPath = new Map<string, ResourceInfo>(RESOURCES.map((r) => [`${r.group}/${r.version}/${r.resource}`, r]));
const byKind = new Map<string, ResourceInfo>(RESOURCES.map((r) => [`${groupVersion(r)}/${r.kind}`, r]));

/** Looks up a resource by group, version and plural name. */
export function findResource(group: string, version: string, resourceName: string): ResourceInfo | undefined {
  return byPath.get(`${group}/${version}/${resourceName}`);
}

/** Looks up a resource by apiVersion (`apps/v1`, `v1`) and kind. */
export function findResourceByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return byKind.get(`${apiVersion}/${kind}`);
}

/** Looks up a resource by apiVersion and kind, throwing if it is not served. */
export function mustFindResource(apiVersion: string, kind: string): ResourceInfo {
  const r = findResourceByKind(apiVersion, kind);
  if (!r) throw new Error(`resource for ${apiVersion} ${kind} is not served`);
  return r;
}
