/**
 * Label selectors as apimachinery's `pkg/labels` implements them: the string syntax kubectl sends
 * (`a=b,c!=d,e in (f,g),h notin (i),j,!k`, plus `gt`/`lt`), `metav1.LabelSelector` objects, matching,
 * the canonical `String()` form (requirements sorted by key, values sorted) used for
 * `Scale.status.selector` and Table SELECTOR columns, and label key/value validation.
 */
import type { LabelSelector, LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import { badRequest } from './errors.js';
import { FieldPath, goQuote, goStringSlice, invalid, forbidden, required, type FieldError, type PathLike } from './validation/field-errors.js';
import { isQualifiedName, isValidLabelValue } from './validation/names.js';

export type Labels = Record<string, string>;

/** selection.Operator values. */
export type Operator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a selector; values are kept sorted, as apimachinery does. */
export interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

/** A parsed label selector. */
export interface Selector {
  /** True if the labels satisfy every requirement. */
  matches(labels: Labels | undefined | null): boolean;
  /** True for the selector that selects everything (no requirements). */
  empty(): boolean;
  /** Canonical form: `a=b,c in (d,e)`; `''` for everything and for nothing. */
  toString(): string;
  readonly requirements: readonly Requirement[];
  /** The value this selector demands for `key` via `=`, `==` or a one-value `in`, if any. */
  requiresExactMatch(key: string): string | undefined;
}

class InternalSelector implements Selector {
  constructor(
    readonly requirements: readonly Requirement[],
    private readonly nothing = false,
  ) {}

  matches(labels: Labels | undefined | null): boolean {
    if (this.nothing) return false;
    const ls = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, ls));
  }

  empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map(formatRequirement).join(',');
  }

  requiresExactMatch(key: string): string | undefined {
    for (const r of this.requirements) {
      if (r.key !== key) continue;
      if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
    }
    return undefined;
  }
}

/** The selector that matches every object. */
export const EVERYTHING: Selector = new InternalSelector([]);
/** The selector that matches no object (a nil `metav1.LabelSelector`). */
export const NOTHING: Selector = new InternalSelector([], true);

function has(ls: Labels, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(ls, k);
}

function requirementMatches(r: Requirement, ls: Labels): boolean {
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return has(ls, r.key) && r.values.includes(ls[r.key] ?? '');
    case '!=':
    case 'notin':
      return !has(ls, r.key) || !r.values.includes(ls[r.key] ?? '');
    case 'exists':
      return has(ls, r.key);
    case '!':
      return !has(ls, r.key);
    case 'gt':
    case 'lt': {
      if (!has(ls, r.key)) return false;
      const actual = parseGoInt(ls[r.key] ?? '');
      const want = parseGoInt(r.values[0] ?? '');
      if (actual === undefined || want === undefined || r.values.length !== 1) return false;
      return r.operator === 'gt' ? actual > want : actual < want;
    }
  }
}

function parseGoInt(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const v = BigInt(s);
  return v > 9223372036854775807n || v < -9223372036854775808n ? undefined : v;
}

function formatRequirement(r: Requirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
      return `${r.key} in (${r.values.join(',')})`;
    case 'notin':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values.join(',')}`;
    case 'lt':
      return `${r.key}<${r.values.join(',')}`;
    default:
      return `${r.key}${r.operator}${r.values.join(',')}`;
  }
}

/** Thrown by {@link parseSelector}: the message is apimachinery's parse error text. */
export class SelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorParseError';
  }
}

/** An aggregate of field errors rendered like `utilerrors.Aggregate.Error()`. */
function aggregate(errs: FieldError[]): string {
  const msgs = [...new Set(errs.map((e) => `${e.field}: ${e.message}`))];
  return msgs.length === 1 ? (msgs[0] ?? '') : `[${msgs.join(', ')}]`;
}

/**
 * apimachinery's NewRequirement checks. `path` is the requirement's field path; the parser has
 * none, which Go prints as `<nil>` for the key and as a bare child name for values.
 */
function requirementErrors(key: string, op: Operator, vals: readonly string[], path: FieldPath | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const sub = (name: string) => (path ? path.child(name) : FieldPath.root(name));
  const keyErr = labelKeyError(key, sub('key'));
  if (keyErr) errs.push(keyErr);
  const valuePath = sub('values');
  switch (op) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(invalid(valuePath, goStringSlice(vals), "for 'in', 'notin' operators, values set can't be empty"));
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(invalid(valuePath, goStringSlice(vals), 'exact-match compatibility requires one single value'));
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(invalid(valuePath, goStringSlice(vals), 'values set must be empty for exists and does not exist'));
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(invalid(valuePath, goStringSlice(vals), "for 'Gt', 'Lt' operators, exactly one value is required"));
      vals.forEach((v, i) => {
        if (parseGoInt(v) === undefined) errs.push(invalid(valuePath.index(i), v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      });
      break;
  }
  vals.forEach((v, i) => {
    const msgs = isValidLabelValue(v);
    if (msgs.length) errs.push(invalid(valuePath.index(i).key(key), v, msgs.join('; ')));
  });
  return errs;
}

function labelKeyError(key: string, path: PathLike): FieldError | undefined {
  const msgs = isQualifiedName(key);
  return msgs.length ? invalid(path, key, msgs.join('; ')) : undefined;
}

function makeRequirement(key: string, operator: Operator, vals: string[], path?: FieldPath): Requirement {
  const errs = requirementErrors(key, operator, vals, path);
  if (errs.length) throw new SelectorParseError(aggregate(errs));
  return { key, operator, values: [...new Set(vals)].sort() };
}

function sortByKey(reqs: Requirement[]): Requirement[] {
  // sort.Sort(ByKey) — a stable order by key is what String() and callers observe.
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- lexer/parser (apimachinery labels/selector.go) ----

type Tok = 'id' | 'eos' | 'err' | ')' | ',' | '!' | '==' | '=' | '>' | 'in' | '<' | '!=' | 'notin' | '(';

const SYMBOLS: Record<string, Tok> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', '<': '<', '!=': '!=', '(': '(' };
const KEYWORDS: Record<string, Tok> = { in: 'in', notin: 'notin' };
const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => c === '=' || c === '!' || c === '(' || c === ')' || c === ',' || c === '>' || c === '<';

function lex(s: string): Array<{ tok: Tok; lit: string }> {
  const out: Array<{ tok: Tok; lit: string }> = [];
  let i = 0;
  for (;;) {
    while (i < s.length && isWhitespace(s[i] ?? '')) i++;
    if (i >= s.length) {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    const c = s[i] ?? '';
    if (isSpecial(c)) {
      let buf = '';
      let last: Tok | undefined;
      while (i < s.length && isSpecial(s[i] ?? '')) {
        const next = buf + s[i];
        if (SYMBOLS[next] === undefined) break;
        buf = next;
        last = SYMBOLS[next];
        i++;
      }
      if (last === undefined) {
        out.push({ tok: 'err', lit: `error expected: keyword found '${s[i] ?? ''}'` });
        i++;
      } else out.push({ tok: last, lit: buf });
    } else {
      let buf = '';
      while (i < s.length && !isWhitespace(s[i] ?? '') && !isSpecial(s[i] ?? '')) buf += s[i++];
      out.push({ tok: KEYWORDS[buf] ?? 'id', lit: buf });
    }
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly items: Array<{ tok: Tok; lit: string }>) {}

  /** In the Values context `in`/`notin` are ordinary identifiers. */
  private peek(values: boolean): { tok: Tok; lit: string } {
    const it = this.items[this.pos] ?? { tok: 'eos' as Tok, lit: '' };
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }

  private next(values: boolean): { tok: Tok; lit: string } {
    const it = this.peek(values);
    if (this.pos < this.items.length - 1) this.pos++;
    return it;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek(true);
      if (tok === 'id' || tok === '!') {
        try {
          reqs.push(this.parseRequirement());
        } catch (e) {
          throw new SelectorParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        const t = this.next(true);
        if (t.tok === 'eos') return reqs;
        if (t.tok === ',') {
          const t2 = this.peek(true);
          if (t2.tok !== 'id' && t2.tok !== '!') throw new SelectorParseError(`found '${t2.lit}', expected: identifier after ','`);
        } else throw new SelectorParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
      } else if (tok === 'eos') {
        return reqs;
      } else throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
    }
  }

  private parseRequirement(): Requirement {
    let t = this.next(true);
    let op: Operator | undefined;
    if (t.tok === '!') {
      op = '!';
      t = this.next(true);
    }
    if (t.tok !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErr = labelKeyError(key, '<nil>');
    if (keyErr) throw new Error(`${keyErr.field}: ${keyErr.message}`);
    const la = this.peek(true).tok;
    if (la === 'eos' || la === ',') op ??= 'exists';
    if (op === 'exists' || op === '!') return makeRequirement(key, op, []);
    const o = this.next(false);
    const opMap: Partial<Record<Tok, Operator>> = { in: 'in', '=': '=', '==': '==', '>': 'gt', '<': 'lt', notin: 'notin', '!=': '!=' };
    const binary = opMap[o.tok];
    if (!binary) throw new Error(`found '${o.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    const values = binary === 'in' || binary === 'notin' ? this.parseValues() : this.parseExactValue();
    return makeRequirement(key, binary, values);
  }

  private parseValues(): string[] {
    const t = this.next(true);
    if (t.tok !== '(') throw new Error(`found '${t.lit}' expected: '('`);
    const la = this.peek(true);
    if (la.tok === 'id' || la.tok === ',') {
      const s = this.parseIdentifiersList();
      if (this.next(true).tok !== ')') throw new Error(`found '${la.lit}', expected: ')'`);
      return s;
    }
    if (la.tok === ')') {
      this.next(true);
      return [''];
    }
    throw new Error(`found '${la.lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): string[] {
    const s = new Set<string>();
    for (;;) {
      const t = this.next(true);
      if (t.tok === 'id') {
        s.add(t.lit);
        const t2 = this.peek(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return [...s];
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.peek(true);
        if (t2.tok === ')') {
          s.add('');
          return [...s];
        }
        if (t2.tok === ',') {
          this.next(true);
          s.add('');
        }
      } else throw new Error(`found '${t.lit}', expected: ',', or identifier`);
    }
  }

  private parseExactValue(): string[] {
    const la = this.peek(true);
    if (la.tok === 'eos' || la.tok === ',') return [''];
    const t = this.next(true);
    if (t.tok === 'id') return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * Parses a label selector string (`labels.Parse`). Throws {@link SelectorParseError} with
 * apimachinery's message, e.g. `unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt`.
 */
export function parseSelector(selector: string): Selector {
  const reqs = new Parser(lex(selector)).parse();
  return new InternalSelector(sortByKey(reqs));
}

/** As {@link parseSelector}, but a parse failure becomes the API server's 400 BadRequest. */
export function parseSelectorOrBadRequest(selector: string): Selector {
  try {
    return parseSelector(selector);
  } catch (e) {
    if (e instanceof SelectorParseError) throw badRequest(e.message);
    throw e;
  }
}

/** A selector requiring every `key=value` of the set (`labels.SelectorFromSet`). */
export function selectorFromSet(set: Labels | undefined | null): Selector {
  if (!set || Object.keys(set).length === 0) return EVERYTHING;
  return new InternalSelector(sortByKey(Object.entries(set).map(([k, v]) => makeRequirement(k, '=', [v]))));
}

const OPERATOR_FROM_EXPRESSION: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * `metav1.LabelSelectorAsSelector`: nil selects nothing, `{}` selects everything. Throws
 * {@link SelectorParseError} for invalid operators, keys or values.
 */
export function labelSelectorAsSelector(ls: LabelSelector | undefined | null): Selector {
  if (!ls) return NOTHING;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(makeRequirement(k, '=', [v]));
  for (const expr of ls.matchExpressions ?? []) {
    const op = OPERATOR_FROM_EXPRESSION[expr.operator];
    if (!op) throw new SelectorParseError(`${goQuote(expr.operator)} is not a valid label selector operator`);
    reqs.push(makeRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return reqs.length === 0 ? EVERYTHING : new InternalSelector(sortByKey(reqs));
}

/** True if the LabelSelector matches the labels (nil matches nothing, `{}` everything). */
export function labelSelectorMatches(ls: LabelSelector | undefined | null, labels: Labels | undefined | null): boolean {
  return labelSelectorAsSelector(ls).matches(labels);
}

/**
 * `metav1.FormatLabelSelector`, as printed in Table SELECTOR columns: `<none>` for nil/empty,
 * `<error>` for an invalid selector.
 */
export function formatLabelSelector(ls: LabelSelector | undefined | null): string {
  let s: string;
  try {
    s = labelSelectorAsSelector(ls).toString();
  } catch {
    return '<error>';
  }
  return s.length === 0 ? '<none>' : s;
}

/** `labels.Set.String()`: `k=v` pairs sorted by key, comma separated (`<none>` is the caller's). */
export function formatLabels(set: Labels | undefined | null): string {
  return Object.keys(set ?? {})
    .sort()
    .map((k) => `${k}=${set?.[k] ?? ''}`)
    .join(',');
}

// ---- validation (apimachinery pkg/apis/meta/v1/validation) ----

/** ValidateLabelName: label keys must be qualified names. */
export function validateLabelName(key: string, path: PathLike): FieldError[] {
  return isQualifiedName(key).map((m) => invalid(path, key, m));
}

/** ValidateLabels: keys qualified names, values valid label values (errors name the map path). */
export function validateLabels(labels: Labels | undefined | null, path: PathLike): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(labels ?? {}).sort()) {
    errs.push(...validateLabelName(k, path));
    for (const m of isValidLabelValue(labels?.[k] ?? '')) errs.push(invalid(path, labels?.[k] ?? '', m));
  }
  return errs;
}

/** ValidateLabelSelectorRequirement. */
export function validateLabelSelectorRequirement(sr: LabelSelectorRequirement, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  switch (sr.operator) {
    case 'In':
    case 'NotIn':
      if (!sr.values || sr.values.length === 0) errs.push(required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (sr.values && sr.values.length > 0) errs.push(forbidden(path.child('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(invalid(path.child('operator'), sr.operator, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(sr.key, path.child('key')));
  (sr.values ?? []).forEach((v, i) => {
    for (const m of isValidLabelValue(v)) errs.push(invalid(path.child('values').index(i), v, m));
  });
  return errs;
}

/** ValidateLabelSelector (nil is valid; callers check "required"). */
export function validateLabelSelector(ls: LabelSelector | undefined | null, path: FieldPath): FieldError[] {
  if (!ls) return [];
  const errs = validateLabels(ls.matchLabels, path.child('matchLabels'));
  (ls.matchExpressions ?? []).forEach((e, i) => errs.push(...validateLabelSelectorRequirement(e, path.child('matchExpressions').index(i))));
  return errs;
}

/**
 * `%#v` of a `metav1.LabelSelector`, as Kubernetes prints it in `field is immutable` errors:
 * `v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`.
 */
export function goLabelSelector(ls: LabelSelector | undefined | null): { goSyntax: string } {
  if (!ls) return { goSyntax: '(*v1.LabelSelector)(nil)' };
  const ml = ls.matchLabels
    ? `map[string]string{${Object.keys(ls.matchLabels).sort().map((k) => `${goQuote(k)}:${goQuote(ls.matchLabels?.[k] ?? '')}`).join(', ')}}`
    : 'map[string]string(nil)';
  const me = ls.matchExpressions
    ? `[]v1.LabelSelectorRequirement{${ls.matchExpressions
        .map((e) => `v1.LabelSelectorRequirement{Key:${goQuote(e.key)}, Operator:${goQuote(e.operator)}, Values:${goStringSlice(e.values ?? null).goSyntax}}`)
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return { goSyntax: `v1.LabelSelector{MatchLabels:${ml}, MatchExpressions:${me}}` };
}
