/**
 * Running a command "inside" a process-runtime container: joined to the container's cgroups (so
 * limits apply and it ends with the container), entered into its mount and UTS namespaces with
 * nsenter where the container has them, with the container's environment and working dir —
 * what `kubectl exec`, exec probes and preStop hooks get from a container runtime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { access, constants as fsConstants } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ShimConfig } from './shim-protocol.js';
import { JOIN_CGROUPS } from './shim.js';
import type { ExecResult } from '../runtime.js';

/** Probe and hook output kept (kubelet's maxProbeOutput). */
export const MAX_EXEC_OUTPUT = 10 * 1024;

/** Default PATH when neither the container nor the agent has one (Docker's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** argv + spawn options that run `command` in the context of a running container. */
export function execArgv(cfg: ShimConfig, pid: number, command: string[]): { file: string; args: string[]; cwd: string | undefined } {
  let argv = command;
  let cwd: string | undefined = cfg.cwd;
  if (cfg.namespace) {
    argv = ['nsenter', '--target', String(pid), '--mount', '--uts', ...(cfg.netns ? ['--net'] : []), '--', '/bin/sh', '-c', 'cd "$1" 2>/dev/null || cd /; shift; exec "$@"', 'skiff-exec', cfg.cwd, ...command];
    cwd = '/';
  } else if (cfg.netns) {
    argv = ['nsenter', `--net=${cfg.netns}`, '--', ...argv];
  }
  if (cfg.cgroupProcs.length > 0) argv = ['/bin/sh', '-c', JOIN_CGROUPS, 'skiff-exec', ...cfg.cgroupProcs, '--', ...argv];
  return { file: argv[0]!, args: argv.slice(1), cwd };
}

/** Spawns `command` in the container's context; the caller owns the pipes. */
export function spawnInContainer(cfg: ShimConfig, pid: number, command: string[], stdin: boolean): ChildProcess {
  const { file, args, cwd } = execArgv(cfg, pid, command);
  return spawn(file, args, { cwd, env: Object.fromEntries(cfg.env), stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
}

/** Runs `command` to completion with a timeout (the whole process group is killed on timeout). */
export function runInContainer(cfg: ShimConfig, pid: number, command: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolvePromise) => {
    let child: ChildProcess;
    try {
      child = spawnInContainer(cfg, pid, command, false);
    } catch (err) {
      resolvePromise({ exitCode: 126, output: (err as Error).message, timedOut: false });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (d: Buffer): void => {
      if (size >= MAX_EXEC_OUTPUT) return;
      chunks.push(d.subarray(0, MAX_EXEC_OUTPUT - size));
      size += Math.min(d.length, MAX_EXEC_OUTPUT - size);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolvePromise({ exitCode: 126, output: err.message, timedOut: false });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), output: Buffer.concat(chunks).toString('utf8'), timedOut });
    });
  });
}

/**
 * Finds the executable of a container's command as the process will see it: a path with a slash
 * is taken relative to the working dir, a bare name is searched in the container's PATH; a path
 * under a volume's mountPath is looked up in the volume's source (the agent does not see the
 * container's mount namespace). Returns an error message in Kubernetes' wording, or undefined.
 */
export async function checkExecutable(cfg: Pick<ShimConfig, 'command' | 'env' | 'cwd' | 'namespace'>): Promise<string | undefined> {
  const cmd = cfg.command[0];
  if (!cmd) return 'no command given';
  const mapped = (p: string): string => {
    for (const m of cfg.namespace?.mounts ?? []) {
      const rel = relative(m.target, p);
      if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return rel === '' ? m.source : join(m.source, rel);
    }
    return p;
  };
  const executable = async (p: string): Promise<boolean> => {
    try {
      await access(mapped(p), fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes(sep)) {
    const p = resolve(cfg.cwd, cmd);
    return (await executable(p)) ? undefined : `exec: "${cmd}": stat ${cmd}: no such file or directory`;
  }
  const path = new Map(cfg.env).get('PATH') ?? DEFAULT_PATH;
  for (const dir of path.split(':')) {
    if (dir && (await executable(join(resolve(cfg.cwd, dir), cmd)))) return undefined;
  }
  return `exec: "${cmd}": executable file not found in $PATH`;
}
