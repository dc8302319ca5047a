/**
 * Rows of the `kv` log turned into the Store contract's values and events. Everything handed out
 * is frozen: one event object is shared by every watcher of a prefix and by the writer.
 */
import type { KeyValue, StoreEvent } from '../store.js';
import type { EventRow, ListRow, Row } from './schema.js';

/** The value a live row holds. */
export function kvFromRow(r: Row | ListRow): KeyValue {
  return Object.freeze({
    key: r.name,
    value: r.value ?? '',
    modRevision: r.id,
    createRevision: r.create_revision,
  });
}

/**
 * The event a history row records. A tombstone's value is NULL: a delete event carries the last
 * value (from the previous row) with the delete's revision, as the Store contract defines.
 */
export function eventFromRow(r: EventRow): StoreEvent {
  const prevKv =
    r.created === 0 && r.prev_value !== null
      ? Object.freeze({
          key: r.name,
          value: r.prev_value,
          modRevision: r.prev_revision,
          createRevision: r.prev_create_revision ?? r.create_revision,
        })
      : undefined;
  if (r.deleted !== 0) {
    const kv = Object.freeze({
      key: r.name,
      value: prevKv?.value ?? '',
      modRevision: r.id,
      createRevision: r.create_revision,
    });
    return freezeEvent({ type: 'delete', kv, prevKv });
  }
  return freezeEvent({ type: 'put', kv: kvFromRow(r), prevKv });
}

/** Freezes an event, leaving `prevKv` off when there is none. */
export function freezeEvent(e: { type: StoreEvent['type']; kv: KeyValue; prevKv: KeyValue | undefined }): StoreEvent {
  return Object.freeze(e.prevKv ? { type: e.type, kv: e.kv, prevKv: e.prevKv } : { type: e.type, kv: e.kv });
}
