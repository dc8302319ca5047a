/**
 * One open store per database file. The store keeps the current revision, watchers and TTL
 * timers in memory and assumes it is the only writer; a second process writing the same file
 * would hand out clashing revisions. The lock is a tiny SQLite database beside the store, held in
 * EXCLUSIVE locking mode: SQLite's file locks work across processes (and across connections of
 * one process), and the OS drops them when the holder dies, even by SIGKILL, so a crash never
 * leaves a stale lock behind. (The store file itself cannot be opened EXCLUSIVE: the checkpoint
 * worker needs a second connection to it.)
 */
import Database from 'better-sqlite3';

export interface StoreLock {
  release(): void;
}

/** Takes the lock for the store at `path`, failing at once if someone holds it. */
export function openStoreLock(path: string): StoreLock {
  const lockPath = `${path}-lock`;
  const db = new Database(lockPath);
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since INTEGER NOT NULL)');
    // The first write in EXCLUSIVE mode takes the exclusive lock and keeps it until close.
    db.exec('BEGIN EXCLUSIVE');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY')) {
      throw new Error(`store ${path} is already open (by this or another process): ${lockPath} is locked`);
    }
    throw err;
  }
  return {
    release(): void {
      if (db.open) db.close();
    },
  };
}
