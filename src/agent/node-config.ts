/**
 * The node config file (`<node-dir>/config.yaml`, or `--config FILE`): what a process node needs
 * to know that a container image would have said. Today that is the image map — an image name
 * (with or without tag or registry) to the command (ENTRYPOINT) and default args (CMD) its
 * containers run when the pod gives no `command` — plus optional capacity overrides:
 *
 *   images:
 *     nginx: ["nginx", "-g", "daemon off;"]            # command only
 *     redis: { command: ["redis-server"], args: ["--save", ""] }
 *     "registry.example.com/team/app:2": { command: ["/opt/app/bin/app"], workingDir: /opt/app }
 *   capacity: { cpu: "4", memory: 8Gi, pods: "50" }
 *
 * Semantics follow Docker/Kubernetes: a pod's `command` replaces the image's command and ignores
 * its args; a pod's `args` alone replace the image's args. Common base images whose ENTRYPOINT is
 * empty (busybox, alpine, debian, ubuntu, bash) are mapped by default, so
 * `kubectl run x --image=busybox -- sh -c 'echo hi'` runs `sh -c 'echo hi'` on the host.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';

export interface ImageEntry {
  command: string[];
  args?: string[];
  workingDir?: string;
  env?: Record<string, string>;
}

export interface NodeConfig {
  /** Where the file was (or would be) read from, for messages. */
  path: string;
  images: Map<string, ImageEntry>;
  capacity: Record<string, string>;
}

/** Images with an empty ENTRYPOINT whose CMD is a shell: the container's args run as given. */
export const DEFAULT_IMAGES: Record<string, ImageEntry> = {
  busybox: { command: [], args: ['sh'] },
  alpine: { command: [], args: ['/bin/sh'] },
  debian: { command: [], args: ['bash'] },
  ubuntu: { command: [], args: ['bash'] },
  bash: { command: [], args: ['bash'] },
};

/** Reads the node config; a missing file is an empty config (defaults only). */
export async function loadNodeConfig(path: string): Promise<NodeConfig> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const cfg: NodeConfig = { path, images: new Map(Object.entries(DEFAULT_IMAGES)), capacity: {} };
  if (!text) return cfg;
  const doc = (parseYaml(text) ?? {}) as { images?: Record<string, unknown>; capacity?: Record<string, unknown> };
  if (typeof doc !== 'object') throw new Error(`${path}: expected a mapping with "images" and/or "capacity"`);
  for (const [name, v] of Object.entries(doc.images ?? {})) cfg.images.set(name, parseEntry(path, name, v));
  for (const [k, v] of Object.entries(doc.capacity ?? {})) cfg.capacity[k] = String(v);
  return cfg;
}

function parseEntry(path: string, name: string, v: unknown): ImageEntry {
  const strings = (x: unknown, what: string): string[] => {
    if (!Array.isArray(x) || !x.every((s) => typeof s === 'string')) throw new Error(`${path}: images["${name}"].${what} must be a list of strings`);
    return x as string[];
  };
  if (Array.isArray(v)) return { command: strings(v, 'command') };
  if (typeof v === 'string') return { command: [v] };
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return {
      command: o.command === undefined ? [] : strings(o.command, 'command'),
      ...(o.args !== undefined ? { args: strings(o.args, 'args') } : {}),
      ...(typeof o.workingDir === 'string' ? { workingDir: o.workingDir } : {}),
      ...(o.env && typeof o.env === 'object' ? { env: Object.fromEntries(Object.entries(o.env as Record<string, unknown>).map(([k, x]) => [k, String(x)])) } : {}),
    };
  }
  throw new Error(`${path}: images["${name}"] must be a command list or {command, args, workingDir, env}`);
}

/**
 * The entry for an image reference: the exact reference, then without digest/tag, then the
 * repository's last path component (`docker.io/library/nginx:1.27` → `nginx`).
 */
export function lookupImage(cfg: NodeConfig, image: string): ImageEntry | undefined {
  const noDigest = image.split('@')[0]!;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const noTag = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  const short = noTag.slice(noTag.lastIndexOf('/') + 1);
  for (const k of [image, noDigest, noTag, short]) {
    const e = cfg.images.get(k);
    if (e) return e;
  }
  return undefined;
}
