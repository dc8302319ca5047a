/**
 * Turns a pod's container spec into what the runtime starts (kubelet's generateContainerConfig):
 * the command line (pod command/args, else the node config's image map, with `$(VAR)`
 * expansion), the environment, the working directory, the volume mounts and the cgroup limits.
 *
 * Volumes and mountPaths. With a private mount namespace (root on Linux) each volumeMount is a
 * bind mount at its mountPath, so the process sees `/etc/config` as it would in a container.
 * Without one, volumes stay in the sandbox; the process finds each at `$SKIFF_VOLUME_<NAME>`
 * (name upper-cased, other characters `_`), and a command or workingDir under a mountPath is
 * rewritten to the volume's sandbox path. The `SKIFF_VOLUME_*` variables are always set (to the
 * mountPath when mounted) and come before the pod's own env, so `$(SKIFF_VOLUME_DATA)` works in
 * args and env.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { stat, mkdir } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../../api/quantity.js';
import type { ContainerStartRequest, RuntimeMount } from '../runtime/runtime.js';
import { lookupImage, type NodeConfig } from '../node-config.js';
import { buildEnv, type ObjectSource } from './env.js';
import { expand } from './expansion.js';

/** The container cannot be created as specified (reason CreateContainerError). */
export class CreateContainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CreateContainerError';
  }
}

/** Kubernetes hostnames are DNS labels: at most 63 characters, no trailing '-' or '.'. */
export function podHostname(pod: Pod): string {
  const h = (pod.spec?.hostname || pod.metadata?.name || 'pod').slice(0, 63);
  return h.replace(/[-.]+$/, '');
}

/** Hash of a container spec: a changed spec (a new image) means the instance is replaced. */
export function containerHash(c: Container): string {
  return createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 16);
}

export function volumeEnvName(volume: string): string {
  return `SKIFF_VOLUME_${volume.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export interface ContainerConfigContext {
  pod: Pod;
  container: Container;
  init: boolean;
  attempt: number;
  /** Volume name → host path (from volumes.ts). */
  volumePaths: Map<string, string>;
  /** Whether the runtime bind-mounts volumes at their mountPaths. */
  mountsVolumes: boolean;
  nodeConfig: NodeConfig;
  objects: ObjectSource;
  allocatable: Record<string, string>;
  /** `<sandbox>`: default working dirs live under it. */
  sandboxDir: string;
  logPath: string;
  /** Environment every container starts from (PATH, HOME). */
  baseEnv: Array<[string, string]>;
  /** Service variables (kubelet injects them before the container's own env). */
  serviceEnv?: Array<[string, string]>;
  /** The pod network's /etc/hosts and /etc/resolv.conf mounts, and its namespace. */
  network?: { mounts: RuntimeMount[]; netns?: string };
}

export async function buildContainerConfig(ctx: ContainerConfigContext): Promise<{ req: ContainerStartRequest; invalidEnvKeys: string[] }> {
  const { pod, container: c } = ctx;
  const image = c.image ?? '';
  const mapped = c.command && c.command.length > 0 ? undefined : lookupImage(ctx.nodeConfig, image);
  let command: string[];
  let args: string[];
  if (c.command && c.command.length > 0) {
    command = c.command;
    args = c.args ?? [];
  } else if (mapped) {
    command = mapped.command;
    args = c.args && c.args.length > 0 ? c.args : (mapped.args ?? []);
  } else {
    throw new CreateContainerError(
      `container "${c.name}" has no command, and image "${image}" is not mapped to one on this node: Skiff runs containers as host processes, ` +
        `so the image's entrypoint is unknown. Set command (and args) in the pod spec, or map the image in the node config ${ctx.nodeConfig.path} ` +
        `(images: {"${image.split(/[:@]/)[0]}": ["/path/to/program", "arg"]})`,
    );
  }
  const hostname = podHostname(pod);
  // Mounts first: SKIFF_VOLUME_* point at where the process will find each volume.
  const mounts: RuntimeMount[] = [];
  const volumeEnv: Array<[string, string]> = [];
  const seenVolumes = new Set<string>();
  const preEnv: Array<[string, string]> = [...ctx.baseEnv, ['HOSTNAME', hostname], ...Object.entries(mapped?.env ?? {})];
  for (const m of c.volumeMounts ?? []) {
    const base = ctx.volumePaths.get(m.name);
    if (base === undefined) throw new CreateContainerError(`cannot find volume "${m.name}" to mount into container "${c.name}"`);
    let source = base;
    const sub = m.subPathExpr ? expand(m.subPathExpr, (n) => new Map(preEnv).get(n)) : m.subPath;
    if (sub) {
      if (isAbsolute(sub) || relative(base, join(base, sub)).startsWith('..')) throw new CreateContainerError(`subPath "${sub}" of volume "${m.name}" must be a relative path inside the volume`);
      source = join(base, sub);
      // kubelet creates a missing subPath directory.
      if (!(await stat(source).catch(() => undefined))) await mkdir(source, { recursive: true });
    }
    const st = await stat(source).catch(() => undefined);
    mounts.push({ source, target: m.mountPath, readOnly: m.readOnly ?? false, file: st?.isFile() ?? false });
    if (!seenVolumes.has(m.name)) {
      seenVolumes.add(m.name);
      volumeEnv.push([volumeEnvName(m.name), ctx.mountsVolumes ? m.mountPath : source]);
    }
  }
  // A container's own mount of /etc/hosts or /etc/resolv.conf wins over the pod network's.
  for (const m of ctx.mountsVolumes ? (ctx.network?.mounts ?? []) : []) if (!mounts.some((x) => x.target === m.target)) mounts.push(m);
  const { env, invalidKeys } = await buildEnv({ pod, container: c, objects: ctx.objects, allocatable: ctx.allocatable, base: [...preEnv, ...(ctx.serviceEnv ?? []), ...volumeEnv] });
  const lookup = (n: string): string | undefined => new Map(env).get(n);
  const argv = [...command, ...args].map((a) => expand(a, lookup));
  let workingDir = c.workingDir || mapped?.workingDir || join(ctx.sandboxDir, 'work', c.name);
  if (!ctx.mountsVolumes) {
    // No mount namespace: paths under a mountPath live in the volume's sandbox directory.
    const remap = (p: string): string => {
      for (const m of mounts) {
        const rel = relative(m.target, p);
        if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return rel === '' ? m.source : join(m.source, rel);
      }
      return p;
    };
    workingDir = remap(workingDir);
    if (argv[0] && isAbsolute(argv[0])) argv[0] = remap(argv[0]);
  }
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const q = (v: unknown): Quantity | undefined => Quantity.tryParse(v as string | undefined);
  const req: ContainerStartRequest = {
    podUid: pod.metadata?.uid ?? '',
    podNamespace: pod.metadata?.namespace ?? 'default',
    podName: pod.metadata?.name ?? '',
    hostname,
    containerName: c.name,
    attempt: ctx.attempt,
    init: ctx.init,
    specHash: containerHash(c),
    image,
    command: argv,
    env,
    workingDir,
    mounts,
    logPath: ctx.logPath,
    limits: {
      ...(q(limits['memory']) ? { memoryBytes: q(limits['memory'])!.value() } : {}),
      ...(q(limits['cpu']) ? { cpuLimitMillis: q(limits['cpu'])!.milliValue() } : {}),
      ...(q(requests['cpu']) ? { cpuRequestMillis: q(requests['cpu'])!.milliValue() } : {}),
    },
    ...(c.stdin ? { stdin: { once: c.stdinOnce ?? false } } : {}),
    ...(c.tty ? { tty: true } : {}),
    ...(ctx.network?.netns ? { netns: ctx.network.netns } : {}),
    ...(c.terminationMessagePolicy === 'FallbackToLogsOnError' ? { terminationMessageFromLogs: true } : {}),
  };
  return { req, invalidEnvKeys: invalidKeys };
}

/** The environment every container starts from: the agent's PATH and HOME, as an image's ENV would give. */
export function defaultBaseEnv(): Array<[string, string]> {
  return [
    ['PATH', process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['HOME', process.env.HOME || homedir()],
  ];
}
