/**
 * How the API server and node agents trust each other on the kubelet port (the node-agent
 * contract): the agent serves a self-signed certificate whose SHA-256 it publishes on its Node
 * (the API server pins it), and the API server proves itself with a bearer derived from the
 * cluster's join secret, which only the control plane and joined agents know.
 */
import { createHash, createHmac, timingSafeEqual, X509Certificate } from 'node:crypto';

/** Node annotation carrying the SHA-256 (hex) of the agent's serving certificate (DER). */
export const KUBELET_CERT_ANNOTATION = 'skiff.dev/kubelet-serving-cert-sha256';

/** The HMAC message the API server's kubelet bearer is computed over. */
export const KUBELET_BEARER_CONTEXT = 'skiff-apiserver-to-kubelet';

/** Default kubelet port (the kubelet's 10250 role). */
export const DEFAULT_KUBELET_PORT = 10250;

/** The bearer token the API server sends to agents: hex HMAC-SHA256(join secret, context). */
export function kubeletBearerToken(joinSecret: string): string {
  return createHmac('sha256', joinSecret).update(KUBELET_BEARER_CONTEXT).digest('hex');
}

/** Whether an `Authorization` header carries the expected kubelet bearer (constant time). */
export function isKubeletBearer(authorization: string | undefined, expectedToken: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return false;
  const got = Buffer.from(m[1]!);
  const want = Buffer.from(expectedToken);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** SHA-256 (lower-case hex) of a certificate's DER encoding, from PEM or DER. */
export function certificateSha256(cert: string | Uint8Array): string {
  const der = typeof cert === 'string' ? new X509Certificate(cert).raw : cert;
  return createHash('sha256').update(der).digest('hex');
}

/** Normalises a fingerprint (`AB:CD:…` or hex) to lower-case hex without separators. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').trim().toLowerCase();
}
