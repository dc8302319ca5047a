/**
 * exec, attach and port-forward through the API server: Kubernetes' UpgradeAwareHandler. The
 * client's upgrade request (WebSocket from kubectl ≥ 1.30, SPDY/3.1 before) is re-sent to the
 * agent's kubelet endpoint with the upgrade headers kept and the API server's own credentials;
 * if the agent switches protocols its 101 goes back to the client and from then on bytes are
 * copied both ways untouched, so every protocol version kubectl and the agent share works end
 * to end. An agent that refuses answers the client with its own status and body.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Pod, Node } from 'kubernetes-types/core/v1.js';
import type { ApiRequest } from '../../api/http.js';
import { StatusError, badRequest } from '../../api/errors.js';
import { kubeletBearerToken } from '../../api/streams/kubelet-auth.js';
import { dialKubelet, endpointAddress, kubeletEndpoint } from './kubelet-dialer.js';
import { requireNode, validateContainer } from './pod-target.js';

/** The raw connection behind an upgrade request, handed over by the HTTPS front end. */
export interface UpgradeContext {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  /** Set once the connection has been taken over (the response is already on the wire). */
  taken: boolean;
}

export interface UpgradeProxyDeps {
  joinSecret: string;
  node(name: string): Node | undefined;
  dialTimeoutMs?: number;
  /** Registers a proxied connection pair so shutdown can end it. */
  track?(a: Duplex, b: Duplex): void;
}

/** Request headers that carry the upgrade negotiation end to end. */
const FORWARDED_HEADERS = ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'x-stream-protocol-version', 'user-agent'];

/** The kubelet URL of a streaming subresource (streamLocation / PortForwardLocation). */
export function kubeletStreamPath(pod: Pod, sub: 'exec' | 'attach' | 'portforward', query: URLSearchParams): string {
  const ns = encodeURIComponent(pod.metadata?.namespace ?? '');
  const name = encodeURIComponent(pod.metadata?.name ?? '');
  const params = new URLSearchParams();
  const on = (n: string) => ['true', '1'].includes(query.get(n) ?? '');
  if (sub === 'portforward') {
    const ports = query.getAll('ports').flatMap((p) => p.split(',')).filter(Boolean);
    if (ports.length) params.set('port', ports.join(','));
    const qs = params.toString();
    return `/portForward/${ns}/${name}${qs ? `?${qs}` : ''}`;
  }
  const container = validateContainer(query.get('container') ?? '', pod);
  // streamParams: the kubelet's flags are "1".
  for (const f of ['stdin', 'stdout', 'stderr', 'tty']) if (on(f)) params.append(f, '1');
  if (sub === 'exec') for (const c of query.getAll('command')) params.append('command', c);
  return `/${sub}/${ns}/${name}/${encodeURIComponent(container)}?${params.toString()}`;
}

/**
 * Proxies one upgrade to the pod's agent. Resolves once the client connection has been handed
 * the agent's answer; throws a StatusError (before anything was written) when the target cannot
 * be reached.
 */
export async function proxyUpgrade(deps: UpgradeProxyDeps, ctx: UpgradeContext, apiReq: ApiRequest, pod: Pod, sub: 'exec' | 'attach' | 'portforward'): Promise<void> {
  if (sub === 'exec' && apiReq.query.getAll('command').length === 0) throw badRequest('you must specify at least one command for the container');
  const path = kubeletStreamPath(pod, sub, apiReq.query);
  const nodeName = requireNode(pod);
  const ep = kubeletEndpoint(nodeName, deps.node(nodeName));
  let upstream: Socket;
  try {
    upstream = await dialKubelet(ep, deps.dialTimeoutMs ? { timeoutMs: deps.dialTimeoutMs } : {});
  } catch (err) {
    if (err instanceof StatusError) throw err;
    throw new StatusError(500, '', `error dialing backend: ${(err as Error).message}`);
  }
  const headers: Record<string, string> = {};
  for (const h of FORWARDED_HEADERS) {
    const v = ctx.req.headers[h];
    if (v !== undefined) headers[h] = Array.isArray(v) ? v.join(', ') : v;
  }
  headers.host = endpointAddress(ep);
  headers.authorization = `Bearer ${kubeletBearerToken(deps.joinSecret)}`;
  if (apiReq.method === 'POST') headers['content-length'] = '0';

  await new Promise<void>((resolve, reject) => {
    const r = httpRequest({ method: apiReq.method, path, headers, createConnection: () => upstream });
    r.once('upgrade', (res: IncomingMessage, agentSocket: Duplex, agentHead: Buffer) => {
      ctx.taken = true;
      writeHead(ctx.socket, res);
      if (agentHead.length) ctx.socket.write(agentHead);
      if (ctx.head.length) agentSocket.write(ctx.head);
      splice(ctx.socket, agentSocket);
      deps.track?.(ctx.socket, agentSocket);
      resolve();
    });
    r.once('response', (res: IncomingMessage) => {
      // The agent did not switch protocols: its answer is the client's answer.
      ctx.taken = true;
      writeHead(ctx.socket, res, true);
      res.pipe(ctx.socket);
      res.once('error', () => ctx.socket.destroy());
      resolve();
    });
    r.once('error', (err) => {
      if (ctx.taken) {
        ctx.socket.destroy();
        resolve();
      } else {
        upstream.destroy();
        reject(new StatusError(500, '', `error dialing backend: ${err.message}`));
      }
    });
    r.end();
  });
}

/** Writes a response head received from the agent to the client, as received. */
function writeHead(socket: Duplex, res: IncomingMessage, close = false): void {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!;
    const lower = name.toLowerCase();
    // A refused upgrade is answered on a connection we close: say so, and drop hop-by-hop framing.
    if (close && (lower === 'connection' || lower === 'keep-alive' || lower === 'transfer-encoding')) continue;
    lines.push(`${name}: ${res.rawHeaders[i + 1]!}`);
  }
  if (close) lines.push('Connection: close');
  socket.write(lines.join('\r\n') + '\r\n\r\n');
}

/** Copies bytes both ways until either side ends; then both are closed. */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const close = () => {
    a.unpipe(b);
    b.unpipe(a);
    if (!a.destroyed) a.end();
    if (!b.destroyed) b.end();
    // Give the FINs a moment, then make sure nothing lingers.
    setTimeout(() => {
      a.destroy();
      b.destroy();
    }, 1_000).unref();
  };
  a.once('close', close);
  b.once('close', close);
  a.on('error', () => a.destroy());
  b.on('error', () => b.destroy());
}
