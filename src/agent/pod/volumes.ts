/**
 * Volumes as files and directories in the pod's sandbox (kubelet's volume manager, for the
 * volume types that make sense without a container runtime): emptyDir, configMap, secret,
 * downwardAPI and projected (written atomically, refreshed on resync as kubelet does), hostPath
 * (with its `type` checks) and persistentVolumeClaim: the bound PV's directory — for a local-path
 * volume (api/local-path.ts) a directory under the node's data dir, created on first use and
 * found again when the pod comes back; otherwise the PV's hostPath or absolute local path.
 * Each volume ends up as one host path; mounts.ts maps containers' volumeMounts onto those.
 */
import type { DownwardAPIVolumeFile, KeyToPath, PersistentVolume, PersistentVolumeClaim, Pod, Volume } from 'kubernetes-types/core/v1.js';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { localPathOf, volumeAllowsNode } from '../../api/local-path.js';
import { writeAtomic, payloadHash, type Payload } from './atomic-writer.js';
import { decodeSecret, podFieldValue, resourceFieldValue, type ObjectSource } from './env.js';

export interface VolumeObjectSource extends ObjectSource {
  persistentVolumeClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
  persistentVolume(name: string): Promise<PersistentVolume | undefined>;
}

/** A volume could not be set up: the message follows kubelet's FailedMount events. */
export class VolumeError extends Error {
  constructor(
    readonly volume: string,
    message: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
    this.name = 'VolumeError';
  }
}

const DEFAULT_MODE = 0o644;

export interface VolumeContext {
  pod: Pod;
  /** `<sandbox>/volumes`. */
  dir: string;
  objects: VolumeObjectSource;
  allocatable: Record<string, string>;
  /** dir → payload hash of what was last written there (skip unchanged rewrites). */
  written: Map<string, string>;
  /** The node: local-path volumes must be pinned to it and live under its data dir. */
  node: { name: string; labels: Readonly<Record<string, string>> | undefined; dataDir: string };
}

/** Sets up every volume of the pod; returns volume name → host path. */
export async function setUpVolumes(ctx: VolumeContext): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const v of ctx.pod.spec?.volumes ?? []) paths.set(v.name, await setUpVolume(ctx, v));
  return paths;
}

async function setUpVolume(ctx: VolumeContext, v: Volume): Promise<string> {
  const ns = ctx.pod.metadata?.namespace ?? 'default';
  const dir = join(ctx.dir, v.name);
  if (v.emptyDir) {
    await mkdir(dir, { recursive: true, mode: 0o777 });
    return dir;
  }
  if (v.hostPath) return setUpHostPath(v.name, v.hostPath.path, v.hostPath.type ?? '');
  if (v.persistentVolumeClaim) {
    const claim = v.persistentVolumeClaim.claimName;
    const pvc = await ctx.objects.persistentVolumeClaim(ns, claim);
    if (!pvc) throw new VolumeError(v.name, `persistentvolumeclaim "${claim}" not found`);
    if (pvc.status?.phase !== 'Bound' || !pvc.spec?.volumeName) throw new VolumeError(v.name, `persistentvolumeclaim "${claim}" is not bound`);
    const pv = await ctx.objects.persistentVolume(pvc.spec.volumeName);
    if (!pv) throw new VolumeError(v.name, `persistentvolume "${pvc.spec.volumeName}" not found`);
    let local: string | undefined;
    try {
      local = localPathOf(pv);
    } catch (err) {
      throw new VolumeError(v.name, (err as Error).message);
    }
    if (local !== undefined) return setUpLocalPath(ctx, v.name, pv, local);
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!path) throw new VolumeError(v.name, `persistentvolume "${pv.metadata?.name}" has no hostPath or local path (the only kinds a Skiff node can mount)`);
    return setUpHostPath(v.name, path, pv.spec?.hostPath ? (pv.spec.hostPath.type ?? 'DirectoryOrCreate') : 'Directory');
  }
  const payload: Payload = new Map();
  if (v.configMap) {
    await addConfigMap(ctx, v.name, payload, '', v.configMap.name ?? '', v.configMap.items, v.configMap.optional ?? false, v.configMap.defaultMode ?? DEFAULT_MODE);
  } else if (v.secret) {
    await addSecret(ctx, v.name, payload, '', v.secret.secretName ?? '', v.secret.items, v.secret.optional ?? false, v.secret.defaultMode ?? DEFAULT_MODE);
  } else if (v.downwardAPI) {
    addDownward(ctx, payload, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE);
  } else if (v.projected) {
    const mode = v.projected.defaultMode ?? DEFAULT_MODE;
    for (const s of v.projected.sources ?? []) {
      if (s.configMap) await addConfigMap(ctx, v.name, payload, '', s.configMap.name ?? '', s.configMap.items, s.configMap.optional ?? false, mode);
      else if (s.secret) await addSecret(ctx, v.name, payload, '', s.secret.name ?? '', s.secret.items, s.secret.optional ?? false, mode);
      else if (s.downwardAPI) addDownward(ctx, payload, s.downwardAPI.items ?? [], mode);
      // serviceAccountToken and clusterTrustBundle need token/trust APIs Skiff does not serve: skipped.
    }
  } else {
    const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
    throw new VolumeError(v.name, `volume type ${kind} is not supported by Skiff nodes (emptyDir, configMap, secret, downwardAPI, projected, hostPath and persistentVolumeClaim are)`);
  }
  const hash = payloadHash(payload);
  if (ctx.written.get(dir) !== hash) {
    await writeAtomic(dir, payload);
    ctx.written.set(dir, hash);
  }
  return dir;
}

/**
 * A local-path volume: `<node data dir>/<relative path>`, created on first use with mode 0777 (as
 * the local-path provisioner does, so a pod running as any user can write), and the same
 * directory every time a pod of the claim runs here. A volume pinned to another node cannot be
 * mounted here (the scheduler should never have put the pod on this node).
 */
async function setUpLocalPath(ctx: VolumeContext, volume: string, pv: PersistentVolume, rel: string): Promise<string> {
  if (!volumeAllowsNode(pv, ctx.node.labels, ctx.node.name)) {
    throw new VolumeError(volume, `volume node affinity conflict: persistentvolume "${pv.metadata?.name ?? ''}" is not on node "${ctx.node.name}"`);
  }
  if (pv.metadata?.deletionTimestamp) throw new VolumeError(volume, `persistentvolume "${pv.metadata.name ?? ''}" is being deleted`);
  const dir = join(ctx.node.dataDir, rel);
  const st = await stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) throw new VolumeError(volume, `${dir} is not a directory`);
  if (!st) {
    await mkdir(dir, { recursive: true, mode: 0o777 });
    await chmod(dir, 0o777); // mkdir's mode is masked by the umask
  }
  return dir;
}

async function setUpHostPath(volume: string, path: string, type: string): Promise<string> {
  const st = await stat(path).catch(() => undefined);
  switch (type) {
    case 'DirectoryOrCreate':
      if (!st) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a directory`);
      break;
    case 'FileOrCreate':
      if (!st) await writeFile(path, '', { mode: 0o644 });
      else if (!st.isFile()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a file`);
      break;
    case 'Directory':
      if (!st?.isDirectory()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a directory`);
      break;
    case 'File':
      if (!st?.isFile()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a file`);
      break;
    case 'Socket':
      if (!st?.isSocket()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a socket file`);
      break;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a character device`);
      break;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new VolumeError(volume, `hostPath type check failed: ${path} is not a block device`);
      break;
    default:
      break; // "" = no checks, as Kubernetes
  }
  return path;
}

function addItems(payload: Payload, data: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number, missing: (key: string) => never): void {
  if (!items || items.length === 0) {
    for (const [k, v] of Object.entries(data)) payload.set(k, { data: v, mode });
    return;
  }
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) missing(it.key);
    payload.set(it.path, { data: v, mode: it.mode ?? mode });
  }
}

async function addConfigMap(ctx: VolumeContext, volume: string, payload: Payload, _prefix: string, name: string, items: KeyToPath[] | undefined, optional: boolean, mode: number): Promise<void> {
  const cm = await ctx.objects.configMap(ctx.pod.metadata?.namespace ?? 'default', name);
  if (!cm) {
    if (optional) return;
    throw new VolumeError(volume, `configmap "${name}" not found`);
  }
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) data[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
  addItems(payload, data, items, mode, (key) => {
    if (optional) return undefined as never;
    throw new VolumeError(volume, `configmap references non-existent config key: ${key}`);
  });
}

async function addSecret(ctx: VolumeContext, volume: string, payload: Payload, _prefix: string, name: string, items: KeyToPath[] | undefined, optional: boolean, mode: number): Promise<void> {
  const s = await ctx.objects.secret(ctx.pod.metadata?.namespace ?? 'default', name);
  if (!s) {
    if (optional) return;
    throw new VolumeError(volume, `secret "${name}" not found`);
  }
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(decodeSecret(s))) data[k] = Buffer.from(v);
  addItems(payload, data, items, mode, (key) => {
    if (optional) return undefined as never;
    throw new VolumeError(volume, `references non-existent secret key: ${key}`);
  });
}

function addDownward(ctx: VolumeContext, payload: Payload, items: DownwardAPIVolumeFile[], mode: number): void {
  for (const it of items) {
    let value = '';
    if (it.fieldRef) value = podFieldValue(ctx.pod, it.fieldRef.fieldPath) ?? '';
    else if (it.resourceFieldRef) {
      const c = [...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])].find((x) => x.name === it.resourceFieldRef!.containerName);
      value = resourceFieldValue(c, it.resourceFieldRef.resource, it.resourceFieldRef.divisor as string | undefined, ctx.allocatable);
    }
    payload.set(it.path, { data: Buffer.from(value), mode: it.mode ?? mode });
  }
}
