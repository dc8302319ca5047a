/**
 * Storage keys, laid out as Kubernetes lays them out in etcd:
 * `/registry/<resource>/<namespace>/<name>` for namespaced objects, `/registry/<resource>/<name>`
 * for cluster-scoped ones. core/v1 and events.k8s.io/v1 Events share `/registry/events/`.
 */
import type { ResourceInfo } from '../../api/resources.js';

export const REGISTRY_PREFIX = '/registry/';

/** The storage resource name: both Event APIs share core's storage. */
export function storageResource(r: ResourceInfo): string {
  return r.resource;
}

export function resourcePrefix(r: ResourceInfo): string {
  return `${REGISTRY_PREFIX}${storageResource(r)}/`;
}

/** Prefix for all objects of a resource in a namespace (or all of them when `namespace` is empty). */
export function scopePrefix(r: ResourceInfo, namespace: string): string {
  return r.namespaced && namespace ? `${resourcePrefix(r)}${namespace}/` : resourcePrefix(r);
}

export function objectKeyFor(r: ResourceInfo, namespace: string, name: string): string {
  return r.namespaced ? `${resourcePrefix(r)}${namespace}/${name}` : `${resourcePrefix(r)}${name}`;
}

/** The storage resource name in a key (`/registry/pods/ns/x` → `pods`), or undefined. */
export function resourceOfKey(key: string): string | undefined {
  if (!key.startsWith(REGISTRY_PREFIX)) return undefined;
  const end = key.indexOf('/', REGISTRY_PREFIX.length);
  return end < 0 ? undefined : key.slice(REGISTRY_PREFIX.length, end);
}
