/**
 * The SQLite layout, after kine's log-structured driver (k3s-io/kine pkg/drivers/sqlite and
 * pkg/logstructured): one append-only table `kv` whose row id is the global revision. Every
 * write appends a row; nothing is updated in place.
 *
 * - `created` marks the row that created the key, `deleted` marks a tombstone.
 * - `prev_revision` is the id of the key's previous row (0 for a brand-new key), and
 *   `UNIQUE(name, prev_revision)` is the optimistic-concurrency guard: two writers that both read
 *   revision R and both try to append after it cannot both succeed.
 * - The value of a tombstone is NULL; a delete event takes the last value from the previous row,
 *   which compaction keeps for as long as the tombstone is in history (see compactSql).
 * - `expires_at` (ms since the epoch) carries a TTL across restarts.
 *
 * The state at revision R is, per name, the row with the largest id <= R unless it is a
 * tombstone. The covering index `(name, id, deleted)` answers that, in key order, without
 * touching the table for the key-only parts (count, existence checks).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { KeyRange } from './key-range.js';

/** Bumped when the layout changes incompatibly; stored in `PRAGMA user_version`. */
export const SCHEMA_VERSION = 1;

const DDL = `
  CREATE TABLE IF NOT EXISTS kv (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    expires_at INTEGER,
    value TEXT
  );
  CREATE UNIQUE INDEX IF NOT EXISTS kv_name_prev_revision ON kv (name, prev_revision);
  CREATE INDEX IF NOT EXISTS kv_name_id_deleted ON kv (name, id, deleted);
  CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL;
  CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Creates the tables on a new database and checks the version of an existing one. */
export function migrate(db: Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`store schema version ${version} is newer than this build understands (${SCHEMA_VERSION})`);
  }
  db.transaction(() => {
    db.exec(DDL);
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** One row of `kv` as the store reads it. */
export interface Row {
  id: number;
  name: string;
  created: number;
  deleted: number;
  create_revision: number;
  prev_revision: number;
  expires_at: number | null;
  value: string | null;
}

/** A history row joined with the row before it (for `prevKv`). */
export interface EventRow extends Row {
  prev_value: string | null;
  prev_create_revision: number | null;
}

/** A live key as a list returns it. */
export interface ListRow {
  id: number;
  name: string;
  create_revision: number;
  value: string;
}

/**
 * `r` is the newest row of its name at or below `@rev`, and not a tombstone. Evaluated per index
 * entry while walking `(name, id, deleted)` in key order, so `LIMIT` stops the walk early.
 */
const LIVE_AT_REV = `r.id <= @rev AND r.deleted = 0
  AND NOT EXISTS (SELECT 1 FROM kv n WHERE n.name = r.name AND n.id > r.id AND n.id <= @rev)`;

/**
 * The four shapes of a key range: inclusive or exclusive start, bounded or open end. `column` is
 * `+r.name` where the range is only a filter: the unary plus keeps SQLite from walking the name
 * index when the revision window on the primary key is the narrower path (watch replay).
 */
function rangeSql(fromExclusive: boolean, bounded: boolean, column = 'r.name'): string {
  return `${column} ${fromExclusive ? '>' : '>='} @from${bounded ? ` AND ${column} < @to` : ''}`;
}

/** Statements for one key-range shape. */
export interface RangeStatements {
  /** Live rows at `@rev` in key order, `LIMIT @limit`. */
  list: Statement;
  /** Live names only (index-only), for count. */
  names: Statement;
  /** History rows in `(@after, @upto]` in revision order, joined with their previous row. */
  events: Statement;
}

/**
 * Deletes the rows that revisions `(@from, @to]` superseded, as kine's CompactSQL does: the
 * previous row of every row in the window, and every tombstone in it. A row whose successor is
 * newer than `@to` survives, so every event after the compacted revision can still be replayed
 * with its `prevKv`, and the latest row of every live key is never touched.
 */
const compactSql = `
  DELETE FROM kv WHERE id IN (
    SELECT prev_revision FROM kv WHERE id > @from AND id <= @to AND prev_revision != 0
    UNION
    SELECT id FROM kv WHERE id > @from AND id <= @to AND deleted = 1
  )`;

/** Prepared statements, prepared once per connection. */
export interface Statements {
  latest: Statement;
  insert: Statement;
  setMeta: Statement;
  getMeta: Statement;
  sequence: Statement;
  ttlRows: Statement;
  compact: Statement;
  /** Indexed by `(fromExclusive ? 2 : 0) + (bounded ? 1 : 0)`. */
  ranges: RangeStatements[];
}

/** Prepares every statement the store uses. */
export function prepareStatements(db: Database): Statements {
  const ranges: RangeStatements[] = [];
  for (const fromExclusive of [false, true]) {
    for (const bounded of [false, true]) {
      const range = rangeSql(fromExclusive, bounded);
      ranges.push({
        list: db.prepare(
          `SELECT r.id, r.name, r.create_revision, r.value FROM kv r
           WHERE ${range} AND ${LIVE_AT_REV} ORDER BY r.name LIMIT @limit`,
        ),
        names: db
          .prepare(`SELECT r.name FROM kv r WHERE ${range} AND ${LIVE_AT_REV} ORDER BY r.name LIMIT @limit`)
          .pluck(),
        events: db.prepare(
          `SELECT r.*, p.value AS prev_value, p.create_revision AS prev_create_revision
           FROM kv r LEFT JOIN kv p ON p.id = r.prev_revision AND r.created = 0
           WHERE r.id > @after AND r.id <= @upto AND ${rangeSql(fromExclusive, bounded, '+r.name')}
           ORDER BY r.id`,
        ),
      });
    }
  }
  return {
    latest: db.prepare('SELECT * FROM kv WHERE name = ? ORDER BY id DESC LIMIT 1'),
    insert: db.prepare(
      `INSERT INTO kv (id, name, created, deleted, create_revision, prev_revision, expires_at, value)
       VALUES (@id, @name, @created, @deleted, @create_revision, @prev_revision, @expires_at, @value)`,
    ),
    setMeta: db.prepare(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    ),
    getMeta: db.prepare('SELECT value FROM meta WHERE name = ?').pluck(),
    sequence: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kv'").pluck(),
    ttlRows: db.prepare(
      `SELECT r.name, r.id, r.expires_at FROM kv r
       WHERE r.expires_at IS NOT NULL AND r.deleted = 0
         AND NOT EXISTS (SELECT 1 FROM kv n WHERE n.name = r.name AND n.id > r.id)`,
    ),
    compact: db.prepare(compactSql),
    ranges,
  };
}

/** Index into `Statements.ranges` for a range shape. */
export function rangeIndex(fromExclusive: boolean, bounded: boolean): number {
  return (fromExclusive ? 2 : 0) + (bounded ? 1 : 0);
}

/** Name of the `meta` row holding the compacted revision. */
export const META_COMPACT_REVISION = 'compact_revision';

/** Named parameters for a key range (better-sqlite3 rejects unused named parameters). */
export function rangeParams(range: KeyRange): { from: string; to?: string } {
  return range.to === undefined ? { from: range.from } : { from: range.from, to: range.to };
}
