/**
 * Key ranges as etcd expresses them: `[key, range_end)` over bytes, where a prefix's range end
 * is the prefix with its last byte incremented (clientv3.GetPrefixRangeEnd) and `\0` as both
 * key and range end means every key.
 */
import type { KeyValue } from '../store.js';
import type { KeyValueMsg } from './proto/messages.js';

const ZERO = Buffer.from([0]);

/** `[key, rangeEnd)` covering every key that starts with `prefix` ('' = all keys). */
export function prefixRange(prefix: string): { key: Buffer; rangeEnd: Buffer } {
  if (prefix === '') return { key: ZERO, rangeEnd: ZERO };
  const key = Buffer.from(prefix, 'utf8');
  return { key, rangeEnd: prefixEnd(key) };
}

/** The smallest key greater than every key with this prefix (`\0` when there is none). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if ((end[i] as number) < 0xff) {
      end[i] = (end[i] as number) + 1;
      return end.subarray(0, i + 1);
    }
  }
  return ZERO;
}

/** The start of a page: the prefix itself, or just past `afterKey` when that is later. */
export function pageStart(prefix: string, afterKey: string | undefined): Buffer {
  const { key } = prefixRange(prefix);
  if (!afterKey) return key;
  const after = Buffer.concat([Buffer.from(afterKey, 'utf8'), ZERO]);
  return Buffer.compare(after, key) > 0 ? after : key;
}

/** A decoded etcd KeyValue as the Store's KeyValue. */
export function toKeyValue(kv: KeyValueMsg): KeyValue {
  return { key: kv.key.toString('utf8'), value: kv.value.toString('utf8'), modRevision: kv.modRevision, createRevision: kv.createRevision };
}
