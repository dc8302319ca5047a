/**
 * The agent's self-signed serving certificate for its kubelet port. The API server does not
 * verify it against a CA: it pins its SHA-256, which the agent publishes on its Node
 * (`skiff.dev/kubelet-serving-cert-sha256`). Kept in `<node-dir>/tls/` so the fingerprint stays
 * the same across restarts; ECDSA P-256, ten years.
 */
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface ServingCert {
  certPem: string;
  keyPem: string;
  /** SHA-256 (hex) of the certificate's DER. */
  sha256: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function fingerprint(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

async function write(path: string, data: string, mode: number): Promise<void> {
  await writeFile(`${path}.tmp`, data, { mode });
  await rename(`${path}.tmp`, path);
}

/** Loads the node's serving certificate, creating it on first start. */
export async function loadOrCreateServingCert(nodeDir: string, nodeName: string, names: string[]): Promise<ServingCert> {
  const dir = join(nodeDir, 'tls');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certPath = join(dir, 'kubelet.crt');
  const keyPath = join(dir, 'kubelet.key');
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const cert = new X509Certificate(certPem);
    const covers = names.every((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n)) !== undefined);
    if (covers && Date.parse(cert.validTo) > Date.now() + 30 * 86_400_000) return { certPem, keyPem, sha256: fingerprint(certPem) };
  } catch {
    // none yet, or unreadable: make a new one
  }
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${nodeName}@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 10 * 365 * 86_400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }))),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const b64 = Buffer.from(pkcs8).toString('base64').match(/.{1,64}/g)!.join('\n');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
  const certPem = cert.toString('pem') + '\n';
  await write(keyPath, keyPem, 0o600);
  await write(certPath, certPem, 0o644);
  return { certPem, keyPem, sha256: fingerprint(certPem) };
}
