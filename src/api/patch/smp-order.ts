/**
 * List ordering for strategic merge patch, as apimachinery's normalizeElementOrder does it: items the
 * patch mentions take the patch's (or `$setElementOrder`'s) order, server-only items keep the live
 * order, and the two runs are interleaved by their positions in the live list. Items new to the live
 * list go before the next server-only item (so a merge without `$setElementOrder` puts new items
 * first, as Kubernetes does).
 */
import { isObject, type JsonObject } from './go-json.js';
import { errBadArgType, errNoMergeKey } from './smp-errors.js';

export const DIRECTIVE = '$patch';

/** The value an item is identified by: its merge key for maps, itself for primitives. */
function identity(item: unknown, mergeKey: string, maps: boolean): unknown {
  if (!maps) return item;
  return isObject(item) ? item[mergeKey] : undefined;
}

/** Index of `item` in `list` by identity, or -1 (apimachinery's `index`). */
export function indexIn(list: readonly unknown[], item: unknown, mergeKey: string, maps: boolean): number {
  const want = identity(item, mergeKey, maps);
  for (let i = 0; i < list.length; i++) if (identity(list[i], mergeKey, maps) === want) return i;
  return -1;
}

/** Splits items into those present in `by` (by identity) and the rest, keeping order. */
export function partitionByPresence(
  items: readonly unknown[],
  by: readonly unknown[],
  mergeKey: string,
): { present: unknown[]; absent: unknown[] } {
  const present: unknown[] = [];
  const absent: unknown[] = [];
  if (!mergeKey) {
    const inBy = new Set(by);
    for (const v of items) (inBy.has(v) ? present : absent).push(v);
    return { present, absent };
  }
  const keys = new Set<unknown>();
  for (const v of by) if (isObject(v) && mergeKey in v) keys.add(v[mergeKey]);
  for (const v of items) {
    if (!isObject(v)) throw errBadArgType('map', v);
    if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
    (keys.has(v[mergeKey]) ? present : absent).push(v);
  }
  return { present, absent };
}

/** Items carrying `$patch: delete` versus the rest (extractToDeleteItems). */
export function splitDeleteItems(list: readonly unknown[]): { keep: unknown[]; toDelete: unknown[] } {
  const keep: unknown[] = [];
  const toDelete: unknown[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType('map', v);
    (v[DIRECTIVE] === 'delete' ? toDelete : keep).push(v);
  }
  return { keep, toDelete };
}

function sortByOrder(toSort: unknown[], order: readonly unknown[], mergeKey: string, maps: boolean): unknown[] {
  let items = toSort;
  let toDelete: unknown[] = [];
  if (maps) {
    for (const list of [toSort, order]) {
      for (const v of list) {
        if (!isObject(v)) throw errBadArgType('map', v);
        if (!(mergeKey in v)) throw errNoMergeKey(v, mergeKey);
      }
    }
    ({ keep: items, toDelete } = splitDeleteItems(toSort));
  }
  const pos = new Map<unknown, number>();
  for (const v of items) pos.set(v, indexIn(order, v, mergeKey, maps));
  const sorted = [...items].sort((a, b) => {
    const ia = pos.get(a) ?? -1;
    const ib = pos.get(b) ?? -1;
    return ia >= 0 && ib >= 0 ? ia - ib : 0;
  });
  return sorted.concat(toDelete);
}

/**
 * Orders `patchItems` by `patchOrder` and `serverOnly` by `serverOrder`, then interleaves them:
 * a server-only item goes before the next patch item only when both are in `serverOrder` and it comes
 * first there.
 */
export function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string,
  maps: boolean,
): unknown[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, maps);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, maps);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, maps);
      const ri = indexIn(serverOrder, right[j], mergeKey, maps);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Plain-object check that also narrows for callers. */
export function asMap(v: unknown): JsonObject {
  if (!isObject(v)) throw errBadArgType('map', v);
  return v;
}
