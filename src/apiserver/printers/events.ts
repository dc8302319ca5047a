/**
 * Printers for core/v1 and events.k8s.io/v1 Events. Kubernetes serves both from one storage and
 * prints both with `printEvent` after converting to its internal (core-shaped) Event, so the
 * events.k8s.io fields are mapped back first (`note` → message, `regarding` → involvedObject,
 * `deprecated*` → source, first/last timestamps and count).
 */
import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import { ageSince, parseTime } from './duration.js';
import { NAME_COLUMN, column } from './format.js';
import type { PrintContext, ResourcePrinter, TableColumnDefinition } from './types.js';

/** The fields the event printer reads, in Kubernetes' internal Event shape. */
export interface EventView {
  name: string;
  type?: string;
  reason?: string;
  message?: string;
  involvedKind?: string;
  involvedName?: string;
  fieldPath?: string;
  sourceComponent?: string;
  sourceHost?: string;
  reportingController?: string;
  reportingInstance?: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
}

/** A core/v1 Event as the printer sees it. */
export function coreEventView(e: CoreEvent): EventView {
  return {
    name: e.metadata?.name ?? '',
    type: e.type,
    reason: e.reason,
    message: e.message,
    involvedKind: e.involvedObject?.kind,
    involvedName: e.involvedObject?.name,
    fieldPath: e.involvedObject?.fieldPath,
    sourceComponent: e.source?.component,
    sourceHost: e.source?.host,
    reportingController: e.reportingComponent,
    reportingInstance: e.reportingInstance,
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    eventTime: e.eventTime,
    count: e.count,
    series: e.series,
  };
}

/** An events.k8s.io/v1 Event as the printer sees it (Kubernetes' v1 → internal conversion). */
export function eventsV1EventView(e: EventsV1Event): EventView {
  return {
    name: e.metadata?.name ?? '',
    type: e.type,
    reason: e.reason,
    message: e.note,
    involvedKind: e.regarding?.kind,
    involvedName: e.regarding?.name,
    fieldPath: e.regarding?.fieldPath,
    sourceComponent: e.deprecatedSource?.component,
    sourceHost: e.deprecatedSource?.host,
    reportingController: e.reportingController,
    reportingInstance: e.reportingInstance,
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    eventTime: e.eventTime,
    count: e.deprecatedCount,
    series: e.series,
  };
}

/**
 * The SOURCE cell: `component, host`, falling back to reportingController / reportingInstance
 * when the legacy source is empty; just the component without a host.
 */
export function eventSource(e: EventView): string {
  const component = e.sourceComponent || e.reportingController || '';
  const instance = e.sourceHost || e.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

/**
 * The event cells in wide order. FIRST SEEN falls back to eventTime; LAST SEEN falls back to
 * FIRST SEEN, and a series overrides it with its lastObservedTime (and COUNT with its count);
 * a singleton without count counts 1. Unset times print `<unknown>`.
 */
export function eventCells(e: EventView, ctx: PrintContext): unknown[] {
  let first = parseTime(e.firstTimestamp);
  if (first === undefined) first = parseTime(e.eventTime);
  const firstSeen = ageSince(first, ctx.nowMs);
  const last = parseTime(e.lastTimestamp);
  let lastSeen = last === undefined ? firstSeen : ageSince(last, ctx.nowMs);
  let count = e.count ?? 0;
  if (e.series) {
    lastSeen = ageSince(parseTime(e.series.lastObservedTime), ctx.nowMs);
    count = e.series.count ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  const kind = (e.involvedKind ?? '').toLowerCase();
  const object = e.involvedName ? `${kind}/${e.involvedName}` : kind;
  return [
    lastSeen,
    e.type ?? '',
    e.reason ?? '',
    object,
    e.fieldPath ?? '',
    eventSource(e),
    (e.message ?? '').trim(),
    firstSeen,
    count,
    e.name,
  ];
}

/** Event columns; Kubernetes uses the same for both API groups. */
export const EVENT_COLUMNS: readonly TableColumnDefinition[] = [
  column('Last Seen', 'string', 'Event.lastTimestamp'),
  column('Type', 'string', 'Event.type'),
  column('Reason', 'string', 'Event.reason'),
  column('Object', 'string', 'Event.involvedObject'),
  column('Subobject', 'string', 'ObjectReference.fieldPath', { priority: 1 }),
  column('Source', 'string', 'Event.source', { priority: 1 }),
  column('Message', 'string', 'Event.message'),
  column('First Seen', 'string', 'Event.firstTimestamp', { priority: 1 }),
  column('Count', 'string', 'Event.count', { priority: 1 }),
  Object.freeze({ ...NAME_COLUMN, priority: 1 }),
];

/** Printer for core/v1 Events. */
export const coreEventPrinter: ResourcePrinter<CoreEvent> = {
  columns: EVENT_COLUMNS,
  cells: (e, ctx) => eventCells(coreEventView(e), ctx),
};

/** Printer for events.k8s.io/v1 Events. */
export const eventsV1EventPrinter: ResourcePrinter<EventsV1Event> = {
  columns: EVENT_COLUMNS,
  cells: (e, ctx) => eventCells(eventsV1EventView(e), ctx),
};
