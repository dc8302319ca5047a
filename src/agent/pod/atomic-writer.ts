/**
 * Kubernetes' AtomicWriter for ConfigMap, Secret, downward API and projected volumes: the
 * payload lives in a timestamped hidden directory, `..data` is a symlink to it, and each
 * top-level name is a symlink through `..data`. An update writes a new directory and swaps
 * `..data` with one rename, so a reader never sees half of an update (and programs that watch
 * `..data`, as many config reloaders do, see one change).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface PayloadFile {
  data: Buffer;
  mode: number;
}

/** relative path → content. */
export type Payload = Map<string, PayloadFile>;

const DATA_LINK = '..data';

/** Hash of a payload, to skip rewriting what did not change. */
export function payloadHash(payload: Payload): string {
  const h = createHash('sha256');
  for (const k of [...payload.keys()].sort()) {
    const f = payload.get(k)!;
    h.update(k).update('\0').update(String(f.mode)).update('\0').update(f.data).update('\0');
  }
  return h.digest('hex');
}

/** Writes `payload` into `dir` atomically (see the module comment). */
export async function writeAtomic(dir: string, payload: Payload): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('Z', '')}.${randomBytes(4).toString('hex')}`;
  const tsDir = join(dir, stamp);
  await mkdir(tsDir, { mode: 0o755 });
  for (const [rel, f] of payload) {
    const p = join(tsDir, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, f.data, { mode: f.mode });
  }
  let old: string | undefined;
  try {
    old = await readlink(join(dir, DATA_LINK));
  } catch {
    old = undefined;
  }
  const tmpLink = join(dir, `..data_tmp`);
  await rm(tmpLink, { force: true });
  await symlink(stamp, tmpLink);
  await rename(tmpLink, join(dir, DATA_LINK));
  const top = new Set([...payload.keys()].map((k) => k.split('/')[0]!));
  for (const name of top) {
    try {
      await symlink(join(DATA_LINK, name), join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  // Remove names the new payload no longer has, and the previous payload directory.
  for (const name of await readdir(dir)) {
    if (name.startsWith('..')) {
      if (name !== DATA_LINK && name !== stamp && (old === undefined || name === old)) await rm(join(dir, name), { recursive: true, force: true });
      continue;
    }
    if (!top.has(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}
