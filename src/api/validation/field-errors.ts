/**
 * Field-level validation errors built exactly like apimachinery's `field.Error`: the cause message is
 * `ErrorBody()` — `<type text>[: <bad value>][: <detail>]` — with the bad value printed as Go prints
 * it (`%q` for strings, `%v` for numbers and booleans, `%#v` for maps, slices and structs). The
 * registry turns a list of them into a 422 with `invalid(...)`, which prefixes each with its field.
 *
 * Values are rendered the way Kubernetes v1.32 does (before v1.33 switched complex values to JSON),
 * so `map[string]string{"app":"x"}` and `intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}` read
 * as they do from a real API server.
 */
import type { FieldError } from '../errors.js';

export type { FieldError };

/** A value already rendered in Go syntax (what `%#v` or a `String()` method would print). */
export interface GoLiteral {
  readonly goSyntax: string;
}

/** A bad value: JS primitives print like their Go counterparts; `null`/`undefined` print `null`. */
export type BadValue = string | number | boolean | null | undefined | GoLiteral;

/** Go's `%q` for a string: double quotes, Go escapes, printable Unicode kept as is. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if ((cp >= 0x80 && cp < 0xa0) || cp === 0xfffd) out += cp <= 0xff ? `\\u00${cp.toString(16)}` : `\\u${cp.toString(16)}`;
    else out += ch;
  }
  return out + '"';
}

/** Go's `%v` for a number: integers plainly, floats in shortest form (`1e+21` style exponents). */
function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return String(n).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Renders a bad value as `ErrorBody()` would. */
export function formatBadValue(v: BadValue): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'boolean') return String(v);
  return v.goSyntax;
}

/** `%#v` of a `map[string]string` (keys sorted, as fmt sorts map keys). */
export function goStringMap(m: Record<string, string> | undefined | null): GoLiteral {
  if (!m) return { goSyntax: 'map[string]string(nil)' };
  const keys = Object.keys(m).sort();
  return { goSyntax: `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m[k] ?? '')}`).join(', ')}}` };
}

/** `%#v` of a `[]string`. */
export function goStringSlice(list: readonly string[] | undefined | null): GoLiteral {
  if (!list) return { goSyntax: '[]string(nil)' };
  return { goSyntax: `[]string{${list.map(goQuote).join(', ')}}` };
}

/** `%#v` of an `intstr.IntOrString` value (Kubernetes passes the struct, not its String()). */
export function goIntOrString(v: number | string): GoLiteral {
  return typeof v === 'number'
    ? { goSyntax: `intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}` }
    : { goSyntax: `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}` };
}

/** A value printed verbatim (a `String()` result, e.g. a formatted selector or quantity). */
export function goRaw(text: string): GoLiteral {
  return { goSyntax: text };
}

/**
 * A field path as apimachinery renders it: `spec.containers[0].ports[1]`, `metadata.labels[app]`
 * for map keys. Immutable; each step returns a new path.
 */
export class FieldPath {
  private constructor(private readonly text: string) {}

  static root(name: string): FieldPath {
    return new FieldPath(name);
  }

  /** `a.b.c` — one or more named children. */
  child(...names: string[]): FieldPath {
    let t = this.text;
    for (const n of names) t = t ? `${t}.${n}` : n;
    return new FieldPath(t);
  }

  /** `a[3]` */
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  /** `a[key]` (map keys are not quoted). */
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

export type PathLike = FieldPath | string;

const text = (p: PathLike): string => (typeof p === 'string' ? p : p.toString());

function withDetail(body: string, detail: string | undefined): string {
  return detail ? `${body}: ${detail}` : body;
}

/** `Required value[: detail]` */
export function required(path: PathLike, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field: text(path), message: withDetail('Required value', detail) };
}

/** `Invalid value: <value>[: detail]` */
export function invalid(path: PathLike, value: BadValue, detail = ''): FieldError {
  return { type: 'FieldValueInvalid', field: text(path), message: withDetail(`Invalid value: ${formatBadValue(value)}`, detail) };
}

/** `Unsupported value: <value>: supported values: "A", "B"` */
export function notSupported(path: PathLike, value: BadValue, supported: readonly string[]): FieldError {
  const detail = supported.length ? `supported values: ${supported.map(goQuote).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field: text(path), message: withDetail(`Unsupported value: ${formatBadValue(value)}`, detail) };
}

/** `Forbidden[: detail]` */
export function forbidden(path: PathLike, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field: text(path), message: withDetail('Forbidden', detail) };
}

/** `Duplicate value: <value>` */
export function duplicate(path: PathLike, value: BadValue): FieldError {
  return { type: 'FieldValueDuplicate', field: text(path), message: `Duplicate value: ${formatBadValue(value)}` };
}

/** `Too long: may not be more than N bytes` (the value itself is never printed). */
export function tooLong(path: PathLike, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}` : 'value is too long';
  return { type: 'FieldValueTooLong', field: text(path), message: `Too long: ${detail}` };
}

/** `Too many: <actual>: must have at most N items` */
export function tooMany(path: PathLike, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} ${max === 1 ? 'item' : 'items'}` : 'has too many items';
  const body = actual >= 0 ? `Too many: ${actual}` : 'Too many';
  return { type: 'FieldValueTooMany', field: text(path), message: `${body}: ${detail}` };
}

/** The `field is immutable` error (apimachinery's ValidateImmutableField message). */
export const FIELD_IMMUTABLE = 'field is immutable';

/** apimachinery's isNegativeErrorMsg. */
export const IS_NEGATIVE_MSG = 'must be greater than or equal to 0';
/** apimachinery's isNotPositiveErrorMsg (used by some callers). */
export const IS_NOT_POSITIVE_MSG = 'must be greater than zero';
