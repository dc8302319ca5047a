/**
 * structured-merge-diff's operations on typed values, over plain JSON plus {@link Shape}s:
 * the field set an applied configuration owns (ToFieldSet), the comparison of two versions of an
 * object (Added / Modified / Removed), the merge of an applied configuration into the live object,
 * and the removal of a set of fields (RemoveItems). Semantics follow the upstream walkers:
 * - scalars, atomic lists/maps/structs, and values that are empty on both sides are leaves;
 * - associative lists are keyed by their list-map keys (`k:{...}`) or, for sets, by value (`v:...`);
 * - a map or list that appears or disappears as a whole is itself added/removed, besides its children.
 *
 * Skiff keeps objects as JSON with empty structs omitted, where Kubernetes' typed objects always carry
 * non-pointer structs (`spec`, `template`): so a struct field appearing with content is not recorded as
 * added itself (which would put `.` under `f:spec`); maps, lists, list items and empty values are.
 */
import { cloneJson, compareStrings, goJson, goQuoteJson, isObject, jsonEqual, type JsonObject } from './go-json.js';
import { LEAF, childKeys, hasChildren, isMember, makeNode, pathToString, type FieldsTree } from './fieldpath.js';
import { DEDUCED, LIST_MAP_KEY_DEFAULTS, type Shape, type ShapeResolver } from './patch-schema.js';

/** A value that does not fit its schema (duplicate list keys, missing key fields). */
export class TypedValueError extends Error {}

type ListShape = Extract<Shape, { kind: 'list' }>;

/** How strict list keying is: an applied configuration must not hold duplicates; live objects may. */
export interface KeyOptions {
  allowDuplicates: boolean;
}

const isNil = (v: unknown) => v === undefined || v === null;
const ATOMIC_SHAPE: Shape = { kind: 'atomic' };

const sortedKeyCache = new WeakMap<readonly string[], readonly string[]>();
function sortedKeys(keys: readonly string[]): readonly string[] {
  let s = sortedKeyCache.get(keys);
  if (!s) sortedKeyCache.set(keys, (s = [...keys].sort(compareStrings)));
  return s;
}

/** Path elements of a non-atomic list's items; undefined when duplicates are allowed and present. */
export function listItemKeys(list: readonly unknown[], shape: ListShape, resolver: ShapeResolver, path: readonly string[], opts: KeyOptions): string[] | undefined {
  const keys: string[] = [];
  const seen = new Set<string>();
  let dup = false;
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    let pe: string;
    if (shape.listType === 'map') {
      if (!isObject(item)) throw new TypedValueError(`${pathToString(path)}: element ${i}: expected a map, got ${goJson(item)}`);
      // `k:` + the key fields as a JSON object with sorted names, built without an intermediate object.
      pe = 'k:{';
      const names = sortedKeys(shape.keys);
      for (let j = 0; j < names.length; j++) {
        const k = names[j] as string;
        let v = item[k];
        if (v === undefined && k in LIST_MAP_KEY_DEFAULTS && shape.element.kind === 'struct' && resolver.schema.field(shape.element.type, k)) v = LIST_MAP_KEY_DEFAULTS[k] as JsonObject[string];
        if (v === undefined) {
          throw new TypedValueError(`${pathToString(path)}: element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
        }
        pe += `${j > 0 ? ',' : ''}${goQuoteJson(k)}:${goJson(v)}`;
      }
      pe += '}';
    } else {
      pe = `v:${goJson(item)}`;
    }
    if (seen.has(pe)) {
      if (!opts.allowDuplicates) throw new TypedValueError(`${pathToString(path)}: duplicate entries for key ${pathToString([pe])}`);
      dup = true;
    }
    seen.add(pe);
    keys.push(pe);
  }
  return dup ? undefined : keys;
}

/** True when the position is compared/merged as a whole. */
function isLeaf(shape: Shape, l: unknown, r: unknown): boolean {
  switch (shape.kind) {
    case 'scalar':
    case 'atomic':
      return true;
    case 'list':
      if (shape.listType === 'atomic') return true;
      if ((!isNil(l) && !Array.isArray(l)) || (!isNil(r) && !Array.isArray(r))) return true;
      return (isNil(l) || (l as unknown[]).length === 0) && (isNil(r) || (r as unknown[]).length === 0);
    case 'deduced':
      if (Array.isArray(l) || Array.isArray(r)) return true;
      if ((!isNil(l) && !isObject(l)) || (!isNil(r) && !isObject(r))) return true;
      return isEmptyMap(l) && isEmptyMap(r);
    case 'struct':
    case 'map':
      if ((!isNil(l) && !isObject(l)) || (!isNil(r) && !isObject(r))) return true;
      return isEmptyMap(l) && isEmptyMap(r);
  }
}

function isEmptyMap(v: unknown): boolean {
  if (isNil(v)) return true;
  for (const _ in v as object) return false;
  return true;
}

function elementShape(shape: Shape, pe: string, resolver: ShapeResolver): Shape {
  if (pe.startsWith('f:')) return shape.kind === 'struct' || shape.kind === 'map' || shape.kind === 'deduced' ? resolver.child(shape, pe.slice(2)).shape : DEDUCED;
  return shape.kind === 'list' ? shape.element : DEDUCED;
}

/** Walks typed values for one schema. */
export class TypedOps {
  constructor(private readonly resolver: ShapeResolver) {}

  /** The fields a value sets (ToFieldSet), as a root-level set. */
  fieldSet(value: unknown, shape: Shape, opts: KeyOptions): FieldsTree {
    return this.setChildren(value, shape, [], opts) ?? {};
  }

  private setChildren(v: unknown, shape: Shape, path: string[], opts: KeyOptions): Record<string, FieldsTree> | null {
    if (shape.kind === 'list') {
      if (shape.listType === 'atomic' || !Array.isArray(v)) return null;
      const keys = listItemKeys(v, shape, this.resolver, path, opts);
      if (!keys) return null;
      const out: Record<string, FieldsTree> = {};
      for (let i = 0; i < v.length; i++) {
        const pe = keys[i] as string;
        // List items are always members, besides the fields they set.
        out[pe] = makeNode(true, this.setChildren(v[i], shape.element, [...path, pe], opts)) as FieldsTree;
      }
      return out;
    }
    if (shape.kind === 'atomic' || shape.kind === 'scalar' || !isObject(v)) return null;
    const out: Record<string, FieldsTree> = {};
    for (const k of Object.keys(v)) {
      const val = v[k];
      if (val === undefined) continue;
      const child = this.resolver.child(shape, k);
      const pe = `f:${k}`;
      const cs = child.shape;
      const granular =
        (cs.kind === 'list' && cs.listType !== 'atomic' && Array.isArray(val)) ||
        ((cs.kind === 'struct' || cs.kind === 'map' || cs.kind === 'deduced') && isObject(val) && !isEmptyMap(val));
      // Leaves, nulls, empty maps and map entries that are not declared struct fields are members.
      const node = makeNode(!granular || !child.declared, granular ? this.setChildren(val, cs, [...path, pe], opts) : null);
      if (node) out[pe] = node;
    }
    return out;
  }

  /** Compares two versions of a value: the paths added, modified and removed going from `l` to `r`. */
  compare(l: unknown, r: unknown, shape: Shape): { added: FieldsTree; modified: FieldsTree; removed: FieldsTree } {
    const d = this.cmp(l, r, shape, false);
    return { added: d.a ?? {}, modified: d.m ?? {}, removed: d.r ?? {} };
  }

  private cmp(l: unknown, r: unknown, shape: Shape, markSelf: boolean): { a: FieldsTree | null; m: FieldsTree | null; r: FieldsTree | null } {
    if (isLeaf(shape, l, r)) {
      if (l === undefined) return { a: LEAF, m: null, r: null };
      if (r === undefined) return { a: null, m: null, r: LEAF };
      return { a: null, m: jsonEqual(l, r) ? null : LEAF, r: null };
    }
    const A: Record<string, FieldsTree> = {};
    const M: Record<string, FieldsTree> = {};
    const R: Record<string, FieldsTree> = {};
    const put = (pe: string, d: { a: FieldsTree | null; m: FieldsTree | null; r: FieldsTree | null }) => {
      if (d.a) A[pe] = d.a;
      if (d.m) M[pe] = d.m;
      if (d.r) R[pe] = d.r;
    };
    const lv = l === null ? undefined : l;
    const rv = r === null ? undefined : r;
    if (shape.kind === 'list') {
      const opts = { allowDuplicates: true };
      const la = (lv ?? []) as unknown[];
      const ra = (rv ?? []) as unknown[];
      let lk: string[] | undefined;
      let rk: string[] | undefined;
      try {
        lk = listItemKeys(la, shape, this.resolver, [], opts);
        rk = listItemKeys(ra, shape, this.resolver, [], opts);
      } catch {
        lk = undefined;
      }
      if (!lk || !rk) {
        // Items that cannot be keyed: the list changes as a whole.
        return this.cmp(l, r, ATOMIC_SHAPE, markSelf);
      }
      const left = new Map<string, unknown>();
      lk.forEach((pe, i) => left.set(pe, la[i]));
      rk.forEach((pe, i) => {
        put(pe, this.cmp(left.get(pe), ra[i], shape.element, true));
        left.delete(pe);
      });
      for (const [pe, item] of left) put(pe, this.cmp(item, undefined, shape.element, true));
    } else {
      const lo = (lv ?? {}) as JsonObject;
      const ro = (rv ?? {}) as JsonObject;
      for (const k of Object.keys(lo)) {
        if (lo[k] === undefined) continue;
        const child = this.resolver.child(shape, k);
        put(`f:${k}`, this.cmp(lo[k], ro[k], child.shape, shape.kind !== 'struct' || child.shape.kind !== 'struct'));
      }
      for (const k of Object.keys(ro)) {
        if (ro[k] === undefined || lo[k] !== undefined) continue;
        const child = this.resolver.child(shape, k);
        put(`f:${k}`, this.cmp(undefined, ro[k], child.shape, shape.kind !== 'struct' || child.shape.kind !== 'struct'));
      }
    }
    return {
      a: makeNode(markSelf && lv === undefined && rv !== undefined, A),
      m: makeNode(false, M),
      r: makeNode(markSelf && rv === undefined && lv !== undefined, R),
    };
  }

  /** Merges an applied configuration `r` into the live value `l` (nulls in the result dropped). */
  merge(l: unknown, r: unknown, shape: Shape): unknown {
    if (r === undefined) return l;
    if (l === undefined || l === null) return dropNulls(r);
    if (isLeaf(shape, l, r)) return r === null ? undefined : cloneJson(r);
    if (r === null) return l;
    if (shape.kind === 'list') return this.mergeList(l as unknown[], r as unknown[], shape);
    const lo = l as JsonObject;
    const ro = r as JsonObject;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(lo)) {
      if (ro[k] === undefined) out[k] = lo[k];
      else {
        const v = this.merge(lo[k], ro[k], this.resolver.child(shape, k).shape);
        if (v !== undefined) out[k] = v;
      }
    }
    for (const k of Object.keys(ro)) {
      if (lo[k] !== undefined) continue;
      const v = dropNulls(ro[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }

  /** structured-merge-diff's list merge: live-only items stay in place, shared and new items follow the applied order. */
  private mergeList(l: unknown[], r: unknown[], shape: ListShape): unknown[] {
    const lk = listItemKeys(l, shape, this.resolver, [], { allowDuplicates: true });
    const rk = listItemKeys(r, shape, this.resolver, [], { allowDuplicates: true });
    if (!lk || !rk) return cloneJson(r);
    const lMap = new Map<string, unknown>();
    lk.forEach((pe, i) => lMap.set(pe, l[i]));
    const rMap = new Map<string, unknown>();
    rk.forEach((pe, i) => rMap.set(pe, r[i]));
    const shared = rk.filter((pe) => lMap.has(pe));
    let si = 0;
    let nextShared = shared[si++];
    const merged = new Set<string>();
    const out: unknown[] = [];
    const take = (pe: string) => {
      const v = this.merge(lMap.get(pe), rMap.get(pe), shape.element);
      if (v !== undefined) out.push(v);
    };
    let li = 0;
    let ri = 0;
    while (li < lk.length || ri < rk.length) {
      if (li < lk.length && ri < rk.length) {
        const pe = lk[li] as string;
        if (pe === rk[ri]) {
          merged.add(pe);
          take(pe);
          li++;
          ri++;
          nextShared = shared[si++];
          continue;
        }
        if (rMap.has(pe) && nextShared !== undefined && nextShared !== pe) {
          li++;
          continue;
        }
      }
      if (li < lk.length) {
        const pe = lk[li] as string;
        if (!rMap.has(pe)) {
          out.push(l[li]);
          li++;
          continue;
        }
        if (merged.has(pe)) {
          li++;
          continue;
        }
      }
      if (ri < rk.length) {
        const pe = rk[ri] as string;
        merged.add(pe);
        take(pe);
        ri++;
        if (nextShared !== undefined && nextShared === pe) nextShared = shared[si++];
      }
    }
    return out;
  }

  /** Removes the paths of `set` (members with their subtrees) from a value; undefined if it empties. */
  removeItems(v: unknown, set: FieldsTree, shape: Shape): unknown {
    if (!hasChildren(set)) return v;
    if (shape.kind === 'list') {
      if (!Array.isArray(v) || v.length === 0 || shape.listType === 'atomic') return v;
      const keys = listItemKeys(v, shape, this.resolver, [], { allowDuplicates: true });
      if (!keys) return v;
      const out: unknown[] = [];
      v.forEach((item, i) => {
        const sub = set[keys[i] as string];
        if (!sub) out.push(item);
        else if (!isMember(sub)) {
          const kept = this.removeItems(item, sub, shape.element);
          if (kept !== undefined) out.push(kept);
        }
      });
      return out.length > 0 ? out : undefined;
    }
    if (!isObject(v) || shape.kind === 'atomic' || shape.kind === 'scalar') return v;
    const out: Record<string, unknown> = {};
    let any = false;
    for (const k of Object.keys(v)) {
      const sub = set[`f:${k}`];
      let val: unknown = v[k];
      if (sub) {
        if (isMember(sub)) continue;
        val = this.removeItems(val, sub, this.resolver.child(shape, k).shape);
        if (val === undefined) continue;
      }
      out[k] = val;
      any = true;
    }
    return any ? out : undefined;
  }

  /** Also makes members of named struct fields that are only prefixes (EnsureNamedFieldsAreMembers). */
  ensureNamedFieldsAreMembers(set: FieldsTree, shape: Shape): FieldsTree {
    return this.ensure(set, shape, true) ?? {};
  }

  private ensure(n: FieldsTree, shape: Shape, root: boolean): FieldsTree | null {
    const ch: Record<string, FieldsTree> = {};
    let changed = false;
    for (const k of childKeys(n)) {
      const c = n[k] as FieldsTree;
      let e = hasChildren(c) ? (this.ensure(c, elementShape(shape, k, this.resolver), false) as FieldsTree) : c;
      if (shape.kind === 'struct' && k.startsWith('f:') && !isMember(e) && this.resolver.child(shape, k.slice(2)).declared) {
        e = makeNode(true, e) as FieldsTree;
      }
      if (e !== c) changed = true;
      ch[k] = e;
    }
    if (!changed) return n;
    return makeNode(!root && isMember(n), ch);
  }
}

/** A copy without null members (the typed decoder on the server drops them). */
function dropNulls(v: unknown): unknown {
  if (v === null) return undefined;
  if (Array.isArray(v)) return v.map((e) => (isObject(e) ? dropNulls(e) : cloneJson(e)));
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const e = dropNulls(v[k]);
    if (e !== undefined) out[k] = e;
  }
  return out;
}
