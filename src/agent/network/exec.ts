/**
 * Running the network tools (iproute2's `ip`, `nft`, `sysctl` through /proc) from the agent and
 * the proxy: argv only (no shell), stdin for batches, and errors that carry the tool's stderr so a
 * failed setup says what the kernel refused.
 */
import { access, constants } from 'node:fs/promises';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './command-runner.js';

export class NetworkCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | string | null,
  ) {
    super(`${command}: ${stderr.trim() || `exit ${code}`}`);
    this.name = 'NetworkCommandError';
  }
}

/** Runs `file args…`, feeding `input` on stdin; resolves with stdout, rejects with stderr. */
export async function run(file: string, args: string[], input?: string): Promise<string> {
  const r = await runCommand(file, args, input);
  if (!r.ok) throw new NetworkCommandError(`${file} ${args.join(' ')}`.slice(0, 300), r.stderr, r.code);
  return r.stdout;
}

/** Like run, but a failure is returned as undefined (cleanup of what may already be gone). */
export async function tryRun(file: string, args: string[], input?: string): Promise<string | undefined> {
  try {
    return await run(file, args, input);
  } catch {
    return undefined;
  }
}

/** `ip -j …` parsed. */
export async function ipJson<T>(args: string[]): Promise<T[]> {
  const out = await run('ip', ['-j', ...args]);
  return out.trim() ? (JSON.parse(out) as T[]) : [];
}

/** Whether an executable is on PATH. */
export async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

/** Reads a sysctl (`net/ipv4/ip_forward`), undefined when it does not exist. */
export async function readSysctl(path: string): Promise<string | undefined> {
  try {
    return (await readFile(join('/proc/sys', path), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function writeSysctl(path: string, value: string): Promise<void> {
  await writeFile(join('/proc/sys', path), value);
}
