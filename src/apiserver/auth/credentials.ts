/**
 * Cluster credentials kept in the data dir: the CA, the serving certificate (re-issued when the
 * names it must cover change or it nears expiry), the admin token and the node join secret.
 * Created on first start, reused afterwards; private files are written 0600, atomically.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { caFingerprint, certCovers, defaultServingNames, generateCA, generateServingCert, type CertKeyPair } from '../tls/certs.js';

export interface ClusterCredentials {
  ca: CertKeyPair;
  serving: CertKeyPair;
  adminToken: string;
  nodeSecret: string;
  /** `SK1.<sha256 of the CA>.<secret>`: what agents are given to join (pins the CA). */
  nodeJoinToken: string;
}

/** Writes a file atomically (temp file + rename) with the given mode. */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function formatJoinToken(caPem: string, secret: string): string {
  return `SK1.${caFingerprint(caPem)}.${secret}`;
}

/** Splits a join token into the CA fingerprint and the secret; undefined if malformed. */
export function parseJoinToken(token: string): { caHash: string; secret: string } | undefined {
  const m = /^SK1\.([0-9a-f]{64})\.([0-9a-f]{32,})$/.exec(token.trim());
  return m ? { caHash: m[1]!, secret: m[2]! } : undefined;
}

export async function loadOrCreateCredentials(dataDir: string, bindAddress: string, extraNames: string[] = []): Promise<ClusterCredentials> {
  const tlsDir = join(dataDir, 'tls');
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const paths = {
    caCert: join(tlsDir, 'ca.crt'),
    caKey: join(tlsDir, 'ca.key'),
    cert: join(tlsDir, 'serving.crt'),
    key: join(tlsDir, 'serving.key'),
    admin: join(dataDir, 'admin-token'),
    node: join(dataDir, 'node-token'),
  };
  let caCert = await readIfExists(paths.caCert);
  let caKey = await readIfExists(paths.caKey);
  if (!caCert || !caKey) {
    const ca = await generateCA();
    await writeFileAtomic(paths.caKey, ca.keyPem);
    await writeFileAtomic(paths.caCert, ca.certPem, 0o644);
    caCert = ca.certPem;
    caKey = ca.keyPem;
  }
  const ca = { certPem: caCert, keyPem: caKey };
  const names = defaultServingNames(bindAddress, extraNames);
  let cert = await readIfExists(paths.cert);
  let key = await readIfExists(paths.key);
  if (!cert || !key || !certCovers(cert, names)) {
    const serving = await generateServingCert(ca, names);
    await writeFileAtomic(paths.key, serving.keyPem);
    await writeFileAtomic(paths.cert, serving.certPem, 0o644);
    cert = serving.certPem;
    key = serving.keyPem;
  }
  let adminToken = (await readIfExists(paths.admin))?.trim();
  if (!adminToken) {
    adminToken = randomBytes(24).toString('hex');
    await writeFileAtomic(paths.admin, adminToken + '\n');
  }
  let nodeJoinToken = (await readIfExists(paths.node))?.trim();
  let parsed = nodeJoinToken ? parseJoinToken(nodeJoinToken) : undefined;
  if (!nodeJoinToken || !parsed || parsed.caHash !== caFingerprint(caCert)) {
    const secret = parsed?.secret ?? randomBytes(16).toString('hex');
    nodeJoinToken = formatJoinToken(caCert, secret);
    await writeFileAtomic(paths.node, nodeJoinToken + '\n');
    parsed = parseJoinToken(nodeJoinToken)!;
  }
  return { ca, serving: { certPem: cert, keyPem: key }, adminToken, nodeSecret: parsed.secret, nodeJoinToken };
}
