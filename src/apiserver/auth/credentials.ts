/**
 * Cluster credentials kept in the data dir: the CA, the serving certificate (re-issued when the
 * names it must cover change or it nears expiry), the admin token and the node join secret.
 * Created on first start, reused afterwards; private files are written 0600, atomically.
 * Servers sharing an etcd get the cluster-wide parts from the datastore instead
 * (./cluster-bootstrap.ts) and install them here with `installCredentials`.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
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

/** Where a data dir keeps its credentials. */
export function credentialPaths(dataDir: string) {
  const tlsDir = join(dataDir, 'tls');
  return {
    tlsDir,
    caCert: join(tlsDir, 'ca.crt'),
    caKey: join(tlsDir, 'ca.key'),
    cert: join(tlsDir, 'serving.crt'),
    key: join(tlsDir, 'serving.key'),
    admin: join(dataDir, 'admin-token'),
    node: join(dataDir, 'node-token'),
  };
}

/** Credentials already in a data dir (any part may be missing). */
export interface LocalCredentials {
  ca?: CertKeyPair;
  adminToken?: string;
  nodeSecret?: string;
}

/** Reads what a data dir holds, without creating anything. */
export async function readLocalCredentials(dataDir: string): Promise<LocalCredentials> {
  const paths = credentialPaths(dataDir);
  const caCert = await readIfExists(paths.caCert);
  const caKey = await readIfExists(paths.caKey);
  const adminToken = (await readIfExists(paths.admin))?.trim();
  const joinToken = (await readIfExists(paths.node))?.trim();
  const nodeSecret = joinToken ? parseJoinToken(joinToken)?.secret : undefined;
  return {
    ...(caCert && caKey ? { ca: { certPem: caCert, keyPem: caKey } } : {}),
    ...(adminToken ? { adminToken } : {}),
    ...(nodeSecret ? { nodeSecret } : {}),
  };
}

/**
 * Writes cluster-wide credentials into a data dir (CA, admin token, join token) and makes sure
 * the serving certificate there is issued by that CA for `names`. Used when the credentials come
 * from elsewhere (the datastore shared by several servers).
 */
export async function installCredentials(
  dataDir: string,
  shared: { ca: CertKeyPair; adminToken: string; nodeSecret: string },
  names: string[],
): Promise<ClusterCredentials> {
  const paths = credentialPaths(dataDir);
  await mkdir(paths.tlsDir, { recursive: true, mode: 0o700 });
  const local = await readLocalCredentials(dataDir);
  if (local.ca?.certPem !== shared.ca.certPem || local.ca?.keyPem !== shared.ca.keyPem) {
    await writeFileAtomic(paths.caKey, shared.ca.keyPem);
    await writeFileAtomic(paths.caCert, shared.ca.certPem, 0o644);
  }
  if (local.adminToken !== shared.adminToken) await writeFileAtomic(paths.admin, shared.adminToken + '\n');
  const nodeJoinToken = formatJoinToken(shared.ca.certPem, shared.nodeSecret);
  if ((await readIfExists(paths.node))?.trim() !== nodeJoinToken) await writeFileAtomic(paths.node, nodeJoinToken + '\n');
  const serving = await ensureServingCert(paths, shared.ca, names);
  return { ca: shared.ca, serving, adminToken: shared.adminToken, nodeSecret: shared.nodeSecret, nodeJoinToken };
}

/** The data dir's serving certificate, (re-)issued when it does not cover `names` or was issued by another CA. */
async function ensureServingCert(paths: ReturnType<typeof credentialPaths>, ca: CertKeyPair, names: string[]): Promise<CertKeyPair> {
  let cert = await readIfExists(paths.cert);
  let key = await readIfExists(paths.key);
  if (!cert || !key || !certCovers(cert, names) || !issuedBy(cert, ca.certPem)) {
    const serving = await generateServingCert(ca, names);
    await writeFileAtomic(paths.key, serving.keyPem);
    await writeFileAtomic(paths.cert, serving.certPem, 0o644);
    cert = serving.certPem;
    key = serving.keyPem;
  }
  return { certPem: cert, keyPem: key };
}

/** Whether `certPem` is signed by the CA in `caPem`. */
function issuedBy(certPem: string, caPem: string): boolean {
  const ca = new X509Certificate(caPem);
  const cert = new X509Certificate(certPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

export async function loadOrCreateCredentials(dataDir: string, bindAddress: string, extraNames: string[] = []): Promise<ClusterCredentials> {
  const paths = credentialPaths(dataDir);
  await mkdir(paths.tlsDir, { recursive: true, mode: 0o700 });
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
