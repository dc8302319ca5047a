/**
 * One write applied inside the store's transaction: read the key's newest row, check the
 * precondition, append the new row. Preconditions are checked against the newest row in the
 * same transaction, so the outcome is the one a serial execution would give; the
 * `UNIQUE(name, prev_revision)` index backs that up (two appends after the same row cannot both
 * land), as in kine.
 */
import Database from 'better-sqlite3';
import { KeyExistsError, KeyNotFoundError, RevisionConflictError } from '../store.js';
import type { KeyValue, StoreEvent } from '../store.js';
import { freezeEvent, kvFromRow } from './row-codec.js';
import type { Row, Statements } from './schema.js';

export type WriteOp =
  | { kind: 'create'; key: string; value: string; ttlSeconds: number | undefined }
  | { kind: 'update'; key: string; value: string; expected: number; ttlSeconds: number | undefined }
  | { kind: 'delete'; key: string; expected: number | undefined };

/** What a successful write produced. */
export interface Applied {
  /** Resolved to the writer. */
  kv: KeyValue;
  event: StoreEvent;
  /** Wall-clock expiry of the new row, or null (a write without TTL clears any earlier one). */
  expiresAt: number | null;
}

/** The errors that fail one write but leave the rest of its batch alone. */
export function isPreconditionError(err: unknown): boolean {
  return err instanceof KeyExistsError || err instanceof KeyNotFoundError || err instanceof RevisionConflictError;
}

/**
 * Applies `op` as revision `rev`. Throws a precondition error (the statement appended nothing)
 * or, for anything unexpected, the SQLite error (the caller rolls the batch back).
 */
export function applyWrite(stmts: Statements, op: WriteOp, rev: number, now: number): Applied {
  const latest = stmts.latest.get(op.key) as Row | undefined;
  const live = latest && latest.deleted === 0 ? latest : undefined;
  const prevRevision = latest?.id ?? 0;
  switch (op.kind) {
    case 'create': {
      if (live) throw new KeyExistsError(op.key);
      const expiresAt = expiry(op.ttlSeconds, now);
      append(stmts, op, { id: rev, created: 1, deleted: 0, create_revision: rev, prev_revision: prevRevision, expires_at: expiresAt, value: op.value });
      const kv = Object.freeze({ key: op.key, value: op.value, modRevision: rev, createRevision: rev });
      return { kv, event: freezeEvent({ type: 'put', kv, prevKv: undefined }), expiresAt };
    }
    case 'update': {
      if (!live) throw new KeyNotFoundError(op.key);
      if (live.id !== op.expected) throw new RevisionConflictError(op.key, op.expected, live.id);
      const expiresAt = expiry(op.ttlSeconds, now);
      append(stmts, op, {
        id: rev,
        created: 0,
        deleted: 0,
        create_revision: live.create_revision,
        prev_revision: live.id,
        expires_at: expiresAt,
        value: op.value,
      });
      const kv = Object.freeze({ key: op.key, value: op.value, modRevision: rev, createRevision: live.create_revision });
      return { kv, event: freezeEvent({ type: 'put', kv, prevKv: kvFromRow(live) }), expiresAt };
    }
    case 'delete': {
      if (!live) throw new KeyNotFoundError(op.key);
      if (op.expected !== undefined && live.id !== op.expected) throw new RevisionConflictError(op.key, op.expected, live.id);
      append(stmts, op, {
        id: rev,
        created: 0,
        deleted: 1,
        create_revision: live.create_revision,
        prev_revision: live.id,
        expires_at: null,
        value: null,
      });
      const prevKv = kvFromRow(live);
      const kv = Object.freeze({ ...prevKv, modRevision: rev });
      return { kv, event: freezeEvent({ type: 'delete', kv, prevKv }), expiresAt: null };
    }
  }
}

function expiry(ttlSeconds: number | undefined, now: number): number | null {
  return ttlSeconds === undefined ? null : now + Math.round(ttlSeconds * 1000);
}

function append(stmts: Statements, op: WriteOp, row: Omit<Row, 'name'>): void {
  try {
    stmts.insert.run({ ...row, name: op.key });
  } catch (err) {
    // The (name, prev_revision) guard fired: another append after the same row got there first.
    if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE') {
      if (op.kind === 'create') throw new KeyExistsError(op.key);
      const current = stmts.latest.get(op.key) as Row | undefined;
      throw new RevisionConflictError(op.key, op.expected ?? row.prev_revision, current?.id ?? 0);
    }
    throw err;
  }
}

/** Rejects malformed writes before they are queued, saying what was expected. */
export function validateWrite(op: WriteOp): Error | undefined {
  if (typeof op.key !== 'string' || op.key === '') return new TypeError('key must be a non-empty string');
  if (op.kind !== 'delete' && typeof op.value !== 'string') return new TypeError(`value of ${op.key} must be a string`);
  if (op.kind !== 'delete' && op.ttlSeconds !== undefined && !(Number.isFinite(op.ttlSeconds) && op.ttlSeconds > 0)) {
    return new RangeError(`ttlSeconds of ${op.key} must be a positive number, got ${op.ttlSeconds}`);
  }
  const expected = op.kind === 'create' ? undefined : op.expected;
  if (expected !== undefined && !(Number.isInteger(expected) && expected > 0)) {
    return new RangeError(`expected revision of ${op.key} must be a positive integer, got ${expected}`);
  }
  return undefined;
}
