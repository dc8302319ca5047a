/**
 * The `data` of a ControllerRevision as DaemonSets and StatefulSets write it (their `getPatch`): a
 * strategic merge patch that replaces `spec.template` wholesale,
 *
 *   {"spec":{"template":{"$patch":"replace","metadata":{…},"spec":{…}}}}
 *
 * kubectl reads these revisions: `rollout history --revision=N` applies the patch to the live
 * object to print the old template, and `rollout undo` sends it back as a strategic merge patch.
 * `rollout undo` also compares it byte for byte with the same patch computed from the live object
 * to print "skipped rollback (current template already matches revision N)". kubectl computes that
 * patch by decoding the object into Go structs and encoding it again, which sorts every key and
 * writes the few fields Go's `omitempty` cannot drop: `metadata.creationTimestamp: null` and each
 * container's `resources: {}`. The patch built here does the same, so the bytes agree.
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { canonicalJson } from '../lib/hash.js';

/** A JSON value with object keys inserted in sorted order (so it serialises as Go's maps do). */
export function sortedCopy<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => sortedCopy(v)) as T;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) {
    const v = obj[k];
    if (v !== undefined) out[k] = sortedCopy(v);
  }
  return out as T;
}

/**
 * The template as Go's encoding/json writes a decoded `v1.PodTemplateSpec`: a struct-typed
 * `metadata` always present with `creationTimestamp: null`, and `resources: {}` on every container
 * (ResourceRequirements is a struct, which `omitempty` never omits).
 */
export function goEncodedTemplate(template: PodTemplateSpec | undefined): Record<string, unknown> {
  const t = structuredClone(template ?? {}) as Record<string, unknown> & { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
  const meta = (t.metadata ??= {});
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  const spec = t.spec;
  if (spec) {
    for (const list of ['initContainers', 'containers', 'ephemeralContainers']) {
      const containers = spec[list];
      if (!Array.isArray(containers)) continue;
      for (const c of containers as Array<Record<string, unknown>>) c.resources ??= {};
    }
  }
  return t;
}

/** The revision data for `template`: a patch replacing `spec.template`, keys sorted. */
export function templateRevisionData(template: PodTemplateSpec | undefined): Record<string, unknown> {
  const t = goEncodedTemplate(template);
  t.$patch = 'replace';
  return sortedCopy({ spec: { template: t } });
}

/**
 * The pod template a revision records (the patch's `spec.template` without the `$patch`
 * directive and the `creationTimestamp: null` Go adds), or undefined if the data has no template.
 */
export function templateFromRevisionData(data: unknown): PodTemplateSpec | undefined {
  const spec = (data as { spec?: { template?: unknown } } | null | undefined)?.spec;
  const template = spec?.template;
  if (!template || typeof template !== 'object') return undefined;
  const t = structuredClone(template) as Record<string, unknown> & { metadata?: Record<string, unknown> };
  delete t.$patch;
  if (t.metadata && t.metadata.creationTimestamp === null) delete t.metadata.creationTimestamp;
  return t as PodTemplateSpec;
}

/** Whether two revision data values are the same patch (semantically, ignoring key order). */
export function revisionDataEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}
