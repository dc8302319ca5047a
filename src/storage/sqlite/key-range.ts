/**
 * Prefix ranges for SQLite's BINARY collation, which orders TEXT by its UTF-8 bytes, i.e. by
 * Unicode code point. A prefix `p` is turned into the half-open range `[p, end)` so that lookups
 * walk the `(name, id)` index instead of scanning the table, the way etcd turns a prefix into
 * `[key, range_end)` by incrementing the last byte (clientv3.GetPrefixRangeEnd).
 */

/**
 * The smallest string, in code point order, that is greater than every string starting with
 * `prefix`; `undefined` when there is none (the empty prefix, or one made only of U+10FFFF).
 */
export function prefixRangeEnd(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop() as string;
    const cp = last.codePointAt(0) as number;
    if (cp < 0x10ffff) {
      // Skip the surrogate block: those code points cannot appear in well-formed text.
      const next = cp + 1 === 0xd800 ? 0xe000 : cp + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** A key range `[from, to)` (or `(from, to)` when `fromExclusive`); `to` undefined = unbounded. */
export interface KeyRange {
  from: string;
  fromExclusive: boolean;
  to: string | undefined;
}

/**
 * The range of keys under `prefix` that sort after `afterKey` (when given). Picks a single lower
 * bound so SQLite can seek the index straight to it: paging from the middle of a large prefix
 * must not rescan the pages before it.
 */
export function keyRange(prefix: string, afterKey?: string): KeyRange {
  const to = prefixRangeEnd(prefix);
  if (afterKey !== undefined && compareCodePoints(afterKey, prefix) >= 0) {
    return { from: afterKey, fromExclusive: true, to };
  }
  return { from: prefix, fromExclusive: false, to };
}

/** Compares strings by code point (SQLite's order for UTF-8 TEXT), not by UTF-16 code unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 and code point order disagree only where one side is a surrogate (an astral code
    // point, above every BMP character) and the other a BMP character at or above U+E000.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
