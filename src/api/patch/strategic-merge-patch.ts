/**
 * `application/strategic-merge-patch+json` as apimachinery's StrategicMergeMapPatch applies it on the
 * server (MergeParallelList and IgnoreUnmatchedNulls both on):
 * - maps merge key by key, `null` deletes a key;
 * - lists whose field is tagged `patchStrategy: merge` merge by `patchMergeKey` (lists of maps) or as
 *   sets (lists of primitives, e.g. finalizers); other lists are replaced;
 * - `$patch: replace | delete` in a map, `$patch: replace | delete` in a list element
 *   (`merge` is rejected, as upstream does);
 * - `$setElementOrder/<list>` fixes the final order of a merged list;
 * - `$deleteFromPrimitiveList/<list>` removes primitives from a merged primitive list;
 * - `$retainKeys` clears keys of the live map that the list does not name (retainKeys strategy:
 *   Deployment `strategy`, volume sources).
 * One deliberate difference: where upstream copies a patch value verbatim into a key the live object
 * lacks (leaving directives in it for the typed decoder to trip over), we merge it into an empty value,
 * so directives in new subtrees are honoured and their nulls dropped.
 */
import type { TypeSchema } from '../schema/types.js';
import { badRequest } from '../errors.js';
import { cloneJson, goFormat, goTypeName, isObject, jsonKindWord, type JsonObject } from './go-json.js';
import { DEDUCED, registryPatchSchema, resolverFor, type PatchSchema, type Shape, type ShapeResolver } from './patch-schema.js';
import { errBadArgType, errBadPatchType, errNoMergeKey, smpBadRequest, smpInternal, smpInvalid, SMP_ERRORS } from './smp-errors.js';
import { DIRECTIVE, asMap, normalizeElementOrder, partitionByPresence, splitDeleteItems } from './smp-order.js';

export const RETAIN_KEYS_DIRECTIVE = '$retainKeys';
export const SET_ELEMENT_ORDER_PREFIX = '$setElementOrder';
export const DELETE_FROM_PRIMITIVE_LIST_PREFIX = '$deleteFromPrimitiveList';

/**
 * Applies a strategic merge patch to `doc` (typed by `rootType`, looked up in `schema`) and returns
 * the patched copy. Throws StatusErrors with the codes Kubernetes uses.
 */
export function applyStrategicMergePatch<T>(doc: T, patch: unknown, rootType: TypeSchema | undefined, schema: PatchSchema = registryPatchSchema): T {
  if (!isObject(patch)) {
    if (patch === null) return cloneJson(doc);
    throw badRequest(`json: cannot unmarshal ${jsonKindWord(patch)} into Go value of type map[string]interface {}`);
  }
  const resolver = resolverFor(schema);
  const original = isObject(doc) ? cloneJson(doc as JsonObject) : {};
  return new Merger(resolver).mergeMap(original, cloneJson(patch), resolver.root(rootType)) as T;
}

/** The strategy left once `retainKeys` is taken out (extractRetainKeysPatchStrategy). */
function baseStrategy(strategy: string | undefined): string {
  if (!strategy) return '';
  const parts = strategy.split(',').filter((p) => p !== 'retainKeys');
  if (parts.length > 1) throw smpInternal(`unexpected patch strategy: ${strategy}`);
  return parts[0] ?? '';
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw smpBadRequest(prefix === SET_ELEMENT_ORDER_PREFIX ? SMP_ERRORS.badPatchFormatForSetElementOrderList : SMP_ERRORS.badPatchFormatForPrimitiveList);
  }
  return key.slice(slash + 1);
}

type ValueClass = 'map' | 'list' | 'scalar';
function classOf(v: unknown): ValueClass {
  return Array.isArray(v) ? 'list' : isObject(v) ? 'map' : 'scalar';
}

/** Go's reflect type of list elements, for sliceElementType's checks. */
function elementType(...lists: readonly unknown[][]): string | undefined {
  let t: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      const vt = goTypeName(v);
      if (t === undefined) {
        t = vt;
        if (vt === '[]interface {}') throw smpInvalid(SMP_ERRORS.noListOfLists);
      } else if (t !== vt) {
        throw smpInternal(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  return t;
}

/** Removes null members of maps at every depth (the typed decoder drops them on the server). */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  for (const k of Object.keys(v)) {
    if (v[k] === null) delete v[k];
    else v[k] = dropNulls(v[k]) as JsonObject[string];
  }
  return v;
}

class Merger {
  constructor(private readonly resolver: ShapeResolver) {}

  mergeMap(original: JsonObject, patch: JsonObject, shape: Shape): JsonObject {
    if (Object.prototype.hasOwnProperty.call(patch, DIRECTIVE)) {
      const directive = patch[DIRECTIVE];
      if (directive === 'replace') {
        delete patch[DIRECTIVE];
        return dropNulls(patch) as JsonObject;
      }
      if (directive === 'delete') return {};
      throw errBadPatchType(directive, patch);
    }
    this.applyRetainKeys(original, patch);
    this.mergeOrderedLists(original, patch, shape);

    for (const k of Object.keys(patch)) {
      let key = k;
      let isDeleteList = false;
      if (k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)) {
        key = extractKey(k, DELETE_FROM_PRIMITIVE_LIST_PREFIX);
        isDeleteList = true;
      }
      const patchV = patch[k];
      if (patchV === null || patchV === undefined) {
        delete original[key];
        continue;
      }
      const child = this.resolver.child(shape, key);
      if (!Object.prototype.hasOwnProperty.call(original, key)) {
        if (!isDeleteList) original[key] = this.newValue(patchV, child.shape) as JsonObject[string];
        continue;
      }
      const originalV = original[key];
      const cls = classOf(patchV);
      if (classOf(originalV) !== cls) {
        if (!isDeleteList) original[key] = this.newValue(patchV, child.shape) as JsonObject[string];
        continue;
      }
      if (cls === 'map') {
        original[key] =
          baseStrategy(child.field?.patchStrategy) === 'replace'
            ? (dropNulls(patchV) as JsonObject)
            : this.mergeMap(originalV as JsonObject, patchV as JsonObject, child.shape);
      } else if (cls === 'list') {
        original[key] = this.mergeSliceHandler(originalV as unknown[], patchV as unknown[], child.shape, isDeleteList) as JsonObject[string];
      } else {
        original[key] = patchV;
      }
    }
    return original;
  }

  /** A patch value for a key the live map lacks: merged into an empty value of its shape. */
  private newValue(patchV: unknown, shape: Shape): unknown {
    if (isObject(patchV)) return this.mergeMap({}, patchV, shape.kind === 'list' || shape.kind === 'scalar' ? DEDUCED : shape);
    if (Array.isArray(patchV)) return this.mergeSliceHandler([], patchV, shape, false);
    return patchV;
  }

  private mergeSliceHandler(original: unknown[], patch: unknown[], shape: Shape, isDeleteList: boolean): unknown[] {
    if (shape.kind !== 'list' || baseStrategy(shape.patchStrategy) !== 'merge') return dropNulls(patch) as unknown[];
    return this.mergeSlice(original, patch, shape.element, shape.patchMergeKey, isDeleteList);
  }

  private mergeSlice(original: unknown[], patch: unknown[], element: Shape, mergeKey: string, isDeleteList: boolean): unknown[] {
    if (original.length === 0 && patch.length === 0) return original;
    const t = elementType(original, patch);
    const maps = t === 'map[string]interface {}';
    let serverOrder = original;
    let patchItems = patch;
    let merged: unknown[];
    if (!maps) {
      if (isDeleteList) {
        const drop = new Set(patch);
        return original.filter((v) => !drop.has(v));
      }
      merged = [...new Set([...original, ...patch])];
    } else {
      if (!mergeKey) throw smpInternal('cannot merge lists without merge key for type struct');
      ({ original: serverOrder, patch: patchItems } = this.applySpecialElements(original, patch, mergeKey));
      merged = serverOrder.slice();
      for (const v of patchItems) {
        const item = v as JsonObject;
        if (!(mergeKey in item)) throw errNoMergeKey(item, mergeKey);
        const at = merged.findIndex((o) => asMap(o)[mergeKey] === item[mergeKey]);
        if (at >= 0) merged[at] = this.mergeMap(merged[at] as JsonObject, item, element);
        else merged.push(this.mergeMap({}, item, element));
      }
    }
    const key = maps ? mergeKey : '';
    const { present, absent } = partitionByPresence(merged, patchItems, key);
    return normalizeElementOrder(present, absent, patchItems, serverOrder, key, maps);
  }

  /** `$patch: delete` removes matching items; `$patch: replace` replaces the whole list. */
  private applySpecialElements(original: unknown[], patch: unknown[], mergeKey: string): { original: unknown[]; patch: unknown[] } {
    const plain: unknown[] = [];
    let replace = false;
    let current = original;
    for (const v of patch) {
      const item = v as JsonObject;
      if (!Object.prototype.hasOwnProperty.call(item, DIRECTIVE)) {
        plain.push(item);
        continue;
      }
      switch (item[DIRECTIVE]) {
        case 'delete':
          if (!(mergeKey in item)) throw errNoMergeKey(item, mergeKey);
          current = current.filter((o) => asMap(o)[mergeKey] !== item[mergeKey]);
          break;
        case 'replace':
          replace = true;
          break;
        case 'merge':
          throw smpInternal('merging lists cannot yet be specified in the patch');
        default:
          throw errBadPatchType(item[DIRECTIVE], item);
      }
    }
    if (replace) return { original: plain.map((p) => dropNulls(p)), patch: [] };
    return { original: current, patch: plain };
  }

  /** `$retainKeys`: every patched key must be listed; live keys not listed are cleared. */
  private applyRetainKeys(original: JsonObject, patch: JsonObject): void {
    if (!Object.prototype.hasOwnProperty.call(patch, RETAIN_KEYS_DIRECTIVE)) return;
    const list = patch[RETAIN_KEYS_DIRECTIVE];
    delete patch[RETAIN_KEYS_DIRECTIVE];
    if (!Array.isArray(list)) throw smpBadRequest(SMP_ERRORS.badPatchFormatForRetainKeys);
    const retain = new Set<unknown>(list);
    for (const k of Object.keys(patch)) {
      if (patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST_PREFIX) || k.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
      if (!retain.has(k)) throw smpInvalid(SMP_ERRORS.patchContentNotMatchRetainKeys);
    }
    for (const k of Object.keys(original)) if (!retain.has(k)) delete original[k];
  }

  /** `$setElementOrder/<list>`: merges that list now and puts it in the requested order. */
  private mergeOrderedLists(original: JsonObject, patch: JsonObject, shape: Shape): void {
    for (const k of Object.keys(patch)) {
      if (!k.startsWith(SET_ELEMENT_ORDER_PREFIX)) continue;
      const order = patch[k];
      delete patch[k];
      if (!Array.isArray(order)) throw errBadArgType('slice', order);
      const key = extractKey(k, SET_ELEMENT_ORDER_PREFIX);
      const foundOriginal = Object.prototype.hasOwnProperty.call(original, key);
      const foundPatch = Object.prototype.hasOwnProperty.call(patch, key);
      if (!foundOriginal && !foundPatch) continue;
      const originalList = foundOriginal ? original[key] : [];
      const patchList = foundPatch ? patch[key] : [];
      if (!Array.isArray(originalList)) throw errBadArgType('slice', originalList);
      if (!Array.isArray(patchList)) throw errBadArgType('slice', patchList);
      const listShape = this.resolver.child(shape, key).shape;
      const mergeKey = listShape.kind === 'list' ? listShape.patchMergeKey : '';
      validateAgainstOrder(patchList, order, mergeKey);

      let merged: unknown[];
      if (foundOriginal && !foundPatch) merged = originalList;
      else merged = this.mergeSliceHandler(foundOriginal ? originalList : [], patchList, listShape, false);

      const t = elementType(originalList, patchList) ?? elementType(merged);
      const maps = t === 'map[string]interface {}' && mergeKey !== '';
      const { present, absent } = partitionByPresence(merged, order, maps ? mergeKey : '');
      original[key] = normalizeElementOrder(present, absent, order, originalList, maps ? mergeKey : '', maps) as JsonObject[string];
      delete patch[key];
    }
  }
}

/** The patch list must follow `$setElementOrder`'s relative order (validatePatchWithSetOrderList). */
function validateAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? splitDeleteItems(patchList).keep : patchList;
  let pi = 0;
  let oi = 0;
  while (pi < items.length && oi < order.length) {
    const item = items[pi];
    if (isObject(item) && DIRECTIVE in item) {
      pi++;
      continue;
    }
    let equal: boolean;
    if (!mergeKey) equal = item === order[oi];
    else {
      const l = asMap(item);
      const r = asMap(order[oi]);
      if (!(mergeKey in l)) throw errNoMergeKey(l, mergeKey);
      if (!(mergeKey in r)) throw errNoMergeKey(r, mergeKey);
      equal = l[mergeKey] === r[mergeKey];
    }
    if (equal) pi++;
    oi++;
  }
  if (pi < items.length && oi >= order.length) {
    throw smpInternal(`The order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER_PREFIX} list:\n${goFormat(order)}\n`);
  }
}

