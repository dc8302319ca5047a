/**
 * Warm shims, and why the agent never forks itself in steady state. `child_process.spawn` forks
 * the calling process synchronously; in the all-in-one server (API server, controllers and
 * agents in one process, hundreds of MB) one fork stalls the event loop for tens of
 * milliseconds or more. So the agent keeps a few shims booted and waiting on a unix socket, and
 * each shim, when it is handed a container, first spawns its own successor (a fork of a small
 * process is cheap) and then starts the container. The agent forks only to seed the pool or
 * when it ran dry.
 *
 * Protocol, newline-delimited JSON over the socket: the shim says `{"idle":pid}`; the agent sends
 * `{"config":path,"spawnNext":bool}`; the shim answers with its hello (`{"pid"}` or `{"error"}`)
 * and keeps the connection open until it exits, so the agent learns of the exit from `close`.
 * Idle shims exit when the agent goes away (the socket closes under them).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShimHello } from './shim-protocol.js';
import { underReaper } from './reaper.js';

/** Shims kept booted and waiting. */
export const WARM_SHIMS = 2;
/** Most successors one shim spawns (a burst grows the pool geometrically, not all at once). */
const MAX_SUCCESSORS = 3;
/** How long to wait for a freshly forked shim to connect. */
const START_WAIT_MS = 15_000;
/** Longest unix socket path we use directly (sun_path is 108 bytes on Linux, 104 on macOS). */
export const MAX_SOCKET_PATH = 100;

export interface PooledShim {
  pid: number;
  /** Hands the shim its container (and how many successors to spawn); resolves with its hello. */
  start(configPath: string, spawnNext: number, timeoutMs: number): Promise<ShimHello>;
  /** Called once when the shim's connection closes (the shim exited). */
  onClose(cb: () => void): void;
}

/** A unix socket path for `dir` that fits in sun_path. */
export function shimSocketPath(dir: string): string {
  const p = join(dir, 'shims.sock');
  if (Buffer.byteLength(p) <= MAX_SOCKET_PATH) return p;
  return join(tmpdir(), `skiff-shims-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.sock`);
}

class Conn implements PooledShim {
  pid = 0;
  private buf = '';
  private waiter: ((msg: Record<string, unknown>) => void) | undefined;
  private closeCbs: Array<() => void> = [];
  closed = false;

  constructor(
    readonly socket: Socket,
    onIdle: (c: Conn) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString();
      for (;;) {
        const nl = this.buf.indexOf('\n');
        if (nl < 0) break;
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (typeof msg['idle'] === 'number' && !this.pid) {
          this.pid = msg['idle'];
          onIdle(this);
        } else this.waiter?.(msg);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.({ error: 'the container shim exited before starting the container' });
      for (const cb of this.closeCbs.splice(0)) cb();
    });
  }

  start(configPath: string, spawnNext: number, timeoutMs: number): Promise<ShimHello> {
    this.socket.ref(); // the agent waits for this answer
    return new Promise<ShimHello>((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve({ error: `the container shim did not start within ${timeoutMs} ms` });
      }, timeoutMs);
      this.waiter = (msg) => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve(msg as ShimHello);
      };
      this.socket.write(JSON.stringify({ config: configPath, spawnNext }) + '\n');
    }).finally(() => this.socket.unref());
  }

  onClose(cb: () => void): void {
    if (this.closed) cb();
    else this.closeCbs.push(cb);
  }
}

export interface ShimPoolOptions {
  socketPath: string;
  shimPath: string;
  nodeFlags: string[];
  /** File the shims' stderr goes to (diagnostics). */
  errorLog: string;
  size?: number;
}

export class ShimPool {
  private server: Server | undefined;
  private readonly idle: Conn[] = [];
  private readonly waiters: Array<(c: Conn) => void> = [];
  private readonly size: number;
  private closed = false;
  /** Shims forked or requested from other shims that have not connected yet. */
  private pending = 0;
  /** Shims this process forked (seeding and refills when the pool ran dry). */
  forks = 0;

  constructor(private readonly opts: ShimPoolOptions) {
    this.size = opts.size ?? WARM_SHIMS;
  }

  async start(): Promise<void> {
    await unlink(this.opts.socketPath).catch(() => undefined);
    this.server = createServer((socket) => {
      socket.unref();
      new Conn(socket, (c) => this.offer(c));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.socketPath, () => resolve());
    });
    this.server.unref();
    // Seed the pool while this process is still small.
    for (let i = 0; i < this.size; i++) this.fork();
  }

  private offer(c: Conn): void {
    this.pending = Math.max(0, this.pending - 1);
    if (this.closed) {
      c.socket.destroy();
      return;
    }
    c.onClose(() => {
      const i = this.idle.indexOf(c);
      if (i >= 0) this.idle.splice(i, 1);
    });
    const w = this.waiters.shift();
    if (w) w(c);
    else this.idle.push(c);
  }

  private fork(): void {
    const err = openSync(this.opts.errorLog, 'a', 0o600);
    try {
      // detached: its own session, out of reach of signals to the agent's process group. Under
      // a subreaper (reaper.ts): the shim's successors and its containers' orphans are reaped.
      const argv = [process.execPath, ...this.opts.nodeFlags, this.opts.shimPath, '--pool', this.opts.socketPath];
      const run = underReaper(argv) ?? { file: argv[0]!, args: argv.slice(1) };
      spawn(run.file, run.args, { detached: true, stdio: ['ignore', 'ignore', err] }).unref();
      this.forks++;
      this.pending++;
    } finally {
      closeSync(err);
    }
  }

  /**
   * An idle shim, and how many successors it should spawn: enough to bring the pool back to
   * size and to serve whoever else is waiting, so a burst grows the pool from the shims
   * themselves. The agent forks only when no shim is idle or on its way.
   */
  async take(): Promise<{ shim: PooledShim; spawnNext: number }> {
    let c: Conn | undefined;
    while (!c && this.idle.length > 0) {
      const x = this.idle.shift()!;
      if (!x.closed) c = x;
    }
    if (!c) {
      if (this.pending <= this.waiters.length) this.fork();
      c = await new Promise<Conn>((resolve, reject) => {
        // The timer also keeps the event loop alive while the new shim boots.
        const timer = setTimeout(() => {
          const i = this.waiters.indexOf(got);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new Error(`no container shim connected within ${START_WAIT_MS} ms (see ${this.opts.errorLog})`));
        }, START_WAIT_MS);
        const got = (conn: Conn): void => {
          clearTimeout(timer);
          resolve(conn);
        };
        this.waiters.push(got);
      });
    }
    const want = Math.min(MAX_SUCCESSORS, Math.max(0, this.size + this.waiters.length - this.idle.length - this.pending));
    this.pending += want;
    return { shim: c, spawnNext: want };
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
    this.server?.close();
  }
}
