/**
 * Starting a command for `kubectl exec`/`attach` with or without a terminal, as an `ExecProcess`
 * (the streams-backend contract). With `tty` the command gets a pseudo-terminal — the kubelet's
 * runtimes allocate one for `exec -t` — through node-pty (the `@lydell/node-pty` build, which
 * ships prebuilt binaries for Linux, macOS and Windows inside the npm package, so installing Skiff
 * needs no compiler and no install script). Where no prebuilt binary loads (musl, 32-bit ARM…),
 * Linux falls back to util-linux `script`, which allocates the pty itself; window size changes
 * then go through `stty -F <pts>` on the terminal's slave side, found in /proc.
 */
import { spawn, execFile } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PassThrough, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import type { ExecProcess } from '../streams-backend.js';

export interface ExecSpawnOptions {
  file: string;
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  tty: boolean;
  /** Keep a stdin pipe (without a tty, stdin is otherwise /dev/null). */
  stdin: boolean;
  /** Initial terminal size (kubectl sends the real one on the resize channel right away). */
  cols?: number;
  rows?: number;
  /** Force the `script` fallback (tests). */
  ptyImplementation?: 'node-pty' | 'script';
}

/** Exit code for a process killed by a signal, as container runtimes report it (128 + signo). */
export function exitCodeOf(exit: { code: number | null; signal: string | null }): number {
  if (exit.code !== null) return exit.code;
  const signo = exit.signal ? (osConstants.signals as Record<string, number>)[exit.signal] : undefined;
  return signo ? 128 + signo : 1;
}

interface PtyModule {
  spawn(file: string, args: string[], opts: { name?: string; cols?: number; rows?: number; cwd?: string; env?: Record<string, string>; encoding?: string | null }): PtyProcess;
}
interface PtyProcess {
  pid: number;
  onData(cb: (d: Buffer | string) => void): { dispose(): void };
  onExit(cb: (e: { exitCode: number; signal?: number }) => void): { dispose(): void };
  write(data: string | Buffer): void;
  resize(cols: number, rows: number): void;
  kill(signal?: string): void;
  pause(): void;
  resume(): void;
}

let ptyModule: PtyModule | null | undefined;
function loadNodePty(): PtyModule | null {
  if (ptyModule !== undefined) return ptyModule;
  try {
    ptyModule = createRequire(import.meta.url)('@lydell/node-pty') as PtyModule;
  } catch {
    ptyModule = null;
  }
  return ptyModule;
}

/** Which terminal implementation `tty` sessions get on this machine. */
export function ptyImplementation(): 'node-pty' | 'script' | 'none' {
  if (loadNodePty()) return 'node-pty';
  return process.platform === 'linux' ? 'script' : 'none';
}

/** Starts a command as an ExecProcess (pipes, or a pseudo-terminal when `tty`). */
export function spawnExecProcess(o: ExecSpawnOptions): ExecProcess {
  if (!o.tty) return spawnPiped(o);
  const impl = o.ptyImplementation ?? ptyImplementation();
  if (impl === 'node-pty' && loadNodePty()) return spawnNodePty(loadNodePty()!, o);
  if (impl !== 'none' && process.platform === 'linux') return spawnScriptPty(o);
  throw new Error('no pseudo-terminal is available on this machine (node-pty did not load and util-linux script is Linux-only)');
}

function spawnPiped(o: ExecSpawnOptions): ExecProcess {
  const child = spawn(o.file, o.args, { cwd: o.cwd, env: o.env, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', () => resolve({ code: 126, signal: null }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.stdin?.on('error', () => undefined); // EPIPE when the command does not read its input
  return {
    stdin: child.stdin,
    stdout: child.stdout!,
    stderr: child.stderr,
    resize: () => undefined,
    exited,
    kill: () => killGroup(child.pid, () => child.kill('SIGKILL')),
    ...(child.pid ? { pid: child.pid } : {}),
  };
}

function killGroup(pid: number | undefined, fallback: () => void): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
    else fallback();
  } catch {
    fallback();
  }
}

/** A Writable that forwards to a terminal; ending it sends EOF (^D), as a terminal user would. */
function terminalInput(write: (b: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      write(chunk);
      cb();
    },
    final(cb) {
      write(Buffer.from([0x04]));
      cb();
    },
  });
}

function spawnNodePty(pty: PtyModule, o: ExecSpawnOptions): ExecProcess {
  const term = pty.spawn(o.file, o.args, {
    name: o.env?.TERM ?? 'xterm',
    cols: o.cols ?? 80,
    rows: o.rows ?? 24,
    ...(o.cwd ? { cwd: o.cwd } : {}),
    env: o.env ?? (process.env as Record<string, string>),
    encoding: null,
  });
  const stdout = new PassThrough();
  // Back-pressure: stop reading the terminal while the client is slow.
  stdout.on('drain', () => term.resume());
  term.onData((d) => {
    if (!stdout.write(typeof d === 'string' ? Buffer.from(d) : d)) term.pause();
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      // node-pty reports the exit after the terminal's output has been read.
      stdout.end();
      const name = signal ? Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0] ?? null : null;
      resolve(name ? { code: null, signal: name } : { code: exitCode, signal: null });
    });
  });
  return {
    stdin: o.stdin ? terminalInput((b) => term.write(b)) : null,
    stdout,
    stderr: null,
    resize: (cols, rows) => {
      if (cols > 0 && rows > 0) term.resize(cols, rows);
    },
    exited,
    kill: () => killGroup(term.pid, () => term.kill('SIGKILL')),
    pid: term.pid,
  };
}

/** Quotes argv for `sh -c`. */
function shellQuote(argv: string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

function spawnScriptPty(o: ExecSpawnOptions): ExecProcess {
  // script: -q quiet, -f flush each write, -e return the command's exit code, -c command; the
  // typescript goes to /dev/null. It runs the command through $SHELL -c, so argv is quoted.
  // A known initial size is set from inside the terminal before the command starts.
  const initial = o.cols && o.rows ? `stty cols ${o.cols} rows ${o.rows} 2>/dev/null; ` : '';
  const child = spawn('script', ['-qfec', `${initial}exec ${shellQuote([o.file, ...o.args])}`, '/dev/null'], {
    cwd: o.cwd,
    env: { ...(o.env ?? (process.env as Record<string, string>)), SHELL: '/bin/sh' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdin!.on('error', () => undefined);
  const stdout = new PassThrough();
  child.stdout!.pipe(stdout);
  child.stderr!.pipe(stdout, { end: false });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', () => resolve({ code: 126, signal: null }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let size: { cols: number; rows: number } | undefined;
  let slave: Promise<string | undefined> | undefined;
  const applySize = async (): Promise<void> => {
    if (!size || !child.pid) return;
    slave ??= findSlaveTty(child.pid);
    const tty = await slave;
    if (!tty) {
      slave = undefined; // the child may not have started yet: look again next time
      return;
    }
    const { cols, rows } = size;
    await new Promise<void>((r) => execFile('stty', ['-F', tty, 'cols', String(cols), 'rows', String(rows)], () => r()));
  };
  return {
    stdin: o.stdin ? terminalInput((b) => child.stdin!.write(b)) : null,
    stdout,
    stderr: null,
    resize: (cols, rows) => {
      size = { cols, rows };
      void applySize();
    },
    exited,
    kill: () => killGroup(child.pid, () => child.kill('SIGKILL')),
    ...(child.pid ? { pid: child.pid } : {}),
  };
}

/** The pts device of `script`'s child (the slave side of the terminal it allocated). */
async function findSlaveTty(scriptPid: number, attempts = 20): Promise<string | undefined> {
  for (let i = 0; i < attempts; i++) {
    const children = await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8').catch(() => '');
    for (const pid of children.split(/\s+/).filter(Boolean)) {
      const fd0 = await readlink(`/proc/${pid}/fd/0`).catch(() => '');
      if (fd0.startsWith('/dev/pts/')) return fd0;
    }
    // Older kernels lack the children file: scan for a process whose parent is script.
    if (!children) {
      for (const pid of (await readdir('/proc').catch(() => [] as string[])).filter((p) => /^\d+$/.test(p))) {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== scriptPid) continue;
        const fd0 = await readlink(`/proc/${pid}/fd/0`).catch(() => '');
        if (fd0.startsWith('/dev/pts/')) return fd0;
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}
