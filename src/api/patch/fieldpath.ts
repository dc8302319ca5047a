/**
 * Sets of field paths in the `fieldsV1` encoding of managedFields, operated on directly.
 *
 * structured-merge-diff serialises a set as nested JSON objects keyed by path elements:
 * `f:<field>`, `k:<json of the list-map key fields>`, `v:<json value>` (set lists) and `i:<index>`.
 * A node that is itself in the set is `{}` when it has no children, and carries a `".": {}` member
 * when it does; a node with children but without `"."` is only a prefix. The root object is never a
 * member. Keeping this encoding as the in-memory form means an unchanged manager's entry is never
 * decoded or re-encoded, and set operations copy only the paths they change.
 */
import { compareStrings, goJson, isObject } from './go-json.js';

/** A node of a field set (or the root: the `fieldsV1` object itself). */
export type FieldsTree = { readonly [pathElement: string]: FieldsTree };

export const SELF = '.';
/** A member node without children. */
export const LEAF: FieldsTree = Object.freeze({});
export const EMPTY: FieldsTree = LEAF;

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** True when a (non-root) node is itself in the set. */
export function isMember(n: FieldsTree): boolean {
  if (has(n, SELF)) return true;
  for (const _ in n) return false;
  return true;
}

/** True when a node has children. */
export function hasChildren(n: FieldsTree): boolean {
  for (const k in n) if (k !== SELF) return true;
  return false;
}

/** The path elements below a node. */
export function childKeys(n: FieldsTree): string[] {
  return Object.keys(n).filter((k) => k !== SELF);
}

/** True when a root-level set holds no paths. */
export function isEmptySet(root: FieldsTree): boolean {
  return !hasChildren(root);
}

/** Builds a node; null when it would be neither a member nor have children. */
export function makeNode(member: boolean, children: Record<string, FieldsTree> | null | undefined): FieldsTree | null {
  let any = false;
  if (children) for (const _ in children) { any = true; break; }
  if (!any) return member ? LEAF : null;
  return member ? { [SELF]: LEAF, ...children } : (children as FieldsTree);
}

function rebuild(n: FieldsTree, member: boolean, changes: Map<string, FieldsTree | null> | undefined, extra?: Record<string, FieldsTree>): FieldsTree | null {
  const ch: Record<string, FieldsTree> = {};
  for (const k in n) {
    if (k === SELF) continue;
    const v = changes?.has(k) ? changes.get(k) : n[k];
    if (v) ch[k] = v;
  }
  if (extra) Object.assign(ch, extra);
  return makeNode(member, ch);
}

function differenceNode(a: FieldsTree, b: FieldsTree, root: boolean): FieldsTree | null {
  const aMember = !root && isMember(a);
  const member = aMember && !isMember(b);
  let changes: Map<string, FieldsTree | null> | undefined;
  for (const k in b) {
    if (k === SELF || !has(a, k)) continue;
    const an = a[k] as FieldsTree;
    const d = differenceNode(an, b[k] as FieldsTree, false);
    if (d !== an) (changes ??= new Map()).set(k, d);
  }
  if (!changes && member === aMember) return a;
  return rebuild(a, member, changes);
}

function unionNode(a: FieldsTree, b: FieldsTree, root: boolean): FieldsTree {
  const aMember = !root && isMember(a);
  const member = aMember || (!root && isMember(b));
  let changes: Map<string, FieldsTree | null> | undefined;
  let extra: Record<string, FieldsTree> | undefined;
  for (const k in b) {
    if (k === SELF) continue;
    const bn = b[k] as FieldsTree;
    if (!has(a, k)) (extra ??= {})[k] = bn;
    else {
      const an = a[k] as FieldsTree;
      const u = unionNode(an, bn, false);
      if (u !== an) (changes ??= new Map()).set(k, u);
    }
  }
  if (!changes && !extra && member === aMember) return a;
  return rebuild(a, member, changes, extra) ?? LEAF;
}

function intersectionNode(a: FieldsTree, b: FieldsTree, root: boolean): FieldsTree | null {
  const member = !root && isMember(a) && isMember(b);
  const ch: Record<string, FieldsTree> = {};
  const [small, big] = Object.keys(a).length <= Object.keys(b).length ? [a, b] : [b, a];
  for (const k in small) {
    if (k === SELF || !has(big, k)) continue;
    const i = intersectionNode(a[k] as FieldsTree, b[k] as FieldsTree, false);
    if (i) ch[k] = i;
  }
  return makeNode(member, ch);
}

/** a ∖ b (root-level sets). Returns `a` itself when nothing is removed. */
export function difference(a: FieldsTree, b: FieldsTree): FieldsTree {
  return differenceNode(a, b, true) ?? EMPTY;
}

/** a ∪ b (root-level sets). Returns `a` itself when b adds nothing. */
export function union(a: FieldsTree, b: FieldsTree): FieldsTree {
  return unionNode(a, b, true);
}

/** a ∩ b (root-level sets). */
export function intersection(a: FieldsTree, b: FieldsTree): FieldsTree {
  return intersectionNode(a, b, true) ?? EMPTY;
}

/** True when the path (a list of path elements) is a member of the set. */
export function hasPath(root: FieldsTree, path: readonly string[]): boolean {
  let n: FieldsTree | undefined = root;
  for (const pe of path) {
    n = has(n, pe) ? n[pe] : undefined;
    if (!n) return false;
  }
  return path.length > 0 && isMember(n);
}

/** The set with `path` added. */
export function withPath(root: FieldsTree, path: readonly string[]): FieldsTree {
  if (path.length === 0) return root;
  let node: FieldsTree = LEAF;
  for (let i = path.length - 1; i >= 1; i--) node = { [path[i] as string]: node };
  return union(root, { [path[0] as string]: node });
}

/** Removes every path equal to or below one of `prefixes` (field-name paths, e.g. ['status']). */
export function withoutPrefixes(root: FieldsTree, prefixes: readonly (readonly string[])[]): FieldsTree {
  let out = root;
  for (const p of prefixes) {
    if (p.length === 0) continue;
    out = removePrefix(out, p.map((name) => `f:${name}`), 0, true) ?? EMPTY;
  }
  return out;
}

function removePrefix(n: FieldsTree, pes: readonly string[], i: number, root: boolean): FieldsTree | null {
  const pe = pes[i] as string;
  if (!has(n, pe)) return n;
  const changes = new Map<string, FieldsTree | null>();
  changes.set(pe, i === pes.length - 1 ? null : removePrefix(n[pe] as FieldsTree, pes, i + 1, false));
  if (changes.get(pe) === n[pe]) return n;
  return rebuild(n, !root && isMember(n), changes);
}

// ---- path element order, as structured-merge-diff sorts them ----

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
const parsed = new Map<string, unknown>();
const PARSE_CACHE_LIMIT = 10000;

function parseKeyJson(pe: string): unknown {
  let v = parsed.get(pe);
  if (v === undefined && !parsed.has(pe)) {
    v = JSON.parse(pe.slice(2));
    if (parsed.size >= PARSE_CACHE_LIMIT) parsed.clear();
    parsed.set(pe, v);
  }
  return v;
}

/** structured-merge-diff's value.Compare: numbers, then strings, bools, lists, maps, null. */
export function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : isObject(v) ? 4 : 5);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return (a as number) - (b as number);
    case 1:
      return compareStrings(a as string, b as string);
    case 2:
      return Number(a) - Number(b);
    case 3: {
      const la = a as unknown[];
      const lb = b as unknown[];
      for (let i = 0; i < la.length && i < lb.length; i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length - lb.length;
    }
    case 4:
      return compareStrings(goJson(a), goJson(b));
    default:
      return 0;
  }
}

/** FieldList.Compare: shorter first, then field by field (names sorted). */
function compareKeys(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a).sort(compareStrings);
  const kb = Object.keys(b).sort(compareStrings);
  if (ka.length !== kb.length) return ka.length - kb.length;
  for (let i = 0; i < ka.length; i++) {
    const na = ka[i] as string;
    const nb = kb[i] as string;
    if (na === nb) {
      const c = compareValues(a[na], b[nb]);
      if (c !== 0) return c;
      continue;
    }
    return compareStrings(na, nb);
  }
  return 0;
}

/** Orders serialized path elements as PathElement.Compare does. */
export function comparePathElements(a: string, b: string): number {
  const ra = RANK[a[0] ?? ''] ?? 4;
  const rb = RANK[b[0] ?? ''] ?? 4;
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return compareStrings(a, b);
    case 1:
      return compareKeys(parseKeyJson(a) as Record<string, unknown>, parseKeyJson(b) as Record<string, unknown>);
    case 2:
      return compareValues(parseKeyJson(a), parseKeyJson(b));
    case 3:
      return Number(a.slice(2)) - Number(b.slice(2));
    default:
      return compareStrings(a, b);
  }
}

/** The set with every object's keys in structured-merge-diff's order (`.` first); same ref if already so. */
export function sortFields(n: FieldsTree): FieldsTree {
  const keys = Object.keys(n);
  let changed = false;
  const kids = new Map<string, FieldsTree>();
  for (const k of keys) {
    if (k === SELF) continue;
    const c = n[k] as FieldsTree;
    const s = hasChildren(c) ? sortFields(c) : c;
    if (s !== c) changed = true;
    kids.set(k, s);
  }
  const sorted = [...kids.keys()].sort(comparePathElements);
  const selfFirst = has(n, SELF) ? 1 : 0;
  if (selfFirst && keys[0] !== SELF) changed = true;
  for (let i = 0; i < sorted.length && !changed; i++) if (keys[i + selfFirst] !== sorted[i]) changed = true;
  if (!changed) return n;
  const out: Record<string, FieldsTree> = {};
  if (selfFirst) out[SELF] = LEAF;
  for (const k of sorted) out[k] = kids.get(k) as FieldsTree;
  return out;
}

/** Every member path, in structured-merge-diff's iteration order (members, then children, sorted). */
export function memberPaths(root: FieldsTree): string[][] {
  const out: string[][] = [];
  const walk = (n: FieldsTree, prefix: string[]) => {
    const keys = childKeys(n).sort(comparePathElements);
    for (const k of keys) if (isMember(n[k] as FieldsTree)) out.push([...prefix, k]);
    for (const k of keys) if (hasChildren(n[k] as FieldsTree)) walk(n[k] as FieldsTree, [...prefix, k]);
  };
  walk(root, []);
  return out;
}

/** value.ToString: how a key value prints inside a path. */
function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(valueToString).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort(compareStrings).map((k) => `${k}=${valueToString(v[k])}`).join(';')}}`;
  return String(v);
}

/** Path.String(): `.spec.containers[name="a"].image`, `[="x"]` for set items, `[0]` for indices. */
export function pathToString(path: readonly string[]): string {
  let s = '';
  for (const pe of path) {
    const kind = pe[0];
    if (kind === 'f') s += `.${pe.slice(2)}`;
    else if (kind === 'k') {
      const key = parseKeyJson(pe) as Record<string, unknown>;
      s += `[${Object.keys(key).sort(compareStrings).map((k) => `${k}=${valueToString(key[k])}`).join(',')}]`;
    } else if (kind === 'v') s += `[=${valueToString(parseKeyJson(pe))}]`;
    else if (kind === 'i') s += `[${pe.slice(2)}]`;
    else s += '{{invalid path element}}';
  }
  return s;
}

/**
 * Validates a decoded `fieldsV1` value (FieldsToSet): objects all the way down, every key `.` or a
 * well-formed path element. Throws an Error describing the first problem.
 */
export function validateFieldsV1(v: unknown): FieldsTree {
  // Stored objects are re-validated on every write; a validated tree (kept immutable by callers)
  // is remembered by identity.
  if (typeof v === 'object' && v !== null && validated.has(v)) return v as FieldsTree;
  const check = (n: unknown, where: string): void => {
    if (!isObject(n)) throw new Error(`${where}: expected an object`);
    for (const k of Object.keys(n)) {
      if (k !== SELF) checkPathElement(k);
      check(n[k], k);
    }
  };
  check(v, 'fieldsV1');
  validated.add(v as object);
  return v as FieldsTree;
}

const validated = new WeakSet<object>();
const validKeys = new Set<string>();

function checkPathElement(pe: string): void {
  if (pe.charCodeAt(0) === 102 /* f */ && pe.charCodeAt(1) === 58 /* : */) return;
  if (validKeys.has(pe)) return;
  checkPathElementSlow(pe);
  if (validKeys.size >= PARSE_CACHE_LIMIT) validKeys.clear();
  validKeys.add(pe);
}

function checkPathElementSlow(pe: string): void {
  const body = pe.slice(2);
  switch (pe.slice(0, 2)) {
    case 'f:':
      return;
    case 'k:':
      if (!isObject(parseStrict(pe, body))) throw new Error(`parsing key as JSON: ${pe}`);
      return;
    case 'v:':
      parseStrict(pe, body);
      return;
    case 'i:':
      if (!/^-?\d+$/.test(body)) throw new Error(`parsing index: ${pe}`);
      return;
    default:
      throw new Error(`unknown path element type: ${JSON.stringify(pe)}`);
  }
}

function parseStrict(pe: string, body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new Error(`parsing JSON: ${pe}`);
  }
}
