/**
 * Child process of crash.test.ts: writes to a file store as fast as it can and reports each
 * write on stdout only after its promise resolved, until the parent kills it with SIGKILL.
 *
 * Usage: node crash-child.js <db path> <run id>
 * Lines: `create <key> <value>` and `update <key> <value>`; values end in `:<sequence>`.
 */
import { writeSync } from 'node:fs';
import { openSqliteStore } from './sqlite-store.js';
import type { KeyValue } from '../store.js';

const [path, run] = process.argv.slice(2);
if (!path || !run) throw new Error('usage: crash-child <db path> <run id>');

/** Writers in flight at once, so group commit batches them. */
const CONCURRENCY = 32;

const store = await openSqliteStore({ path, checkpointIntervalMs: 20 });
const written: KeyValue[] = [];
let seq = 0;

// Synchronous writes: a line is on the pipe before the next write starts, so nothing reported
// can be lost in a Node buffer when the process dies.
const pause = new Int32Array(new SharedArrayBuffer(4));
const report = (line: string): void => {
  let buf = Buffer.from(`${line}\n`);
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(1, buf));
    } catch (err) {
      // The pipe is non-blocking: when the parent has not drained it yet, wait a moment.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
};

report('ready');
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (;;) {
      const n = ++seq;
      const target = n % 10 === 0 ? written[n % written.length] : undefined;
      if (target) {
        const value = `${target.key}:${n}`;
        try {
          const kv = await store.update(target.key, value, target.modRevision);
          written[written.indexOf(target)] = kv;
          report(`update ${kv.key} ${value}`);
        } catch {
          // Another writer updated it first (RevisionConflict): fine, try something else.
        }
        continue;
      }
      const key = `/crash/${run}/${String(n).padStart(8, '0')}`;
      const kv = await store.create(key, `${key}:${n}`);
      written.push(kv);
      report(`create ${kv.key} ${kv.value}`);
    }
  }),
);
