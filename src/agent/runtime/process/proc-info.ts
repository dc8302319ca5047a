/**
 * Process identity that survives an agent restart: a pid plus the process's start time, so a
 * pid the kernel has since given to another process is not mistaken for ours (the check
 * containerd and conmon make before trusting a stored pid).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** Start time of `pid` in clock ticks since boot (Linux), 0 where /proc is not available, undefined if gone. */
export function processStartTimeSync(pid: number): number | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    return isAlive(pid) ? 0 : undefined;
  }
}

export async function processStartTime(pid: number): Promise<number | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    return isAlive(pid) ? 0 : undefined;
  }
}

function parseStat(stat: string): number | undefined {
  // Field 2 (comm) may contain spaces and parentheses: fields after it start past the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined; // a zombie has ended
  const v = Number(rest[19]);
  return Number.isFinite(v) ? v : 0;
}

/** Whether a process exists (signal 0). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `pid` is still the process that started at `start` (0 = unknown, trust the pid). */
export async function sameProcess(pid: number, start: number): Promise<boolean> {
  const now = await processStartTime(pid);
  if (now === undefined) return false;
  return start === 0 || now === 0 || now === start;
}
