/**
 * Shared test helpers for the printer tests: a fixed clock and shortcuts to print one object.
 */
import type { KubeObject } from '../../../api/object.js';
import { findResource } from '../../../api/resources.js';
import { printTable } from '../print-table.js';

/** The fixed "now" every printer test measures ages against. */
export const NOW = new Date('2026-01-10T12:00:00Z');

/** An RFC 3339 timestamp `seconds` before {@link NOW}. */
export function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Prints one object of a served resource (`group/version/resource`) and returns its cells. */
export function cells(gvr: string, obj: unknown): unknown[] {
  const [group = '', version = '', resource = ''] = gvr.split('/');
  const info = findResource(group, version, resource);
  if (!info) throw new Error(`resource ${gvr} is not served`);
  const row = printTable(info, [obj as KubeObject], { now: NOW }).rows[0];
  if (!row) throw new Error('no row printed');
  return row.cells;
}

/** The column names of a served resource's table, wide ones marked with `*`. */
export function columnNames(gvr: string): string[] {
  const [group = '', version = '', resource = ''] = gvr.split('/');
  const info = findResource(group, version, resource);
  if (!info) throw new Error(`resource ${gvr} is not served`);
  return printTable(info, [], { now: NOW }).columnDefinitions.map((c) => (c.priority > 0 ? `${c.name}*` : c.name));
}
