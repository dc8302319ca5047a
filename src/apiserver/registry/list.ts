/**
 * LIST with Kubernetes' semantics: selectors, `limit`/`continue` paging where every page reflects
 * the same resourceVersion, and `resourceVersion`/`resourceVersionMatch`.
 *
 * Pages come from the watch cache while the resource has not changed since the first page's
 * revision; otherwise from the store's history at that revision (as etcd serves paged lists),
 * and 410 Expired once that history has been compacted.
 */
import type { StoredObject } from '../../api/object.js';
import type { ResourceInfo } from '../../api/resources.js';
import { StatusError, badRequest } from '../../api/errors.js';
import { CompactedError } from '../../storage/store.js';
import type { Registry } from './registry.js';
import { scopePrefix, storageResource } from './keys.js';
import { type CacheEntry } from './object-cache.js';

export interface ListRequest {
  namespace: string;
  /** Returns true for objects to include (label and field selectors). */
  filter: (obj: StoredObject) => boolean;
  /** True when any selector is set (then remainingItemCount is not reported, as in Kubernetes). */
  filtered: boolean;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  /** Entries from the cache (JSON reusable) or decoded from the store. */
  items: CacheEntry[];
  resourceVersion: number;
  continueToken?: string;
  remainingItemCount?: number;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, lastKey: string): string {
  const token: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: lastKey + '\u0000' };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(token: string): { rv: number; afterKey: string } {
  let parsed: ContinueToken;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw badRequest(`continue key is not valid: ${token.length > 64 ? token.slice(0, 64) + '…' : token}`);
  }
  if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string' || !parsed.start.endsWith('\u0000')) {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
  return { rv: parsed.rv, afterKey: parsed.start.slice(0, -1) };
}

function tooOldContinue(): StatusError {
  return new StatusError(
    410,
    'Expired',
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
  );
}

function parseRV(rv: string | undefined): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${rv}`, [{ reason: 'FieldValueInvalid', field: 'resourceVersion' }]);
  return Number(rv);
}

export async function listObjects(reg: Registry, info: ResourceInfo, req: ListRequest): Promise<ListResult> {
  const resource = storageResource(info);
  const limit = req.limit && req.limit > 0 ? req.limit : 0;
  const match = req.resourceVersionMatch ?? '';
  if (match && match !== 'Exact' && match !== 'NotOlderThan') {
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  const rv = parseRV(req.resourceVersion);
  if (match && rv === undefined) throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (req.continueToken && rv !== undefined && rv !== 0) {
    throw badRequest('specifying resource version is not allowed when using continue');
  }

  let atRev: number | undefined;
  let afterKey = '';
  // resourceVersion unset: the list must reflect every write acknowledged so far, including
  // those made through other API servers sharing the store (Kubernetes' consistent list).
  if (!req.continueToken && rv === undefined) await reg.cache.syncLatest();
  if (req.continueToken) {
    const c = decodeContinue(req.continueToken);
    atRev = c.rv;
    afterKey = c.afterKey;
  } else if (rv !== undefined && rv !== 0) {
    // A non-zero resourceVersion with limit, or with match=Exact, lists exactly at that revision;
    // otherwise ("NotOlderThan") any state at least that new will do.
    if (match === 'Exact' || (limit > 0 && match === '')) atRev = rv;
    else if (!(await reg.cache.waitForRevision(rv, 3000))) {
      throw new StatusError(504, 'Timeout', `Too large resource version: ${rv}, current: ${reg.cache.revision}`, {
        causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
        retryAfterSeconds: 1,
      });
    }
  }

  // Serve from the cache when it reflects the requested revision for this resource.
  const current = reg.cache.revision;
  if (atRev === undefined || (atRev <= current && reg.cache.lastChange(resource) <= atRev)) {
    const rev = atRev ?? current;
    return pageFromCache(reg, resource, req, rev, afterKey, limit);
  }
  if (atRev > current) {
    throw new StatusError(504, 'Timeout', `Too large resource version: ${atRev}, current: ${current}`, { retryAfterSeconds: 1 });
  }
  return pageFromStore(reg, info, req, atRev, afterKey, limit);
}

function pageFromCache(reg: Registry, resource: string, req: ListRequest, rev: number, afterKey: string, limit: number): ListResult {
  const items: CacheEntry[] = [];
  let lastKey = '';
  let more = false;
  for (const e of reg.cache.scan(resource, req.namespace, afterKey)) {
    if (!req.filter(e.obj)) continue;
    if (limit > 0 && items.length >= limit) {
      more = true;
      break;
    }
    items.push(e);
    lastKey = e.key;
  }
  const result: ListResult = { items, resourceVersion: rev };
  if (more) {
    result.continueToken = encodeContinue(rev, lastKey);
    if (!req.filtered) {
      const total = reg.cache.count(resource, req.namespace);
      const before = countBefore(reg, resource, req.namespace, afterKey);
      result.remainingItemCount = Math.max(0, total - before - items.length);
    }
  }
  return result;
}

function countBefore(reg: Registry, resource: string, namespace: string, afterKey: string): number {
  if (!afterKey) return 0;
  let n = 0;
  for (const e of reg.cache.scan(resource, namespace)) {
    if (e.key > afterKey) break;
    n++;
  }
  return n;
}

/** Store pages are fetched in chunks until `limit` matching items are found. */
const STORE_CHUNK = 500;

async function pageFromStore(reg: Registry, info: ResourceInfo, req: ListRequest, rev: number, afterKey: string, limit: number): Promise<ListResult> {
  const prefix = scopePrefix(info, req.namespace);
  const items: CacheEntry[] = [];
  let cursor = afterKey;
  let lastKey = '';
  let more = false;
  for (;;) {
    let page;
    try {
      page = await reg.store.list(prefix, { revision: rev, afterKey: cursor, limit: STORE_CHUNK });
    } catch (err) {
      if (err instanceof CompactedError) throw tooOldContinue();
      throw err;
    }
    for (const kv of page.items) {
      cursor = kv.key;
      const obj = JSON.parse(kv.value) as StoredObject;
      obj.metadata.resourceVersion = String(kv.modRevision);
      if (!req.filter(obj)) continue;
      if (limit > 0 && items.length >= limit) {
        more = true;
        break;
      }
      items.push({ key: kv.key, namespace: obj.metadata.namespace ?? '', obj, rev: kv.modRevision });
      lastKey = kv.key;
    }
    if (more || !page.more) break;
  }
  const result: ListResult = { items, resourceVersion: rev };
  if (more) result.continueToken = encodeContinue(rev, lastKey);
  return result;
}
