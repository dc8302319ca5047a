/**
 * Reaching a node's agent on its kubelet port (Kubernetes' ConnectionInfoGetter + the kubelet
 * client transport): the address comes from the Node's status (InternalIP first, as the API
 * server's default preferred address types order), the port from
 * `status.daemonEndpoints.kubeletEndpoint.Port`, and instead of a CA the agent's self-signed
 * serving certificate is pinned by the SHA-256 the agent published on its Node. The API server
 * authenticates with the HMAC bearer derived from the join secret.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Node } from 'kubernetes-types/core/v1.js';
import { StatusError, notFound } from '../../api/errors.js';
import { DEFAULT_KUBELET_PORT, KUBELET_CERT_ANNOTATION, normalizeFingerprint } from '../../api/streams/kubelet-auth.js';

/** How long connecting (TCP + TLS) to an agent may take. */
export const KUBELET_DIAL_TIMEOUT_MS = 10_000;

/** Address types tried in order (the API server's --kubelet-preferred-address-types default). */
const PREFERRED_ADDRESS_TYPES = ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'];
/** Skiff agents publish InternalIP as the address to dial (node-agent contract), so it goes first. */
const SKIFF_ADDRESS_ORDER = ['InternalIP', ...PREFERRED_ADDRESS_TYPES.filter((t) => t !== 'InternalIP')];

export interface KubeletEndpoint {
  nodeName: string;
  host: string;
  port: number;
  /** Lower-case hex SHA-256 of the agent's serving certificate, or undefined when not published. */
  fingerprint: string | undefined;
}

/** The agent endpoint of a node; throws Kubernetes' errors for a missing node or address. */
export function kubeletEndpoint(nodeName: string, node: Node | undefined): KubeletEndpoint {
  if (!node) throw notFound({ group: '', resource: 'nodes' }, nodeName);
  const addresses = node.status?.addresses ?? [];
  let host: string | undefined;
  for (const type of SKIFF_ADDRESS_ORDER) {
    host = addresses.find((a) => a.type === type && a.address)?.address;
    if (host) break;
  }
  if (!host) {
    throw new StatusError(500, '', `no preferred addresses found; known addresses: [${addresses.map((a) => `{${a.type} ${a.address}}`).join(' ')}]`);
  }
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT;
  const annotated = node.metadata?.annotations?.[KUBELET_CERT_ANNOTATION];
  return { nodeName, host, port, fingerprint: annotated ? normalizeFingerprint(annotated) : undefined };
}

/** `host:port`, bracketing IPv6 literals. */
export function endpointAddress(ep: KubeletEndpoint): string {
  return ep.host.includes(':') ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`;
}

/**
 * Opens a TLS connection to the agent and checks its certificate against the pinned
 * fingerprint before anything (the bearer above all) is written on it.
 */
export function dialKubelet(ep: KubeletEndpoint, opts: { timeoutMs?: number; skipVerify?: boolean } = {}): Promise<TLSSocket> {
  if (!ep.fingerprint && !opts.skipVerify) {
    return Promise.reject(
      new StatusError(500, '', `node "${ep.nodeName}" does not publish its kubelet serving certificate (annotation ${KUBELET_CERT_ANNOTATION}): refusing to connect to ${endpointAddress(ep)} unverified`),
    );
  }
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: ep.host, port: ep.port, rejectUnauthorized: false, servername: isIpLiteral(ep.host) ? undefined : ep.host, ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`dial tcp ${endpointAddress(ep)}: i/o timeout`));
    }, opts.timeoutMs ?? KUBELET_DIAL_TIMEOUT_MS);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const got = normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '');
      if (!opts.skipVerify && got !== ep.fingerprint) {
        socket.destroy();
        reject(new Error(`x509: the kubelet serving certificate of node "${ep.nodeName}" does not match the pinned fingerprint (got sha256 ${got}, want ${ep.fingerprint})`));
        return;
      }
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`dial tcp ${endpointAddress(ep)}: ${describeDialError(err)}`));
    });
  });
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

function describeDialError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connect: connection refused';
    case 'EHOSTUNREACH':
      return 'connect: no route to host';
    case 'ENETUNREACH':
      return 'connect: network is unreachable';
    case 'ETIMEDOUT':
      return 'i/o timeout';
    default:
      return err.message;
  }
}
