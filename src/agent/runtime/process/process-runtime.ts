/**
 * The `process` runtime: each container instance is a host process tree started by its own
 * shim (shim.ts), in a session/process group of its own, in its own cgroups where the machine
 * has them, and with a private mount + UTS namespace where the agent runs as root on Linux (then
 * volumes appear at their mountPaths and `hostname` is the pod's).
 *
 * State of record is on disk, under `<node-dir>/runtime/containers/<id>/`: `record.json` (what
 * was started), `config.json` (the shim's instructions: command, env, cgroups), `state.json`
 * (pids + start times, from the shim) and `exit.json` (how it ended, from the shim). An agent
 * that starts on the same directory re-adopts what it finds: running instances stay running
 * (their pid start time must match, against pid reuse), instances that ended meanwhile are
 * reported with the exit code their shim recorded.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../client/log.js';
import { silentLogger } from '../../../client/log.js';
import { runningRecord } from '../runtime.js';
import type { ContainerRecord, ContainerRuntime, ContainerStartRequest, ExecResult, ExecSpec, StreamExecOptions } from '../runtime.js';
import { CgroupManager, detectCgroups, type ContainerCgroups } from './cgroups.js';
import { checkExecutable, execArgv, runInContainer, spawnInContainer } from './container-exec.js';
import { DEFAULT_LOG_MAX_BYTES, DEFAULT_LOG_MAX_FILES, rotatedFiles } from './cri-log-writer.js';
import { isAlive, processStartTime, processStartTimeSync, sameProcess } from './proc-info.js';
import type { ShimConfig, ShimExit, ShimHello, ShimState } from './shim-protocol.js';
import { MAX_SOCKET_PATH, ShimPool, shimSocketPath } from './shim-pool.js';

/** How often instances adopted from a previous agent are checked for exit (they are not our children). */
export const ADOPTED_POLL_MS = 1000;
/** How long a shim may take to report the container started. */
export const SHIM_START_TIMEOUT_MS = 15_000;
/** Exit code reported for an instance that could not be started (containerd's StartError). */
export const START_ERROR_EXIT = 128;
/** V8 flags that keep a shim small: it only moves bytes. */
const SHIM_NODE_FLAGS = ['--max-old-space-size=16', '--max-semi-space-size=1', '--stack-size=512'];

export interface ProcessRuntimeOptions {
  /** `<node-dir>/runtime`. */
  dir: string;
  nodeName: string;
  version: string;
  logger?: Logger;
  /** Use cgroups (default: when detected). */
  cgroups?: boolean;
  /** Use mount + UTS namespaces (default: root on Linux with `unshare`). */
  namespaces?: boolean;
  logMaxBytes?: number;
  logMaxFiles?: number;
}

interface Entry {
  rec: ContainerRecord;
  cfg: ShimConfig;
  cgroups?: ContainerCgroups;
  state?: ShimState;
  /** Connected to its shim: the connection's close reports the exit (else: polled). */
  shimConn?: boolean;
  /** Recording an exit in progress (remove waits for it). */
  collecting?: Promise<void>;
}

interface StoredRecord {
  rec: ContainerRecord;
  cgroups?: ContainerCgroups;
}

export class ProcessRuntime implements ContainerRuntime {
  readonly name = 'process';
  readonly scheme = 'skiff-process';
  readonly version: string;
  readonly mountsVolumes: boolean;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(rec: ContainerRecord) => void>();
  private readonly exitWaiters = new Map<string, Set<() => void>>();
  private readonly logger: Logger;
  private pollTimer: NodeJS.Timeout | undefined;
  private pool: Promise<ShimPool> | undefined;
  private closed = false;

  private constructor(
    private readonly opts: ProcessRuntimeOptions,
    private readonly cgroupManager: CgroupManager | undefined,
    namespaces: boolean,
  ) {
    this.version = opts.version;
    this.mountsVolumes = namespaces;
    this.logger = (opts.logger ?? silentLogger).child({ runtime: 'process' });
  }

  /** Detects what the machine offers (cgroups, namespaces) and creates the runtime. */
  static async create(opts: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    // Several agents may share a machine with the same node name (tests, demos): the cgroup
    // subtree is named after the node and its data dir.
    const cgName = `${opts.nodeName}-${createHash('sha256').update(opts.dir).digest('hex').slice(0, 8)}`;
    const cg = opts.cgroups === false ? undefined : await detectCgroups(cgName);
    const ns = opts.namespaces ?? (await canUseNamespaces());
    const rt = new ProcessRuntime(opts, cg, ns);
    rt.logger.info('process runtime ready', { cgroups: cg?.describe() ?? 'none', namespaces: ns });
    return rt;
  }

  /** Human summary of isolation (for logs and node annotations). */
  describe(): string {
    return `cgroups: ${this.cgroupManager?.describe() ?? 'none'}; mount/uts namespaces: ${this.mountsVolumes ? 'yes' : 'no'}`;
  }

  private get containersDir(): string {
    return join(this.opts.dir, 'containers');
  }

  async recover(): Promise<void> {
    await mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    for (const id of await readdir(this.containersDir)) {
      const dir = join(this.containersDir, id);
      const stored = await readJson<StoredRecord>(join(dir, 'record.json'));
      const cfg = await readJson<ShimConfig>(join(dir, 'config.json'));
      if (!stored || !cfg) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      const entry: Entry = { rec: stored.rec, cfg, ...(stored.cgroups ? { cgroups: stored.cgroups } : {}) };
      this.entries.set(id, entry);
      if (entry.rec.state === 'exited') continue;
      const exit = await readJson<ShimExit>(join(dir, 'exit.json'));
      if (exit) {
        this.applyExit(entry, exit);
        continue;
      }
      const state = await readJson<ShimState>(join(dir, 'state.json'));
      if (state && (await sameProcess(state.shimPid, state.shimStart))) {
        entry.state = state;
        entry.rec = { ...entry.rec, adopted: true, ...(state.pid ? { pid: state.pid } : {}) };
        continue;
      }
      // The shim is gone without recording an exit (machine reboot, shim killed): whatever is
      // left can no longer be logged or supervised, so it is ended and reported as unknown.
      if (state && (await sameProcess(state.pid, state.pidStart))) killGroup(state.pid, 'SIGKILL');
      if (entry.cgroups) await CgroupManager.killAll(entry.cgroups);
      this.applyExit(entry, { exitCode: 137, signal: null, finishedAt: new Date().toISOString(), oomKilled: false }, 'ContainerStatusUnknown', 'The container could not be located when the agent restarted');
      await this.persist(entry);
    }
    this.schedulePoll();
  }

  podUids(): string[] {
    return [...new Set([...this.entries.values()].map((e) => e.rec.podUid))];
  }

  containers(podUid: string): ContainerRecord[] {
    return [...this.entries.values()].filter((e) => e.rec.podUid === podUid).map((e) => e.rec).sort((a, b) => a.createdAt - b.createdAt || a.attempt - b.attempt);
  }

  get(id: string): ContainerRecord | undefined {
    return this.entries.get(id)?.rec;
  }

  onExit(listener: (rec: ContainerRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stdinSocket(id: string): string | undefined {
    return this.entries.get(id)?.cfg.stdin?.socket;
  }

  terminalSocket(id: string): string | undefined {
    return this.entries.get(id)?.cfg.tty?.resizeSocket;
  }

  async start(req: ContainerStartRequest): Promise<ContainerRecord> {
    const id = randomBytes(32).toString('hex');
    const dir = join(this.containersDir, id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await mkdir(dirname(req.logPath), { recursive: true });
    const now = Date.now();
    const rec: ContainerRecord = runningRecord(id, req, now);
    const cfg: ShimConfig = {
      id,
      command: req.command,
      env: req.env,
      cwd: req.workingDir,
      createCwd: true,
      logPath: req.logPath,
      logMaxBytes: this.opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES,
      logMaxFiles: this.opts.logMaxFiles ?? DEFAULT_LOG_MAX_FILES,
      statePath: join(dir, 'state.json'),
      exitPath: join(dir, 'exit.json'),
      cgroupProcs: [],
      ...(this.mountsVolumes ? { namespace: { hostname: req.hostname, mounts: req.mounts } } : {}),
      ...(req.stdin ? { stdin: { socket: containerSocketPath(dir, 'stdin.sock'), once: req.stdin.once } } : {}),
      ...(req.tty ? { tty: { resizeSocket: containerSocketPath(dir, 'tty.sock') } } : {}),
      ...(req.netns ? { netns: req.netns } : {}),
      ...(req.terminationMessageFromLogs ? { messageFromLogs: true } : {}),
    };
    const entry: Entry = { rec, cfg };
    this.entries.set(id, entry);
    const notFound = await checkExecutable(cfg);
    if (notFound) return this.failStart(entry, notFound);
    if (this.cgroupManager) {
      try {
        entry.cgroups = await this.cgroupManager.create(req.podUid, id, req.limits);
        cfg.cgroupProcs = entry.cgroups.procs;
        if (entry.cgroups.kill) cfg.cgroupKill = entry.cgroups.kill;
        if (entry.cgroups.oomCounter) cfg.oomCounter = entry.cgroups.oomCounter;
      } catch (err) {
        this.logger.warn('cannot create cgroups; running the container without limits', { container: req.containerName, error: err });
      }
    }
    await writeFile(join(dir, 'config.json'), JSON.stringify(cfg), { mode: 0o600 });
    await this.persist(entry);
    let hello: ShimHello;
    try {
      hello = await this.spawnShim(entry, dir);
    } catch (err) {
      hello = { error: (err as Error).message };
    }
    if ('error' in hello) return this.failStart(entry, hello.error);
    entry.rec = { ...entry.rec, pid: hello.pid, startedAt: Date.now() };
    await this.persist(entry);
    return entry.rec;
  }

  private async spawnShim(entry: Entry, dir: string): Promise<ShimHello> {
    const pool = await this.shimPool();
    const { shim, spawnNext } = await pool.take();
    const hello = await shim.start(join(dir, 'config.json'), spawnNext, SHIM_START_TIMEOUT_MS);
    if ('pid' in hello) {
      entry.shimConn = true;
      entry.state = { pid: hello.pid, pidStart: 0, shimPid: shim.pid, shimStart: 0, startedAt: new Date().toISOString() };
      shim.onClose(() => {
        entry.shimConn = false;
        // The connection closes when the shim exits; if the shim were somehow still alive,
        // fall back to watching it like an adopted one.
        if (processStartTimeSync(shim.pid) !== undefined) return; // alive (a zombie counts as gone)
        this.collectExit(entry).catch((err: unknown) => this.logger.warn('cannot record a container exit', { container: entry.rec.name, error: err }));
      });
    }
    return hello;
  }

  private shimPool(): Promise<ShimPool> {
    this.pool ??= (async () => {
      const pool = new ShimPool({
        socketPath: shimSocketPath(this.opts.dir),
        shimPath: fileURLToPath(new URL('./shim.js', import.meta.url)),
        nodeFlags: SHIM_NODE_FLAGS,
        errorLog: join(this.opts.dir, 'shims.log'),
      });
      await pool.start();
      return pool;
    })();
    return this.pool;
  }

  /** Records an instance that never ran (containerd's StartError, exit code 128). */
  private async failStart(entry: Entry, message: string): Promise<ContainerRecord> {
    if (entry.cgroups) await CgroupManager.remove(entry.cgroups);
    this.applyExit(entry, { exitCode: START_ERROR_EXIT, signal: null, finishedAt: new Date().toISOString(), oomKilled: false }, 'StartError', message);
    await this.persist(entry);
    return entry.rec;
  }

  /** Reads the shim's exit record once the shim is gone, and tells listeners. */
  private collectExit(entry: Entry): Promise<void> {
    // Exits are noticed from several places (connection close, polling, stop): record once.
    if (entry.collecting) return entry.collecting;
    if (entry.rec.state === 'exited') return Promise.resolve();
    entry.collecting = this.recordExit(entry);
    return entry.collecting;
  }

  private async recordExit(entry: Entry): Promise<void> {
    const dir = join(this.containersDir, entry.rec.id);
    let exit = await readJson<ShimExit>(join(dir, 'exit.json'));
    if (!exit) {
      // The shim died without recording the exit: end what is left and report it unknown.
      if (entry.rec.pid) killGroup(entry.rec.pid, 'SIGKILL');
      if (entry.cgroups) await CgroupManager.killAll(entry.cgroups);
      exit = { exitCode: 137, signal: null, finishedAt: new Date().toISOString(), oomKilled: false };
      this.applyExit(entry, exit, 'ContainerStatusUnknown', 'The container shim ended without recording an exit status');
    } else {
      this.applyExit(entry, exit);
    }
    if (entry.cgroups) {
      await CgroupManager.killAll(entry.cgroups);
      await CgroupManager.remove(entry.cgroups);
    }
    await this.persist(entry);
    this.notifyExit(entry.rec);
  }

  private applyExit(entry: Entry, exit: ShimExit, reason?: string, message?: string): void {
    const r = reason ?? (exit.oomKilled ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error');
    entry.rec = {
      ...entry.rec,
      state: 'exited',
      exitCode: exit.exitCode,
      signal: exit.signal,
      finishedAt: Date.parse(exit.finishedAt) || Date.now(),
      reason: r,
      ...(message ? { message } : exit.message ? { message: exit.message } : {}),
    };
  }

  private notifyExit(rec: ContainerRecord): void {
    const waiters = this.exitWaiters.get(rec.id);
    this.exitWaiters.delete(rec.id);
    for (const w of waiters ?? []) w();
    for (const l of this.listeners) {
      try {
        l(rec);
      } catch (err) {
        this.logger.error('exit listener failed', { error: err });
      }
    }
  }

  private waitExit(id: string, ms: number): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry || entry.rec.state === 'exited') return Promise.resolve(true);
    return new Promise((resolve) => {
      const set = this.exitWaiters.get(id) ?? new Set();
      this.exitWaiters.set(id, set);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        set.delete(done);
        resolve(false);
      }, ms);
      set.add(done);
    });
  }

  async stop(id: string, graceMs: number, opts: { stopSignal?: NodeJS.Signals } = {}): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry || entry.rec.state === 'exited' || !entry.rec.pid) return;
    const pid = entry.rec.pid;
    if (graceMs > 0) {
      killGroup(pid, opts.stopSignal ?? 'SIGTERM');
      if (await this.waitExit(id, graceMs)) return;
    }
    killGroup(pid, 'SIGKILL');
    if (entry.cgroups) await CgroupManager.killAll(entry.cgroups);
    if (await this.waitExit(id, 10_000)) return;
    // The shim did not report: treat it as gone.
    if (entry.state) killProcess(entry.state.shimPid);
    await this.collectExit(entry);
  }

  async remove(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    if (entry.rec.state !== 'exited') await this.stop(id, 0);
    await entry.collecting?.catch(() => undefined);
    this.entries.delete(id);
    if (entry.cgroups) await CgroupManager.remove(entry.cgroups);
    await rm(join(this.containersDir, id), { recursive: true, force: true, maxRetries: 3 });
    // Sockets that did not fit in the state directory live in the temp dir (the shim removes
    // them when it ends normally).
    for (const s of [entry.cfg.stdin?.socket, entry.cfg.tty?.resizeSocket]) if (s && !s.startsWith(join(this.containersDir, id))) await unlink(s).catch(() => undefined);
    for (const f of [entry.rec.logPath, ...rotatedFiles(entry.rec.logPath)]) await unlink(f).catch(() => undefined);
  }

  async exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const entry = this.entries.get(id);
    if (!entry || entry.rec.state !== 'running' || !entry.rec.pid) return { exitCode: 126, output: 'container is not running', timedOut: false };
    return runInContainer(entry.cfg, entry.rec.pid, command, timeoutMs);
  }

  execSpec(id: string, command: string[]): ExecSpec {
    const entry = this.entries.get(id);
    if (!entry || entry.rec.state !== 'running' || !entry.rec.pid) throw new Error('container is not running');
    return { ...execArgv(entry.cfg, entry.rec.pid, command), env: Object.fromEntries(entry.cfg.env) };
  }

  spawnExec(id: string, command: string[], opts: StreamExecOptions): ChildProcess {
    const entry = this.entries.get(id);
    if (!entry || entry.rec.state !== 'running' || !entry.rec.pid) throw new Error('container is not running');
    return spawnInContainer(entry.cfg, entry.rec.pid, command, opts.stdin);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    // The spare shim sees EOF on its control pipe and exits.
    if (this.pool) (await this.pool).close();
    // Shims keep running: stopping containers is the agent's decision (--leave-pods-running).
  }

  private async persist(entry: Entry): Promise<void> {
    if (this.entries.get(entry.rec.id) !== entry) return; // removed meanwhile
    const dir = join(this.containersDir, entry.rec.id);
    const stored: StoredRecord = { rec: entry.rec, ...(entry.cgroups ? { cgroups: entry.cgroups } : {}) };
    const tmp = join(dir, 'record.json.tmp');
    try {
      await writeFile(tmp, JSON.stringify(stored), { mode: 0o600 });
      await rename(tmp, join(dir, 'record.json'));
    } catch (err) {
      // The instance's directory is gone (removed meanwhile, or the data dir was deleted): the
      // in-memory record is all there is left to keep.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
  }

  /** Instances adopted from a previous agent are not our children: poll their shims. */
  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = setTimeout(() => {
      this.pollAdopted()
        .catch((err: unknown) => this.logger.warn('cannot check adopted containers', { error: err }))
        .finally(() => this.schedulePoll());
    }, ADOPTED_POLL_MS);
    this.pollTimer.unref();
  }

  private async pollAdopted(): Promise<void> {
    for (const entry of this.entries.values()) {
      if (entry.rec.state !== 'running' || entry.shimConn || !entry.state) continue;
      const alive = isAlive(entry.state.shimPid) && (await processStartTime(entry.state.shimPid)) !== undefined;
      if (!alive || !(await sameProcess(entry.state.shimPid, entry.state.shimStart))) await this.collectExit(entry);
    }
  }
}

/**
 * A unix socket path for a container: in its state directory when that fits in sun_path (108
 * bytes; longer paths are silently cut by the kernel interface, and two sockets of one container
 * could then collide), else in the temp dir under a hash of the directory.
 */
export function containerSocketPath(dir: string, name: string): string {
  const p = join(dir, name);
  if (Buffer.byteLength(p) <= MAX_SOCKET_PATH) return p;
  return join(tmpdir(), `skiff-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}-${name}`);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is empty */
  }
}

function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Root on Linux with util-linux's unshare and nsenter on PATH. */
async function canUseNamespaces(): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const { access, constants } = await import('node:fs/promises');
  const found = async (name: string): Promise<boolean> => {
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
      try {
        await access(join(dir, name), constants.X_OK);
        return true;
      } catch {
        /* next */
      }
    }
    return false;
  };
  if (!(await found('unshare')) || !(await found('nsenter'))) return false;
  // Containers (and some sandboxes) deny CLONE_NEWNS even to root: try it once.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => execFile('unshare', ['--mount', '--uts', '--propagation', 'private', 'true'], (err) => resolve(!err)));
}
