/**
 * What the agent and a container's shim exchange through the container's state directory
 * (`<node-dir>/runtime/containers/<id>/`): the agent writes `config.json` and starts the shim;
 * the shim starts the container, writes `state.json` (pids and their start times, so a restarted
 * agent can tell its processes from a reused pid), reports `{pid}` or `{error}` on fd 3, and when
 * the container ends writes `exit.json`. Files are written atomically (temp file + rename).
 */

/** A bind mount into the container's private mount namespace. */
export interface ShimMount {
  source: string;
  target: string;
  readOnly: boolean;
  /** The source is a file (subPath to a file): the target is created as an empty file. */
  file: boolean;
}

export interface ShimConfig {
  id: string;
  /** argv of the container process (already `$(VAR)`-expanded, image mapping applied). */
  command: string[];
  /** Environment in order (later entries win, as in Kubernetes). */
  env: Array<[string, string]>;
  cwd: string;
  /** Create `cwd` when it does not exist (as runc does for a container's working dir). */
  createCwd: boolean;
  logPath: string;
  logMaxBytes: number;
  logMaxFiles: number;
  statePath: string;
  exitPath: string;
  /** `cgroup.procs` files the container process joins before it execs (one per hierarchy). */
  cgroupProcs: string[];
  /** `cgroup.kill` (v2) to end every process of the container when its main process exits. */
  cgroupKill?: string;
  /** Where the OOM-kill counter of the container's memory cgroup is read at exit. */
  oomCounter?: { path: string; key: string };
  /** A private mount + UTS namespace (root on Linux with util-linux `unshare`). */
  namespace?: { hostname: string; mounts: ShimMount[] };
  /** terminationMessagePolicy FallbackToLogsOnError: on a failure, the log's tail is the message. */
  messageFromLogs?: boolean;
  /** The pod's network namespace to join (nsenter --net) before anything else. */
  netns?: string;
  /** Keep stdin open for `kubectl attach` through a unix socket (`spec.stdin`). */
  stdin?: { socket: string; once: boolean };
  /** Run on a pseudo-terminal (`spec.tty`); window sizes arrive on `resizeSocket`. */
  tty?: { resizeSocket: string };
}

/** Written once the container process runs. */
export interface ShimState {
  pid: number;
  /** Process start time (clock ticks since boot, /proc/<pid>/stat field 22; 0 where unknown). */
  pidStart: number;
  shimPid: number;
  shimStart: number;
  startedAt: string;
}

/** Written when the container process has ended. */
export interface ShimExit {
  exitCode: number;
  signal: string | null;
  finishedAt: string;
  oomKilled: boolean;
  /** Termination message (the log's tail, with FallbackToLogsOnError). */
  message?: string;
}

/** The first and only message on the shim's fd 3. */
export type ShimHello = { pid: number } | { error: string };
