/**
 * Owners verified absent (Kubernetes' absentOwnerCache, a 500-entry LRU of objectReferences):
 * after one uncached GET found an owner gone, its thousand dependents skip the same GET. Entries
 * carry full coordinates, so an absence recorded for one UID or apiVersion covers no other.
 */
import type { ObjectIdentity } from './graph.js';
import { identityKey } from './graph.js';

/** Kubernetes' size for the garbage collector's absent-owner cache. */
export const ABSENT_OWNER_CACHE_SIZE = 500;

export class AbsentOwnerCache {
  /** Insertion order is recency order: `has` and `add` move an entry to the end. */
  private readonly entries = new Set<string>();

  constructor(private readonly capacity = ABSENT_OWNER_CACHE_SIZE) {}

  add(id: ObjectIdentity): void {
    const key = identityKey(id);
    this.entries.delete(key);
    this.entries.add(key);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  has(id: ObjectIdentity): boolean {
    const key = identityKey(id);
    if (!this.entries.has(key)) return false;
    this.entries.delete(key);
    this.entries.add(key);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }
}
