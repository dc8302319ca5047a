/**
 * Cluster credentials shared through the datastore, for several `skiff server`s on one etcd
 * (k3s does the same with its bootstrap data). The first server seals the cluster CA (with its
 * key, so every server can issue its own serving certificate), the admin token and the node
 * join secret under BOOTSTRAP_KEY, encrypted with a key derived from the cluster token
 * (`--token`): scrypt, then AES-256-GCM with the storage key as associated data. The others
 * open it with the same token. A kubeconfig or join token from any server then works against
 * every server: same CA, same tokens.
 *
 * A server whose data dir already holds credentials (a single server moved onto etcd with
 * `skiff datastore migrate`) seeds the datastore with them, so existing kubeconfigs and agents
 * keep working.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyExistsError, type Store } from '../../storage/store.js';
import { generateCA, defaultServingNames, type CertKeyPair } from '../tls/certs.js';
import { installCredentials, readLocalCredentials, writeFileAtomic, type ClusterCredentials } from './credentials.js';

/** The datastore key holding the sealed credentials (outside `/registry/`, so never served). */
export const BOOTSTRAP_KEY = '/skiff/bootstrap';
/** scrypt cost: about 100 ms on a laptop, once per server start. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;

/** What every server of a cluster shares. */
export interface BootstrapSecrets {
  ca: CertKeyPair;
  adminToken: string;
  nodeSecret: string;
}

interface SealedEnvelope {
  v: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  iv: string;
  tag: string;
  data: string;
}

/** The cluster token does not open the sealed credentials. */
export class BootstrapTokenError extends Error {
  constructor() {
    super(`the cluster credentials in the datastore (${BOOTSTRAP_KEY}) were sealed with a different token: start this server with the cluster's --token`);
    this.name = 'BootstrapTokenError';
  }
}

function deriveKey(token: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => scryptCb(token, salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Encrypts the secrets with a key derived from `token`. */
export async function sealBootstrap(secrets: BootstrapSecrets, token: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(token, salt, SCRYPT_PARAMS);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(BOOTSTRAP_KEY));
  const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  const env: SealedEnvelope = {
    v: 1,
    kdf: 'scrypt',
    ...SCRYPT_PARAMS,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(env);
}

/** Decrypts sealed secrets; BootstrapTokenError when the token is not the one they were sealed with. */
export async function openBootstrap(sealed: string, token: string): Promise<BootstrapSecrets> {
  let env: SealedEnvelope;
  try {
    env = JSON.parse(sealed) as SealedEnvelope;
  } catch {
    throw new Error(`the datastore's ${BOOTSTRAP_KEY} is not sealed cluster credentials`);
  }
  if (env.v !== 1 || env.kdf !== 'scrypt') throw new Error(`the datastore's ${BOOTSTRAP_KEY} has an unknown format (version ${String(env.v)}): is this server older than the others?`);
  const key = await deriveKey(token, Buffer.from(env.salt, 'base64'), { N: env.N, r: env.r, p: env.p });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(env.iv, 'base64'));
  decipher.setAAD(Buffer.from(BOOTSTRAP_KEY));
  decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
  let plain: string;
  try {
    plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new BootstrapTokenError();
  }
  return JSON.parse(plain) as BootstrapSecrets;
}

/**
 * The cluster token: `flag` if given, else `<data-dir>/token`; with neither, a new random one
 * written there (the first server of a cluster; give it to the others with --token).
 */
export async function resolveClusterToken(dataDir: string, flag: string | undefined): Promise<{ token: string; generated: boolean; path: string }> {
  const path = join(dataDir, 'token');
  if (flag !== undefined) {
    if (flag.trim() === '') throw new Error('--token must not be empty');
    return { token: flag.trim(), generated: false, path };
  }
  try {
    const saved = (await readFile(path, 'utf8')).trim();
    if (saved) return { token: saved, generated: false, path };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(24).toString('hex');
  await writeFileAtomic(path, token + '\n');
  return { token, generated: true, path };
}

export interface SharedCredentialsOptions {
  store: Store;
  token: string;
  dataDir: string;
  bindAddress: string;
  extraNames?: string[];
}

/**
 * Loads the cluster credentials from the datastore, sealing new ones there first if this is
 * the first server; installs them in the data dir with a serving certificate of this server's
 * own, issued by the shared CA for its names.
 */
export async function loadOrBootstrapSharedCredentials(opts: SharedCredentialsOptions): Promise<ClusterCredentials & { bootstrapped: boolean }> {
  let bootstrapped = false;
  let secrets: BootstrapSecrets;
  const existing = await opts.store.get(BOOTSTRAP_KEY);
  if (existing) {
    secrets = await openBootstrap(existing.value, opts.token);
  } else {
    const local = await readLocalCredentials(opts.dataDir);
    const fresh: BootstrapSecrets = {
      ca: local.ca ?? (await generateCA()),
      adminToken: local.adminToken ?? randomBytes(24).toString('hex'),
      nodeSecret: local.nodeSecret ?? randomBytes(16).toString('hex'),
    };
    try {
      await opts.store.create(BOOTSTRAP_KEY, await sealBootstrap(fresh, opts.token));
      secrets = fresh;
      bootstrapped = true;
    } catch (err) {
      // Another server bootstrapped the cluster at the same moment: use its credentials.
      if (!(err instanceof KeyExistsError)) throw err;
      const won = await opts.store.get(BOOTSTRAP_KEY);
      if (!won) throw new Error(`${BOOTSTRAP_KEY} was created and deleted while starting; start again`);
      secrets = await openBootstrap(won.value, opts.token);
    }
  }
  const creds = await installCredentials(opts.dataDir, secrets, defaultServingNames(opts.bindAddress, opts.extraNames ?? []));
  return { ...creds, bootstrapped };
}
