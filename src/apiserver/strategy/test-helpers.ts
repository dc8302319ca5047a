/**
 * Test helpers that drive a strategy the way the generic registry does (defaults → prepare →
 * validate), so strategy tests read like API requests. Used only by *.test.ts files.
 */
import type { FieldError } from '../../api/errors.js';
import { clone, type KubeObject } from '../../api/object.js';
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { strategyFor } from './index.js';

/** The served resource for `group/Kind`. */
export function resourceOf(group: string, kind: string): ResourceInfo {
  const r = RESOURCES.find((x) => x.group === group && x.kind === kind);
  if (!r) throw new Error(`no resource ${group}/${kind}`);
  return r;
}

/** `field: message` lines, as they appear inside a 422's message. */
export const lines = (errs: FieldError[]): string[] => errs.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));

let uidCounter = 0;

/** A create as the registry performs it: system fields, defaults, PrepareForCreate, validation. */
export function create(r: ResourceInfo, body: KubeObject): { obj: KubeObject; errors: string[] } {
  const obj = clone(body);
  const meta = (obj.metadata ??= {});
  if (r.namespaced) meta.namespace ??= 'default';
  meta.uid ??= `uid-${++uidCounter}`;
  meta.creationTimestamp ??= '2024-01-01T00:00:00Z';
  const s = strategyFor(r);
  s.applyDefaults(obj);
  s.prepareForCreate(obj);
  return { obj, errors: lines(s.validateCreate(obj)) };
}

/** An update (PUT of `next` over `old`) as the registry performs it, including the generation rule. */
export function update(r: ResourceInfo, old: KubeObject, next: KubeObject): { obj: KubeObject; errors: string[]; generationBumped: boolean } {
  const obj = clone(next);
  const s = strategyFor(r);
  s.applyDefaults(obj);
  s.prepareForUpdate(obj, old);
  const generationBumped = s.generationChanged(obj, old);
  if (generationBumped && old.metadata?.generation !== undefined) (obj.metadata ??= {}).generation = old.metadata.generation + 1;
  return { obj, errors: lines(s.validateUpdate(obj, old)), generationBumped };
}

/** A write to the status subresource. */
export function updateStatus(r: ResourceInfo, old: KubeObject, next: KubeObject): { obj: KubeObject; errors: string[] } {
  const obj = clone(next);
  const s = strategyFor(r);
  s.applyDefaults(obj);
  s.prepareForStatusUpdate(obj, old);
  return { obj, errors: lines(s.validateStatusUpdate(obj, old)) };
}
