/**
 * The cluster CA and the API server's serving certificate. ECDSA P-256 keys (fast to generate,
 * accepted by Go's TLS stack that kubectl uses). Generated once, on first start, into the data dir.
 */
import { webcrypto, createHash, X509Certificate } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { hostname } from 'node:os';
import { isIP } from 'node:net';

export interface CertKeyPair {
  certPem: string;
  keyPem: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;
const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

// @peculiar/x509 needs a Reflect polyfill and pulls in ASN.1 modules; load it only when
// certificates are actually generated (first start), so normal start-up stays fast.
async function loadX509() {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  return x509;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function serial(): string {
  // Positive, non-zero, 16 bytes of randomness.
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x01;
  return Buffer.from(b).toString('hex');
}

/** Creates a self-signed cluster CA. */
export async function generateCA(commonName = 'skiff-ca'): Promise<CertKeyPair> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + TEN_YEARS_MS),
    keys: keys as CryptoKeyPair,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as CryptoKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as CryptoKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: toPem('PRIVATE KEY', pkcs8) };
}

/** Subject alternative names the serving certificate covers. */
export function defaultServingNames(bindAddress: string, extra: string[] = []): string[] {
  const names = new Set<string>(['localhost', '127.0.0.1', '::1', hostname(), 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc']);
  if (bindAddress && bindAddress !== '0.0.0.0' && bindAddress !== '::') names.add(bindAddress);
  for (const n of extra) if (n) names.add(n);
  return [...names];
}

/** Issues a TLS serving certificate signed by the CA for the given DNS names and IPs. */
export async function generateServingCert(ca: CertKeyPair, names: string[], commonName = 'skiff-apiserver'): Promise<CertKeyPair> {
  const x509 = await loadX509();
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(ca.keyPem), ALG, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const sans = names.map((n) => (isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + ONE_YEAR_MS),
    signingKey: caKey,
    publicKey: keys.publicKey as CryptoKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(sans, false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as CryptoKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: toPem('PRIVATE KEY', pkcs8) };
}

function pemBody(pem: string): ArrayBuffer {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const buf = Buffer.from(b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

/** SHA-256 of the CA certificate's DER, hex: pinned in node join tokens. */
export function caFingerprint(caPem: string): string {
  const der = new X509Certificate(caPem).raw;
  return createHash('sha256').update(der).digest('hex');
}

/** Whether a certificate still covers all names and is not about to expire (30 days). */
export function certCovers(certPem: string, names: string[]): boolean {
  const cert = new X509Certificate(certPem);
  if (Date.parse(cert.validTo) - Date.now() < 30 * 24 * 3600 * 1000) return false;
  const san = cert.subjectAltName ?? '';
  return names.every((n) => (isIP(n) ? san.includes(`IP Address:${n}`) || san.includes(`IP Address:${expandV6(n)}`) : san.includes(`DNS:${n}`)));
}

function expandV6(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  // Node prints IPv6 SANs fully expanded in upper-case hex groups without leading zeros.
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16).toUpperCase()).join(':');
}
