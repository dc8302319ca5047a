/**
 * Resources served in more than one API share one storage representation, as in Kubernetes:
 * events.k8s.io/v1 Events are stored as core/v1 Events (one `/registry/events/` keyspace), so an
 * event written through either API is read through both. This module converts between the
 * served and the stored shape.
 */
import type { KubeObject } from '../api/object.js';
import { findResource, type ResourceInfo } from '../api/resources.js';

export interface Conversion {
  /** The resource whose strategy, keys and shape are used for storage. */
  storage: ResourceInfo;
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}

type Obj = Record<string, unknown>;

/** Renames fields, dropping undefined ones; `pairs` is [from, to][]. */
function rename(src: Obj, pairs: Array<[string, string]>, out: Obj): void {
  for (const [from, to] of pairs) if (src[from] !== undefined) out[to] = src[from];
}

// core/v1 field ↔ events.k8s.io/v1 field (pkg/apis/events/v1/conversion.go).
const EVENT_FIELDS: Array<[string, string]> = [
  ['involvedObject', 'regarding'],
  ['related', 'related'],
  ['reason', 'reason'],
  ['message', 'note'],
  ['type', 'type'],
  ['eventTime', 'eventTime'],
  ['series', 'series'],
  ['action', 'action'],
  ['reportingComponent', 'reportingController'],
  ['reportingInstance', 'reportingInstance'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['source', 'deprecatedSource'],
];
const REVERSED: Array<[string, string]> = EVENT_FIELDS.map(([a, b]) => [b, a]);

const coreEvents = findResource('', 'v1', 'events')!;

const eventsV1: Conversion = {
  storage: coreEvents,
  toStorage(obj) {
    const out: Obj = { apiVersion: 'v1', kind: 'Event', metadata: obj.metadata };
    rename(obj as Obj, REVERSED, out);
    return out as KubeObject;
  },
  fromStorage(obj) {
    const out: Obj = { kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: obj.metadata };
    rename(obj as Obj, EVENT_FIELDS, out);
    return out as KubeObject;
  },
};

/** The conversion for a served resource, or undefined when it is stored as served. */
export function conversionFor(info: ResourceInfo): Conversion | undefined {
  if (info.group === 'events.k8s.io' && info.resource === 'events') return eventsV1;
  return undefined;
}
