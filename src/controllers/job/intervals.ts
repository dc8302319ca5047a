/**
 * Sets of completion indexes as ordered, disjoint, non-adjacent intervals — the compressed form of
 * `status.completedIndexes`, `status.failedIndexes` and `successPolicy.rules[].succeededIndexes`
 * ("1,3-5,7": three or more consecutive numbers collapse into a range, two stay a list).
 */

export interface Interval {
  first: number;
  last: number;
}

export class OrderedIntervals {
  /** Use the static constructors; `list` must be ordered, disjoint and non-adjacent. */
  private constructor(readonly list: readonly Interval[]) {}

  static empty(): OrderedIntervals {
    return new OrderedIntervals([]);
  }

  /**
   * parseIndexesFromString: reads "0-2,5", ignoring indexes ≥ `completions` (an interval reaching
   * past it is clipped) and skipping malformed parts, as the controller does with stored status.
   */
  static parse(s: string | undefined | null, completions: number): OrderedIntervals {
    if (!s) return OrderedIntervals.empty();
    const out: Interval[] = [];
    for (const part of s.split(',')) {
      const limits = part.split('-');
      const first = goAtoi(limits[0] ?? '');
      if (first === undefined) continue;
      if (first >= completions) break;
      let last = first;
      if (limits.length > 1) {
        const l = goAtoi(limits[1] ?? '');
        if (l === undefined) continue;
        last = Math.min(l, completions - 1);
      }
      const prev = out[out.length - 1];
      if (prev && prev.last === first - 1) prev.last = last;
      else out.push({ first, last });
    }
    return new OrderedIntervals(out);
  }

  /** The intervals with `indexes` (ascending) added. */
  withOrderedIndexes(indexes: readonly number[]): OrderedIntervals {
    return this.merge(new OrderedIntervals(indexes.map((i) => ({ first: i, last: i }))));
  }

  /** The union of both sets. */
  merge(other: OrderedIntervals): OrderedIntervals {
    const result: Interval[] = [];
    const push = (iv: Interval) => {
      const last = result[result.length - 1];
      if (!last || iv.first > last.last + 1) result.push({ ...iv });
      else if (last.last < iv.last) last.last = iv.last;
    };
    let i = 0;
    let j = 0;
    const a = this.list;
    const b = other.list;
    while (i < a.length && j < b.length) {
      if (a[i]!.first < b[j]!.first) push(a[i++]!);
      else push(b[j++]!);
    }
    while (i < a.length) push(a[i++]!);
    while (j < b.length) push(b[j++]!);
    return new OrderedIntervals(result);
  }

  /** Number of indexes in the set. */
  total(): number {
    let n = 0;
    for (const iv of this.list) n += iv.last - iv.first + 1;
    return n;
  }

  has(ix: number): boolean {
    let lo = 0;
    let hi = this.list.length;
    while (hi > lo) {
      const mid = lo + ((hi - lo) >> 1);
      if (this.list[mid]!.last >= ix) hi = mid;
      else lo = mid + 1;
    }
    return hi < this.list.length && this.list[hi]!.first <= ix;
  }

  toString(): string {
    const parts: string[] = [];
    for (const { first, last } of this.list) {
      if (last === first) parts.push(String(first));
      else if (last === first + 1) parts.push(`${first},${last}`);
      else parts.push(`${first}-${last}`);
    }
    return parts.join(',');
  }
}

/** Go's strconv.Atoi for non-negative decimal values; undefined when it would fail. */
function goAtoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}
