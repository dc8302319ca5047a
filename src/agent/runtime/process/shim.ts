/**
 * The per-container shim (the role of containerd-shim / conmon): `node shim.js <config.json>`.
 *
 * The agent starts one shim per container instance, in its own session, with no pipe it needs
 * to keep: the shim outlives the agent (kill -9, crash, upgrade) so containers keep running and
 * keep logging while no agent is there. The shim
 * - starts the container process in a session and process group of its own (so SIGTERM to the
 *   group reaches everything it started), after the process joined its cgroups and, where the
 *   agent asked for one, a private mount + UTS namespace (bind mounts of the pod's volumes at
 *   their mountPaths, hostname = pod hostname);
 * - writes stdout/stderr as CRI log lines with size rotation;
 * - when the container's main process ends, kills whatever it left behind (process group and
 *   cgroup, as a container's pid 1 exiting ends its pid namespace), and records the exit code,
 *   the signal and whether the kernel OOM-killed it in `exit.json`, so an agent started later can
 *   still report how the container ended.
 * It loads node builtins and two small modules only: it starts once per container.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { CriLogWriter } from './cri-log-writer.js';
import { processStartTimeSync } from './proc-info.js';
import type { ShimConfig, ShimExit, ShimHello, ShimState } from './shim-protocol.js';
import type { ExecProcess } from '../../streams-backend.js';

/** Exit code the wrapper uses when the container's environment could not be set up. */
export const SETUP_FAILED_EXIT = 125;
/** How often a shim checks that its state directory still exists. */
const ORPHAN_CHECK_MS = 2000;
/** How long to wait for the output pipes to drain after the main process ended. */
const DRAIN_MS = 500;

/** Joins each cgroup given before `--`, then execs the rest. */
export const JOIN_CGROUPS = `for f; do [ "$f" = -- ] && break; echo $$ > "$f" || { echo "skiff: cannot join cgroup $f" >&2; exit ${SETUP_FAILED_EXIT}; }; shift; done; shift; exec "$@"`;

/** Runs inside the new mount + UTS namespace: hostname, bind mounts, working dir, exec. */
const SETUP_NAMESPACE = [
  'hn=$1; cwd=$2; mkcwd=$3; shift 3',
  `fail() { echo "skiff: $*" >&2; exit ${SETUP_FAILED_EXIT}; }`,
  'printf %s "$hn" > /proc/sys/kernel/hostname || fail "cannot set hostname $hn"',
  'while [ "$1" != -- ]; do',
  '  if [ "$4" = file ]; then [ -e "$2" ] || { mkdir -p "$(dirname "$2")" && : > "$2"; } || fail "cannot create mount point $2";',
  '  else mkdir -p "$2" || fail "cannot create mount point $2"; fi',
  '  mount --bind "$1" "$2" || fail "cannot mount $1 at $2"',
  '  if [ "$3" = ro ]; then mount -o remount,bind,ro "$2" || fail "cannot make $2 read-only"; fi',
  '  shift 4',
  'done',
  'shift',
  'if [ "$mkcwd" = 1 ] && [ ! -d "$cwd" ]; then mkdir -p "$cwd" || fail "cannot create working directory $cwd"; fi',
  'cd "$cwd" || fail "cannot change to working directory $cwd"',
  'exec "$@"',
].join('\n');

function writeAtomic(path: string, data: unknown): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(data));
  renameSync(tmp, path);
}

/** The connection to the agent (warm shims): a config comes in, one hello goes out. */
let control: Socket | undefined;

function hello(msg: ShimHello): void {
  try {
    // The connection stays open: its close tells the agent this shim has exited.
    if (control) control.write(JSON.stringify(msg) + '\n');
    else {
      writeSync(3, JSON.stringify(msg) + '\n');
      closeSync(3);
    }
  } catch {
    // The agent is gone already; it will read state.json or exit.json.
  }
}

/** The argv that puts the container in its cgroups and namespaces, then execs its command. */
export function containerArgv(cfg: ShimConfig): { file: string; args: string[]; cwd: string | undefined } {
  let argv = cfg.command;
  let cwd: string | undefined = cfg.cwd;
  if (cfg.namespace) {
    const mounts = cfg.namespace.mounts.flatMap((m) => [m.source, m.target, m.readOnly ? 'ro' : 'rw', m.file ? 'file' : 'dir']);
    argv = ['unshare', '--mount', '--uts', '--propagation', 'private', '/bin/sh', '-c', SETUP_NAMESPACE, 'skiff-setup', cfg.namespace.hostname, cfg.cwd, cfg.createCwd ? '1' : '0', ...mounts, '--', ...argv];
    cwd = '/';
  }
  // The pod's network namespace first: the mount namespace made inside it sees /run/netns as is.
  if (cfg.netns) argv = ['nsenter', `--net=${cfg.netns}`, '--', ...argv];
  if (cfg.cgroupProcs.length > 0) argv = ['/bin/sh', '-c', JOIN_CGROUPS, 'skiff-cgroup', ...cfg.cgroupProcs, '--', ...argv];
  return { file: argv[0]!, args: argv.slice(1), cwd };
}

function readOomKills(cfg: ShimConfig): number {
  if (!cfg.oomCounter) return 0;
  try {
    const text = readFileSync(cfg.oomCounter.path, 'utf8');
    const m = new RegExp(`^${cfg.oomCounter.key} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function main(configPath: string): Promise<void> {
  const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as ShimConfig;
  // Stray terminal or group signals must not take the shim down with the agent.
  for (const s of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) process.on(s, () => undefined);
  const log = new CriLogWriter(cfg.logPath, { maxBytes: cfg.logMaxBytes, maxFiles: cfg.logMaxFiles, flushPartial: !!cfg.tty });
  const oomBefore = readOomKills(cfg);
  if (!cfg.namespace && cfg.createCwd && !existsSync(cfg.cwd)) {
    try {
      mkdirSync(cfg.cwd, { recursive: true });
    } catch (err) {
      hello({ error: `cannot create working directory ${cfg.cwd}: ${(err as Error).message}` });
      process.exit(1);
    }
  }
  const { file, args, cwd } = containerArgv(cfg);
  const child = cfg.tty ? await spawnOnTerminal(cfg, file, args, cwd) : spawnPiped(cfg, file, args, cwd);
  child.ready.then(
    () => {
      const pid = child.pid;
      const state: ShimState = {
        pid,
        pidStart: processStartTimeSync(pid) ?? 0,
        shimPid: process.pid,
        shimStart: processStartTimeSync(process.pid) ?? 0,
        startedAt: new Date().toISOString(),
      };
      writeAtomic(cfg.statePath, state);
      hello({ pid });
    },
    (err: Error) => {
      hello({ error: err.message });
      process.exit(1);
    },
  );
  child.stdout.on('data', (d: Buffer) => log.write('stdout', d));
  child.stderr?.on('data', (d: Buffer) => log.write('stderr', d));
  if (cfg.stdin && child.stdin) serveStdin(cfg.stdin, child.stdin);
  if (cfg.tty) serveResize(cfg.tty.resizeSocket, (cols, rows) => child.resize(cols, rows));
  let open = child.stderr ? 2 : 1;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let finishing = false;
  /** Kills the container's process group and, where there is one, its cgroup. */
  const killAll = (): void => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* group already empty */
    }
    if (cfg.cgroupKill) {
      try {
        writeFileSync(cfg.cgroupKill, '1');
      } catch {
        /* cgroup gone or no cgroup.kill */
      }
    }
  };
  const finish = (): void => {
    if (finishing || !exited) return;
    finishing = true;
    const { code, signal } = exited;
    // Whatever the main process left behind dies with it.
    killAll();
    const exit: ShimExit = {
      exitCode: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
      signal,
      finishedAt: new Date().toISOString(),
      oomKilled: readOomKills(cfg) > oomBefore,
    };
    log.flush();
    if (cfg.messageFromLogs && exit.exitCode !== 0) exit.message = log.lastOutput();
    log.close();
    for (const socket of [cfg.stdin?.socket, cfg.tty?.resizeSocket]) {
      if (!socket) continue;
      try {
        unlinkSync(socket);
      } catch {
        /* not there */
      }
    }
    try {
      writeAtomic(cfg.exitPath, exit);
    } catch {
      // The state directory is gone (the node's data dir was removed): nobody to tell.
    }
    process.exit(0);
  };
  const onClose = (): void => {
    if (--open === 0) finish();
  };
  child.stdout.once('close', onClose);
  child.stderr?.once('close', onClose);
  // A container whose state directory is gone (its node's data dir was deleted) can never be
  // re-adopted or reported: end it rather than leave an orphan running forever.
  const watchdog = setInterval(() => {
    if (existsSync(dirname(cfg.statePath))) return;
    clearInterval(watchdog);
    killAll();
    process.exit(0);
  }, ORPHAN_CHECK_MS);
  watchdog.unref();
  void child.exited.then((exit) => {
    exited = exit;
    // Pipes still held by leftover processes must not keep the container "running".
    setTimeout(finish, DRAIN_MS).unref();
    if (open === 0) finish();
  });
}

/** The container's main process as the shim supervises it, on pipes or on a terminal. */
interface ContainerProcess {
  /** Valid once `ready` resolved. */
  pid: number;
  /** Resolves once the process runs; rejects (with the message for the agent) if it cannot start. */
  ready: Promise<void>;
  stdout: Readable;
  /** Absent on a terminal: everything comes out of the one device, reported as stdout. */
  stderr: Readable | null;
  stdin: Writable | null;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  resize(cols: number, rows: number): void;
}

function spawnPiped(cfg: ShimConfig, file: string, args: string[], cwd: string | undefined): ContainerProcess {
  const child = spawn(file, args, {
    cwd,
    env: Object.fromEntries(cfg.env),
    detached: true, // setsid(): own session and process group, pgid = pid
    stdio: [cfg.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const proc: ContainerProcess = {
    pid: 0,
    ready: new Promise<void>((resolve, reject) => {
      child.once('error', (err) => reject(new Error((err as NodeJS.ErrnoException).code === 'ENOENT' ? `exec: "${cfg.command[0]}": executable file not found` : err.message)));
      child.once('spawn', () => {
        proc.pid = child.pid!;
        resolve();
      });
    }),
    stdout: child.stdout!,
    stderr: child.stderr!,
    stdin: child.stdin,
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    resize: () => undefined,
  };
  return proc;
}

/**
 * `tty: true`: the container's process gets a pseudo-terminal as its controlling terminal and
 * stdio (what runc's console socket gives a container), through the same node-pty / `script`
 * code as `kubectl exec -t`. Partial lines reach the log at once (a prompt has no newline).
 */
async function spawnOnTerminal(cfg: ShimConfig, file: string, args: string[], cwd: string | undefined): Promise<ContainerProcess> {
  const { spawnExecProcess, ptyImplementation } = await import('../../streams/exec-process.js');
  const env = Object.fromEntries(cfg.env);
  // As container runtimes do for a tty container.
  env['TERM'] ??= 'xterm';
  let term: ExecProcess;
  try {
    term = spawnExecProcess({ file, args, ...(cwd ? { cwd } : {}), env, tty: true, stdin: !!cfg.stdin, cols: 80, rows: 24 });
  } catch (err) {
    return { pid: 0, ready: Promise.reject(err as Error), stdout: new PassThrough(), stderr: null, stdin: null, exited: new Promise(() => undefined), resize: () => undefined };
  }
  // With `script` the container is script's child (script holds the terminal's master side).
  const pid = ptyImplementation() === 'script' && term.pid ? ((await childPid(term.pid)) ?? term.pid) : (term.pid ?? 0);
  return {
    pid,
    ready: pid > 0 ? Promise.resolve() : Promise.reject(new Error('the container could not be started on a terminal')),
    stdout: term.stdout,
    stderr: null,
    stdin: term.stdin,
    exited: term.exited.then(({ code, signal }) => ({ code, signal: signal as NodeJS.Signals | null })),
    resize: (cols, rows) => term.resize(cols, rows),
  };
}

/** The first child of `pid` (waits up to a second for it to appear). */
async function childPid(pid: number): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) {
    try {
      const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
      if (first) return Number(first);
    } catch {
      return undefined;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return undefined;
}

/** Takes window sizes (`{"cols":N,"rows":N}` lines) for the container's terminal. */
function serveResize(socket: string, resize: (cols: number, rows: number) => void): void {
  try {
    unlinkSync(socket);
  } catch {
    /* fresh */
  }
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const { cols, rows } = JSON.parse(line) as { cols?: unknown; rows?: unknown };
          if (typeof cols === 'number' && typeof rows === 'number' && cols > 0 && rows > 0) resize(cols, rows);
        } catch {
          /* not a size */
        }
      }
      if (buf.length > 4096) buf = '';
    });
    conn.on('error', () => undefined);
  });
  server.on('error', () => undefined);
  server.listen(socket);
  server.unref();
}

/** Accepts `kubectl attach` connections on a unix socket and feeds them to the container's stdin. */
function serveStdin(opts: NonNullable<ShimConfig['stdin']>, stdin: NodeJS.WritableStream): void {
  try {
    unlinkSync(opts.socket);
  } catch {
    /* fresh */
  }
  let ended = false;
  const server = createServer((conn) => {
    if (ended) {
      conn.destroy();
      return;
    }
    conn.on('data', (d) => stdin.write(d));
    conn.on('error', () => undefined);
    conn.on('close', () => {
      // stdinOnce: the first attach session that ends closes the container's stdin.
      if (opts.once && !ended) {
        ended = true;
        stdin.end();
        server.close();
      }
    });
  });
  server.on('error', () => undefined);
  server.listen(opts.socket);
  server.unref();
  stdin.on('error', () => undefined);
}

// Run only as the shim's entry point (tests import containerArgv).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === '--pool') {
    // A warm shim (shim-pool.ts): booted ahead of need, waiting on the agent's socket. Handed a
    // container, it first spawns its successor, then starts the container, and keeps the
    // connection open until it exits. If the agent goes away before that, it just exits.
    const socketPath = process.argv[3]!;
    const conn = connect(socketPath);
    control = conn;
    let started = false;
    let buf = '';
    conn.on('connect', () => conn.write(JSON.stringify({ idle: process.pid }) + '\n'));
    conn.on('error', () => {
      if (!started) process.exit(0);
    });
    conn.on('close', () => {
      if (!started) process.exit(0);
    });
    conn.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0 || started) return;
      started = true;
      const msg = JSON.parse(buf.slice(0, nl)) as { config: string; spawnNext: number };
      for (let i = 0; i < Math.min(Number(msg.spawnNext) || 0, 8); i++) {
        spawn(process.execPath, [...process.execArgv, process.argv[1]!, '--pool', socketPath], { detached: true, stdio: ['ignore', 'ignore', 'inherit'] }).unref();
      }
      void main(msg.config);
    });
  } else void main(process.argv[2]!);
}
