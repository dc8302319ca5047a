/**
 * Durability under SIGKILL: a child process writes as fast as it can and prints each write only
 * after it resolved; the parent kills it mid-stream, reopens the file and checks that every
 * acknowledged write is there. WAL with synchronous=NORMAL promises exactly this for a process
 * crash (a commit's frames are in the OS before COMMIT returns); only power loss may lose more.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from './sqlite-store.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'skiff-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until it has acknowledged `killAfter` writes, then SIGKILLs it. */
async function runAndKill(path: string, run: string, killAfter: number): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, path, run], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  let acked = 0;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? ''; // an incomplete last line was not fully reported: ignore it
    for (const line of parts) {
      if (line === 'ready') continue;
      lines.push(line);
      acked++;
    }
    if (acked >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', `the child should die by SIGKILL, not on its own: ${stderr}`);
  return lines;
}

it('every write acknowledged before SIGKILL is in the file after reopening', { timeout: 120_000 }, async () => {
  const path = join(dir, 'state.db');
  const latest = new Map<string, number>(); // key -> highest acknowledged sequence
  const kills = [1, 2500, 400, 6000, 1500];
  for (const [i, killAfter] of kills.entries()) {
    const lines = await runAndKill(path, `run${i}`, killAfter);
    assert.ok(lines.length >= killAfter, `run ${i}: ${lines.length} acknowledged writes`);
    for (const line of lines) {
      const [op, key, value] = line.split(' ') as [string, string, string];
      assert.ok(op === 'create' || op === 'update', `unexpected line ${line}`);
      const n = Number(value.slice(value.lastIndexOf(':') + 1));
      latest.set(key, Math.max(latest.get(key) ?? 0, n));
    }

    // The killed process's lock is gone with it: the store opens at once.
    const store = await openSqliteStore({ path });
    try {
      let missing = 0;
      for (const [key, n] of latest) {
        const kv = await store.get(key);
        const stored = kv ? Number(kv.value.slice(kv.value.lastIndexOf(':') + 1)) : -1;
        // A write may have committed without being reported, so the stored value can be newer.
        if (!kv || !kv.value.startsWith(`${key}:`) || stored < n) missing++;
      }
      assert.equal(missing, 0, `run ${i}: ${missing} of ${latest.size} acknowledged writes lost`);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  }
});
