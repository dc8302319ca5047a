/**
 * apimachinery's `Semantic.DeepEqual` for JSON objects: absent, `null`, empty lists and empty maps
 * are equal (Go's nil vs empty), and so are absent and zero scalars (Go's non-pointer fields carry
 * no "unset" state). Quantities compare by value.
 */
import { Quantity } from '../quantity.js';

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).every(isEmpty);
  return false;
}

/** True when two JSON values are semantically equal in Kubernetes' sense. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isEmpty(a) && isEmpty(b)) return true;
  if (typeof a === 'string' && typeof b === 'string') {
    const qa = /^[+-]?[0-9.]/.test(a) ? Quantity.tryParse(a) : undefined;
    const qb = qa && /^[+-]?[0-9.]/.test(b) ? Quantity.tryParse(b) : undefined;
    return qa !== undefined && qb !== undefined && qa.equals(qb) && qa.format === qb.format;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) if (!semanticEqual(ao[k], bo[k])) return false;
    return true;
  }
  return false;
}

/**
 * Paths whose values differ, for the human-readable part of "may not change" messages (Kubernetes
 * prints a cmp.Diff of the Go structs there; this lists the changed JSON paths instead).
 */
export function diffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (semanticEqual(a, b)) return [];
  const bothObjects = a && b && typeof a === 'object' && typeof b === 'object';
  if (bothObjects && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) return [path];
      return a.flatMap((x, i) => diffPaths(x, b[i], `${path}[${i}]`));
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    return [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort().flatMap((k) => diffPaths(ao[k], bo[k], path ? `${path}.${k}` : k));
  }
  return [path];
}
