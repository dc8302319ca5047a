/**
 * What the agent offers the pod-streams server (logs, exec, attach, port-forward): the contract
 * fixed in the node-agent notes. Log files come from the runtime's instances (current or
 * previous), exec runs in the container's context through the runtime, attach follows the
 * container's log for output and writes to its stdin socket, and connect dials the pod's port on
 * the node (pods share the node's network until pod networking lands).
 */
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerRecord, ContainerRuntime, ExecSpec } from './runtime/runtime.js';
import { rotatedFiles } from './runtime/process/cri-log-writer.js';
import { spawnExecProcess } from './streams/exec-process.js';
import { instancesByName } from './pod/pod-status.js';

export interface StreamsBackend {
  /** The pod as the agent knows it (by namespace/name), or undefined. */
  pod(namespace: string, name: string): Pod | undefined;
  /** Container log files oldest→newest for the current (or previous) instance, CRI format lines. */
  logFiles(podUid: string, container: string, previous: boolean): string[];
  /** Whether the container is running now (follow ends when it stops). */
  containerState(podUid: string, container: string): 'waiting' | 'running' | 'terminated';
  onContainerStopped(podUid: string, container: string, cb: () => void): () => void;
  /**
   * Starts a process in the container's context (env, cwd, namespaces where it has them); with
   * `tty`, on a pseudo-terminal of `size` (the client's, when it sent one).
   */
  exec(pod: Pod, container: string, command: string[], opts: StreamOptions): ExecProcess;
  /** Attaches to the running container process's stdio (stdin only if spec.stdin; its terminal if spec.tty). */
  attach(pod: Pod, container: string, opts: StreamOptions): ExecProcess;
  /** Opens a TCP connection to a port of the pod (in its network namespace, or on the host network). */
  connect(pod: Pod, port: number): Promise<Socket>;
}

/** How a client wants an exec or attach session. */
export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  /** The client's terminal size, when it sent one before the session started. */
  size?: { cols: number; rows: number };
}

export interface ExecProcess {
  stdin: Writable | null;
  stdout: Readable;
  stderr: Readable | null;
  resize(cols: number, rows: number): void;
  /** Resolves with the exit code (or a signal name). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  kill(): void;
  /** The started process (for `script`, the `script` process that holds the terminal). */
  pid?: number;
}

/** How often attach polls the log for new output. */
export const ATTACH_POLL_MS = 100;

/** Spawns an exec session from a spec: on pipes, or on a pseudo-terminal with `tty`. */
export type ExecSpawner = (spec: ExecSpec & StreamOptions) => ExecProcess;

/**
 * The default spawner: node-pty (or util-linux `script`) for a terminal, pipes otherwise. As
 * container runtimes do for `exec -t`, TERM defaults to xterm on a terminal.
 */
export const spawnExec: ExecSpawner = (spec) =>
  spawnExecProcess({
    file: spec.file,
    args: spec.args,
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    env: spec.tty && !('TERM' in spec.env) ? { ...spec.env, TERM: 'xterm' } : spec.env,
    tty: spec.tty,
    stdin: spec.stdin,
    ...(spec.size ? { cols: spec.size.cols, rows: spec.size.rows } : {}),
  });

export interface BackendDeps {
  runtime: ContainerRuntime;
  /** Pods bound to this node, by namespace/name. */
  pod(namespace: string, name: string): Pod | undefined;
  /** Address pods listen on (the node's, with host networking). */
  podIP(pod: Pod): string;
  /** Dials localhost:port inside the pod's network namespace, when it has one (port-forward). */
  dial?(pod: Pod, port: number): Promise<Socket> | undefined;
}

export class AgentStreamsBackend implements StreamsBackend {
  /** Spawner for exec sessions (tests replace it). */
  execSpawner: ExecSpawner = spawnExec;

  constructor(private readonly d: BackendDeps) {}

  pod(namespace: string, name: string): Pod | undefined {
    return this.d.pod(namespace, name);
  }

  private instances(podUid: string, container: string): ContainerRecord[] {
    return instancesByName(this.d.runtime.containers(podUid)).get(container) ?? [];
  }

  private current(podUid: string, container: string): ContainerRecord | undefined {
    return this.instances(podUid, container).at(-1);
  }

  logFiles(podUid: string, container: string, previous: boolean): string[] {
    const list = this.instances(podUid, container);
    const rec = previous ? list.at(-2) : list.at(-1);
    if (!rec) return [];
    return [...rotatedFiles(rec.logPath), rec.logPath].filter((f) => existsSync(f));
  }

  containerState(podUid: string, container: string): 'waiting' | 'running' | 'terminated' {
    const r = this.current(podUid, container);
    return !r ? 'waiting' : r.state === 'running' ? 'running' : 'terminated';
  }

  onContainerStopped(podUid: string, container: string, cb: () => void): () => void {
    return this.d.runtime.onExit((rec) => {
      if (rec.podUid === podUid && rec.name === container) cb();
    });
  }

  private running(pod: Pod, container: string): ContainerRecord {
    const r = this.current(pod.metadata?.uid ?? '', container);
    if (!r || r.state !== 'running') throw new Error(`container ${container} is not running`);
    return r;
  }

  /** Runs `command` in the container's context (cgroups, namespaces, env, working dir). */
  exec(pod: Pod, container: string, command: string[], opts: StreamOptions): ExecProcess {
    const rec = this.running(pod, container);
    return this.execSpawner({ ...this.d.runtime.execSpec(rec.id, command), ...opts });
  }

  /**
   * Attaches to the container's main process: its output from the log as it is written, input
   * through its stdin socket (`spec.stdin`), and with `spec.tty` window sizes to its terminal.
   */
  attach(pod: Pod, container: string, opts: StreamOptions): ExecProcess {
    const rec = this.running(pod, container);
    const terminal = opts.tty ? this.d.runtime.terminalSocket(rec.id) : undefined;
    let resizer: Socket | undefined;
    const resize = (cols: number, rows: number): void => {
      if (!terminal || cols <= 0 || rows <= 0) return;
      resizer ??= netConnect(terminal).on('error', () => undefined);
      resizer.write(`${JSON.stringify({ cols, rows })}\n`);
    };
    if (opts.size) resize(opts.size.cols, opts.size.rows);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let stdin: Writable | null = null;
    const socketPath = opts.stdin ? this.d.runtime.stdinSocket(rec.id) : undefined;
    if (socketPath) stdin = netConnect(socketPath).on('error', () => undefined);
    let stopped = false;
    let resolveExit!: (v: { code: number | null; signal: string | null }) => void;
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (resolveExit = r));
    const finish = (): void => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      stdout.end();
      stderr.end();
      stdin?.end();
      resizer?.end();
      const r = this.d.runtime.get(rec.id);
      resolveExit({ code: r?.exitCode ?? null, signal: r?.signal ?? null });
    };
    const unsubscribe = this.d.runtime.onExit((r) => {
      // Let the tail catch the last lines before ending.
      if (r.id === rec.id) setTimeout(finish, ATTACH_POLL_MS * 2);
    });
    tailCri(rec.logPath, stdout, stderr, () => stopped).catch((err: unknown) => stdout.destroy(err as Error));
    // A terminal has one output: everything is stdout (the handler asks for no stderr).
    return { stdin, stdout, stderr: opts.tty ? null : stderr, resize, exited, kill: finish };
  }

  async connect(pod: Pod, port: number): Promise<Socket> {
    // As a container runtime does: localhost inside the pod's own network namespace.
    const inNetns = this.d.dial?.(pod, port);
    if (inNetns) return inNetns;
    const host = this.d.podIP(pod);
    return new Promise((resolve, reject) => {
      const s = netConnect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }
}

/** Follows a CRI log from its current end, writing stdout/stderr payloads to the streams. */
async function tailCri(path: string, stdout: Writable, stderr: Writable, done: () => boolean): Promise<void> {
  let offset = (await stat(path).catch(() => undefined))?.size ?? 0;
  let ino = (await stat(path).catch(() => undefined))?.ino;
  let rest = '';
  while (!done()) {
    await new Promise((r) => setTimeout(r, ATTACH_POLL_MS));
    const st = await stat(path).catch(() => undefined);
    if (!st) continue;
    if (st.ino !== ino) {
      ino = st.ino; // rotated: the live file is new
      offset = 0;
    }
    if (st.size <= offset) continue;
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(st.size - offset);
      await fh.read(buf, 0, buf.length, offset);
      offset = st.size;
      rest += buf.toString('utf8');
    } finally {
      await fh.close();
    }
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      // `s`: a terminal's lines end in \r, which `.` alone does not match.
      const m = /^\S+ (stdout|stderr) ([FP]) (.*)$/s.exec(line);
      if (!m) continue;
      (m[1] === 'stdout' ? stdout : stderr).write(m[2] === 'F' ? `${m[3]}\n` : m[3]!);
    }
  }
}
