/**
 * Runs the network tools (`ip`, `nft`) without forking the server. `child_process` forks the
 * calling process synchronously, and the all-in-one server is hundreds of MB: each fork stalls
 * the event loop for several milliseconds (a pod's network set-up and teardown took half a
 * dozen). So commands go to one small helper process (command-runner-child.ts) that forks on our
 * behalf; the server only writes a line and reads one back. If the helper cannot be started the
 * command runs directly, as before.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';

export interface CommandRequest {
  id: number;
  file: string;
  args: string[];
  input?: string;
}

export interface CommandResult {
  ok: boolean;
  code: number | string | null;
  stdout: string;
  stderr: string;
}

export interface CommandReply extends CommandResult {
  id: number;
}

const CHILD = fileURLToPath(new URL('./command-runner-child.js', import.meta.url));
const TIMEOUT_MS = 30_000;
/** An idle helper exits after this long (its ~40 MB are not worth keeping for a quiet node). */
const IDLE_EXIT_MS = 5_000;
const MAX_BUFFER = 64 * 1024 * 1024;

class CommandRunner {
  private child: ChildProcess | undefined;
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<number, (r: CommandResult) => void>();
  private unavailable = !existsSync(CHILD);
  private idleTimer: NodeJS.Timeout | undefined;

  run(file: string, args: string[], input: string | undefined): Promise<CommandResult> {
    const child = this.unavailable ? undefined : this.ensure();
    if (!child) return runDirect(file, args, input);
    const id = this.nextId++;
    clearTimeout(this.idleTimer);
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      if (this.pending.size === 1) this.ref(true);
      const req: CommandRequest = { id, file, args, ...(input !== undefined ? { input } : {}) };
      (child.stdin as Writable).write(JSON.stringify(req) + '\n');
    });
  }

  private ensure(): ChildProcess | undefined {
    if (this.child) return this.child;
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      this.unavailable = true;
      return undefined;
    }
    this.child = child;
    child.stdin!.on('error', () => undefined);
    (child.stdout as Readable).setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.onData(chunk));
    child.on('exit', () => this.onExit(child));
    child.on('error', () => this.onExit(child));
    // Idle, the helper must not keep the process alive; it exits when its stdin closes.
    child.unref();
    this.ref(false);
    return child;
  }

  private ref(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const s of [c.stdin, c.stdout] as Array<{ ref?: () => void; unref?: () => void } | null>) (on ? s?.ref : s?.unref)?.call(s);
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    for (let nl = this.buf.indexOf('\n'); nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let reply: CommandReply;
      try {
        reply = JSON.parse(line) as CommandReply;
      } catch {
        continue;
      }
      const done = this.pending.get(reply.id);
      if (!done) continue;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.idle();
      done({ ok: reply.ok, code: reply.code, stdout: reply.stdout, stderr: reply.stderr });
    }
  }

  /** Nothing in flight: stop holding the event loop, and end the helper if it stays idle. */
  private idle(): void {
    this.ref(false);
    clearTimeout(this.idleTimer);
    const child = this.child;
    this.idleTimer = setTimeout(() => {
      if (this.child !== child || this.pending.size > 0) return;
      this.child = undefined;
      child?.stdin?.end();
    }, IDLE_EXIT_MS);
    this.idleTimer.unref();
  }

  private onExit(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.buf = '';
    // Whatever was in flight is lost with the helper: report it failed (callers retry or clean up).
    for (const done of this.pending.values()) done({ ok: false, code: null, stdout: '', stderr: 'the command runner helper exited' });
    this.pending.clear();
  }
}

/** Runs the command from this process (what the helper does for each request). */
export function runDirect(file: string, args: string[], input: string | undefined): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { maxBuffer: MAX_BUFFER, timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
      resolve({ ok: !err, code: err ? ((err as NodeJS.ErrnoException).code ?? null) : 0, stdout: String(stdout), stderr: String(stderr) || (err?.message ?? '') });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

const runner = new CommandRunner();

/** Runs `file args…` (through the helper process), feeding `input` on stdin. */
export function runCommand(file: string, args: string[], input?: string): Promise<CommandResult> {
  return runner.run(file, args, input);
}
