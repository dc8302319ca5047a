import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { underReaper } from './reaper.js';

const ppidOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
};

test('the subreaper adopts what its child orphans, reaps it at once, and exits when nothing is left', { skip: !underReaper(['true']) && 'needs Linux and perl', timeout: 20_000 }, async () => {
  // The child starts a grandchild in the background and exits at once, orphaning it.
  const run = underReaper(['sh', '-c', 'sleep 30 & echo $!'])!;
  const reaper = spawn(run.file, run.args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((r) => reaper.once('exit', (code) => r(code)));
  const orphan = Number(await new Promise<string>((r) => reaper.stdout!.once('data', (d: Buffer) => r(d.toString().trim()))));
  // Adopted by the reaper, not by PID 1.
  for (let i = 0; i < 100 && ppidOf(orphan) !== reaper.pid; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(ppidOf(orphan), reaper.pid);
  // Killed, it is reaped at once (no zombie), and the reaper, with nothing left, exits.
  process.kill(orphan, 'SIGKILL');
  assert.equal(await exited, 0);
  assert.equal(ppidOf(orphan), undefined, 'no zombie left behind');
});
