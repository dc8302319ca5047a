/**
 * What Kubernetes does while decoding a request body into its Go types, which a JSON store must do
 * explicitly: quantities are parsed and re-serialised in canonical form (`1.5Gi` → `1536Mi`), byte
 * fields must be valid base64, and a value that does not decode is a 400 naming the kind
 * (`Pod in version "v1" cannot be handled as a Pod: quantities must match ...`).
 */
import { badRequest } from '../../../api/errors.js';
import { Quantity, QuantityParseError } from '../../../api/quantity.js';
import type { KubeObject } from '../../../api/object.js';

/** The decoder's 400 for a body that does not fit the kind's Go type. */
export function decodeError(obj: KubeObject, kind: string, detail: string): Error {
  const version = (obj.apiVersion ?? 'v1').split('/').pop() ?? 'v1';
  return badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${detail}`);
}

/** Canonicalises every value of a quantity map in place. */
export function canonicalizeQuantityMap(map: Record<string, unknown> | undefined, obj: KubeObject, kind: string): void {
  if (!map || typeof map !== 'object') return;
  for (const [k, v] of Object.entries(map)) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    try {
      map[k] = Quantity.parse(v).toString();
    } catch (e) {
      if (e instanceof QuantityParseError) throw decodeError(obj, kind, e.message);
      throw e;
    }
  }
}

/** Canonicalises one quantity field (`holder[key]`) in place. */
export function canonicalizeQuantityField(holder: Record<string, unknown> | undefined, key: string, obj: KubeObject, kind: string): void {
  if (!holder || holder[key] === undefined || holder[key] === null) return;
  const wrapper: Record<string, unknown> = { [key]: holder[key] };
  canonicalizeQuantityMap(wrapper, obj, kind);
  holder[key] = wrapper[key];
}

/**
 * Go's base64.StdEncoding.DecodeString check: returns the offset Go reports for invalid input
 * (`illegal base64 data at input byte N`), or -1 when the string is valid.
 */
export function base64ErrorOffset(s: string): number {
  const clean = s.replace(/[\r\n]/g, '');
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i] ?? '';
    if (/[A-Za-z0-9+/]/.test(c)) continue;
    if (c === '=') {
      // Padding may only close the final quantum.
      const rest = clean.slice(i);
      if (/^={1,2}$/.test(rest) && clean.length % 4 === 0 && i >= clean.length - 2) return -1;
      return i;
    }
    return i;
  }
  if (clean.length % 4 !== 0) return clean.length - (clean.length % 4);
  return -1;
}

/** Checks every value of a `[]byte` map is valid base64, as decoding would. */
export function checkBase64Map(map: Record<string, unknown> | undefined, obj: KubeObject, kind: string): void {
  for (const v of Object.values(map ?? {})) {
    if (typeof v !== 'string') continue;
    const at = base64ErrorOffset(v);
    if (at >= 0) throw decodeError(obj, kind, `illegal base64 data at input byte ${at}`);
  }
}
