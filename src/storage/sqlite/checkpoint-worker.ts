/**
 * Worker-thread side of the WAL checkpointer: its own connection to the store's file, running
 * `PRAGMA wal_checkpoint` on request. A checkpoint copies WAL frames into the database file and
 * fsyncs both; off the main thread, that I/O never stalls the event loop, and in WAL mode it runs
 * concurrently with the main connection's reads and writes (PASSIVE never waits on them).
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointRequest, CheckpointResponse, CheckpointWorkerData } from './checkpointer.js';

const port = parentPort;
if (!port) throw new Error('checkpoint-worker must run as a worker thread');

const { path } = workerData as CheckpointWorkerData;
const db = new Database(path, { fileMustExist: true });
// PASSIVE checkpoints never wait. A TRUNCATE checkpoint waits (here, off the main thread) for
// the main connection's short synchronous reads to finish; writes are paused meanwhile.
db.pragma('busy_timeout = 100');

port.on('message', (msg: CheckpointRequest) => {
  if (msg.type === 'close') {
    db.close();
    port.close();
    return;
  }
  const started = performance.now();
  let reply: CheckpointResponse;
  try {
    const [row] = db.pragma(`wal_checkpoint(${msg.mode})`) as Array<{ busy: number; log: number; checkpointed: number }>;
    reply = {
      id: msg.id,
      busy: row?.busy ?? 0,
      log: row?.log ?? 0,
      checkpointed: row?.checkpointed ?? 0,
      ms: performance.now() - started,
    };
  } catch (err) {
    reply = { id: msg.id, error: err instanceof Error ? err.message : String(err), ms: performance.now() - started };
  }
  port.postMessage(reply);
});
