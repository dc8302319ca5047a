/**
 * What a namespace holds, found the way Kubernetes' namespace controller finds it: through API
 * discovery (ServerPreferredNamespacedResources), not a compiled-in list, so any resource the
 * server serves is emptied from a terminating namespace. Discovery failures of single groups are
 * not fatal — the rest is still deleted — but they are reported (ErrGroupDiscoveryFailed).
 */
import type { Client } from '../../client/client.js';

/** A namespaced resource the server serves, with the verbs it supports. */
export interface DiscoveredResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  verbs: ReadonlySet<string>;
}

/** Some group versions could not be discovered (client-go's ErrGroupDiscoveryFailed). */
export class GroupDiscoveryFailedError extends Error {
  constructor(readonly groups: ReadonlyMap<string, string>) {
    const parts = [...groups].map(([gv, msg]) => `${gv}: ${msg}`).sort();
    super(`unable to retrieve the complete list of server APIs: ${parts.join(', ')}`);
    this.name = 'GroupDiscoveryFailedError';
  }
}

interface APIResourceList {
  groupVersion?: string;
  resources?: Array<{ name: string; namespaced?: boolean; kind?: string; verbs?: string[] }>;
}

interface APIGroupList {
  groups?: Array<{ name: string; preferredVersion?: { version?: string }; versions?: Array<{ version: string }> }>;
}

export interface DiscoveryResult {
  resources: DiscoveredResource[];
  /** Set when discovery was incomplete; `resources` holds what was found. */
  error?: Error;
}

/** Every namespaced resource (preferred version of each group) that supports `delete`. */
export async function discoverDeletableNamespacedResources(client: Client, signal?: AbortSignal): Promise<DiscoveryResult> {
  const lists: Array<{ group: string; version: string; path: string }> = [];
  const failed = new Map<string, string>();
  const core = await client.request<{ versions?: string[] }>({ method: 'GET', path: '/api', ...(signal ? { signal } : {}) });
  for (const v of core.versions ?? []) lists.push({ group: '', version: v, path: `/api/${v}` });
  const groups = await client.request<APIGroupList>({ method: 'GET', path: '/apis', ...(signal ? { signal } : {}) });
  for (const g of groups.groups ?? []) {
    const version = g.preferredVersion?.version ?? g.versions?.[0]?.version;
    if (version) lists.push({ group: g.name, version, path: `/apis/${g.name}/${version}` });
  }
  const resources: DiscoveredResource[] = [];
  for (const l of lists) {
    let list: APIResourceList;
    try {
      list = await client.request<APIResourceList>({ method: 'GET', path: l.path, ...(signal ? { signal } : {}) });
    } catch (err) {
      failed.set(l.group ? `${l.group}/${l.version}` : l.version, err instanceof Error ? err.message : String(err));
      continue;
    }
    for (const r of list.resources ?? []) {
      // Subresources (`pods/status`) are not collections of their own.
      if (r.name.includes('/') || !r.namespaced) continue;
      const verbs = new Set(r.verbs ?? []);
      if (!verbs.has('delete')) continue;
      resources.push({ group: l.group, version: l.version, resource: r.name, kind: r.kind ?? '', verbs });
    }
  }
  return failed.size > 0 ? { resources, error: new GroupDiscoveryFailedError(failed) } : { resources };
}
