/**
 * The container runtime interface the pod workers drive (the role CRI plays for kubelet):
 * start a container instance, stop it with a grace period, list instances per pod (running and
 * exited — a restarted container is a new instance with the next attempt number), run a command
 * in a container's context (probes, preStop hooks, `kubectl exec`), and report exits.
 *
 * Two runtimes implement it: `process` (host processes under a per-container shim, see
 * process/process-runtime.ts) and `simulated` (runs nothing; for scale tests).
 */
import type { ChildProcess } from 'node:child_process';

/** A bind mount of a materialised volume at a container's mountPath. */
export interface RuntimeMount {
  source: string;
  target: string;
  readOnly: boolean;
  /** The source is a file (a subPath that names a file). */
  file: boolean;
}

export interface ContainerLimits {
  memoryBytes?: number;
  cpuLimitMillis?: number;
  cpuRequestMillis?: number;
}

/** Everything needed to start one container instance. */
export interface ContainerStartRequest {
  podUid: string;
  podNamespace: string;
  podName: string;
  /** Hostname the processes see (pod name, or spec.hostname). */
  hostname: string;
  containerName: string;
  /** Restart count this instance will be reported with (0 for the first). */
  attempt: number;
  init: boolean;
  /** Hash of the container spec this instance runs (a changed spec means restart). */
  specHash: string;
  image: string;
  command: string[];
  env: Array<[string, string]>;
  /** Working directory; created when missing (as runc does). */
  workingDir: string;
  mounts: RuntimeMount[];
  /** Log file of this instance (CRI format). */
  logPath: string;
  limits: ContainerLimits;
  /** terminationMessagePolicy FallbackToLogsOnError. */
  terminationMessageFromLogs?: boolean;
  /** `spec.stdin`: keep stdin open for attach; `once` = `stdinOnce`. */
  stdin?: { once: boolean };
  /** `spec.tty`: the container runs on a pseudo-terminal of its own (its output is all stdout). */
  tty?: boolean;
  /** The pod's network namespace (`/run/netns/<name>`) the container joins; absent: the host's network. */
  netns?: string;
  /** Simulated runtime: end after `durationMs` with `exitCode` (undefined duration = run until stopped). */
  simulate?: { durationMs?: number; exitCode: number };
}

export type ContainerRunState = 'running' | 'exited';

/** One container instance as the runtime knows it. */
export interface ContainerRecord {
  /** Runtime id (hex); reported as `<runtime>://<id>`. */
  id: string;
  podUid: string;
  podNamespace: string;
  podName: string;
  name: string;
  attempt: number;
  init: boolean;
  specHash: string;
  image: string;
  state: ContainerRunState;
  /** ms since epoch. */
  createdAt: number;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  signal?: string | null;
  /** Completed, Error, OOMKilled, StartError, ContainerStatusUnknown. */
  reason?: string;
  message?: string;
  pid?: number;
  logPath: string;
  /** The runtime found it running when it started (re-adopted after an agent restart). */
  adopted?: boolean;
}

/** The record of a container instance just started from `req` (state running). */
export function runningRecord(id: string, req: ContainerStartRequest, now: number): ContainerRecord {
  return {
    id,
    podUid: req.podUid,
    podNamespace: req.podNamespace,
    podName: req.podName,
    name: req.containerName,
    attempt: req.attempt,
    init: req.init,
    specHash: req.specHash,
    image: req.image,
    state: 'running',
    createdAt: now,
    startedAt: now,
    logPath: req.logPath,
  };
}

/** Result of a command run to completion in a container's context. */
export interface ExecResult {
  exitCode: number;
  /** Combined stdout+stderr, truncated (kubelet keeps 10 KiB of probe output). */
  output: string;
  timedOut: boolean;
}

/** Options for a command streamed to a client (`kubectl exec`). */
export interface StreamExecOptions {
  stdin: boolean;
  tty: boolean;
}

/** How to start a command in a container's context, for callers that spawn it themselves (a pty). */
export interface ExecSpec {
  file: string;
  args: string[];
  cwd: string | undefined;
  env: Record<string, string>;
}

export interface ContainerRuntime {
  /** `process` or `simulated`. */
  readonly name: string;
  /** Scheme of container IDs, e.g. `skiff-process`. */
  readonly scheme: string;
  readonly version: string;
  /** Whether containers get a private mount namespace (volumes at their mountPaths). */
  readonly mountsVolumes: boolean;
  /** Loads instances kept from a previous run (re-adoption). Call once before anything else. */
  recover(): Promise<void>;
  /** Pod UIDs the runtime has instances for. */
  podUids(): string[];
  /** Instances of one pod, oldest first. */
  containers(podUid: string): ContainerRecord[];
  get(id: string): ContainerRecord | undefined;
  /** Starts an instance. A process that cannot be started is recorded as an exited instance (reason StartError). */
  start(req: ContainerStartRequest): Promise<ContainerRecord>;
  /** SIGTERM (or `stopSignal`) to everything in the container, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(id: string, graceMs: number, opts?: { stopSignal?: NodeJS.Signals }): Promise<void>;
  /** Forgets an exited instance and deletes its logs and state. */
  remove(id: string): Promise<void>;
  /** Runs `command` in the container's context to completion (probes, hooks). */
  exec(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /** Starts `command` in the container's context with pipes (`kubectl exec`). */
  spawnExec(id: string, command: string[], opts: StreamExecOptions): ChildProcess;
  /** The argv, cwd and env that run `command` in the container's context. */
  execSpec(id: string, command: string[]): ExecSpec;
  /** Unix socket feeding the container's stdin (attach), if it has one. */
  stdinSocket(id: string): string | undefined;
  /**
   * Unix socket taking window sizes for the container's terminal (`spec.tty`), if it has one:
   * newline-delimited JSON `{"cols":N,"rows":N}`.
   */
  terminalSocket(id: string): string | undefined;
  /** Called when an instance exits (after its record is updated). */
  onExit(listener: (rec: ContainerRecord) => void): () => void;
  /** Stops watching; with `leaveRunning` false, nothing is stopped here (the agent stops pods first). */
  close(): Promise<void>;
}
