/**
 * Processes on the machines of a test LAN (netns.ts): start one and collect its output, stop it,
 * or run a command to completion and get its output.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { Lan } from './netns.js';

export interface LanProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  out: () => string;
}

/** Starts `argv` on machine `host`. */
export function startOn(lan: Lan, host: number, argv: string[]): LanProcess {
  const cmd = [...lan.wrap(host), ...argv];
  const child = spawn(cmd[0] as string, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

/** Signals the process and waits for it to exit (SIGKILL after 15 s). */
export async function stopProcess(p: LanProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Runs a command on machine `host`; resolves with its stdout, rejects with its output on failure. */
export function execOn(lan: Lan, host: number, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const cmd = [...lan.wrap(host), ...argv];
  return new Promise((resolve, reject) => {
    const child = execFile(cmd[0] as string, cmd.slice(1), { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')} on ${lan.hosts[host]} failed: ${err.message}\n${stderr}${stdout}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}
