/**
 * System-owned metadata: names from generateName, UIDs, timestamps. Kubernetes fills these in
 * the generic registry (FillObjectMetaSystemFields, BeforeCreate/BeforeUpdate); clients cannot
 * set them.
 */
import { randomInt, randomUUID } from 'node:crypto';

/** Kubernetes' alphabet for generated names: no vowels (no words) and no look-alikes. */
export const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const GENERATED_SUFFIX_LENGTH = 5;
/** generateName prefixes are cut to this length so the name fits 63 characters. */
export const MAX_GENERATE_NAME_PREFIX = 58;

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return prefix.slice(0, MAX_GENERATE_NAME_PREFIX) + suffix;
}

export function newUID(): string {
  return randomUUID();
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
export function rfc3339Micro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
