/**
 * Resource use of a process and its descendants read from /proc (Linux), as `ps`/`top` do: RSS
 * from `/proc/<pid>/status` (VmRSS), CPU time from fields 14–15 of `/proc/<pid>/stat` (utime,
 * stime, in clock ticks). A server's pods are its descendants (shims, container processes), so
 * the tree is what a user's machine pays for.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second (USER_HZ), for converting /proc CPU times. */
export const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

interface Stat {
  ppid: number;
  cpuTicks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after its end.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

/** `pid` and every live descendant of it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(Number(name));
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Resident set size of one process in bytes (0 if it is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS of `pid` and its descendants, in MB (10^6 bytes would flatter; MiB as `ps` shows). */
export function treeRssMb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + rssBytes(p), 0) / (1024 * 1024);
}

/** CPU seconds (user + system) used so far by `pid` and its live descendants. */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + (readStat(p)?.cpuTicks ?? 0), 0) / CLOCK_TICKS;
}

/** CPU seconds used so far by `pid` alone. */
export function cpuSeconds(pid: number): number {
  return (readStat(pid)?.cpuTicks ?? 0) / CLOCK_TICKS;
}
