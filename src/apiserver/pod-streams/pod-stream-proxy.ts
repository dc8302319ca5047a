/**
 * The API server's `PodStreamProvider`: serves pods/log by streaming from the pod's agent, and
 * pods/exec, attach and portforward by proxying the client's protocol upgrade to it. Upgrade
 * requests arrive through the HTTPS front end's `onUpgrade` hook and go through the ordinary
 * request handler (authentication, authorization, routing, pod lookup, errors) like any other
 * request; the provider finds the raw connection of such a request and takes it over.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ApiHandler, ApiRequest, ApiResponse, HttpMethod, UserInfo } from '../../api/http.js';
import { isStreamResponse } from '../../api/http.js';
import { badRequest } from '../../api/errors.js';
import type { StoredObject } from '../../api/object.js';
import type { PodStreamProvider } from '../handlers/subresources.js';
import type { UpgradeListener } from '../https-server.js';
import type { Registry } from '../registry/registry.js';
import { findResource } from '../../api/resources.js';
import { errorResponse } from '../handlers/respond.js';
import { proxyPodLog } from './log-proxy.js';
import { proxyUpgrade, type UpgradeContext } from './upgrade-proxy.js';

export interface PodStreamProxyOptions {
  /** The cluster's node join secret (the kubelet bearer is derived from it). */
  joinSecret: string;
  /** The Node object of a node name; default: from the registry given to `useRegistry`. */
  node?(name: string): Node | undefined;
  dialTimeoutMs?: number;
  log?: (msg: string) => void;
}

export class PodStreamProxy implements PodStreamProvider {
  private readonly upgrades = new WeakMap<ApiRequest, UpgradeContext>();
  private readonly open = new Set<Duplex>();

  private nodeOf: (name: string) => Node | undefined;

  constructor(private readonly opts: PodStreamProxyOptions) {
    this.nodeOf = opts.node ?? (() => undefined);
  }

  /** Reads Node objects from the API server's cache (once the registry exists). */
  useRegistry(registry: Registry): void {
    const info = findResource('', 'v1', 'nodes')!;
    this.nodeOf = (name) => registry.peek(info, '', name)?.obj as Node | undefined;
  }

  private get deps() {
    return { joinSecret: this.opts.joinSecret, node: (name: string) => this.nodeOf(name), ...(this.opts.dialTimeoutMs ? { dialTimeoutMs: this.opts.dialTimeoutMs } : {}) };
  }

  async handle(req: ApiRequest, obj: StoredObject, subresource: 'log' | 'exec' | 'attach' | 'portforward'): Promise<ApiResponse> {
    const pod = obj as unknown as Pod;
    if (subresource === 'log') return proxyPodLog(this.deps, req, pod);
    const ctx = this.upgrades.get(req);
    // Kubernetes answers a plain (non-upgrade) request to a streaming subresource with 400.
    if (!ctx) throw badRequest('Upgrade request required');
    await proxyUpgrade({ ...this.deps, track: (a, b) => this.track(a, b) }, ctx, req, pod, subresource);
    return { status: 101, headers: {}, body: '' };
  }

  /** The HTTPS front end's upgrade listener: runs the request through `handler`. */
  upgradeHandler(handler: ApiHandler): UpgradeListener {
    return (req: IncomingMessage, socket: Socket, head: Buffer, user: UserInfo) => {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const abort = new AbortController();
      socket.once('close', () => abort.abort());
      socket.on('error', () => socket.destroy());
      const apiReq: ApiRequest = {
        method: (req.method ?? 'GET').toUpperCase() as HttpMethod,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers as Record<string, string | undefined>,
        user,
        signal: abort.signal,
      };
      const ctx: UpgradeContext = { req, socket, head, taken: false };
      this.upgrades.set(apiReq, ctx);
      handler(apiReq).then(
        (res) => {
          if (!ctx.taken) writeResponse(socket, res);
        },
        (err: unknown) => {
          if (!ctx.taken) writeResponse(socket, errorResponse(err, this.opts.log));
        },
      );
    };
  }

  /** Ends every proxied connection (server shutdown). */
  close(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  private track(a: Duplex, b: Duplex): void {
    for (const s of [a, b]) {
      this.open.add(s);
      s.once('close', () => this.open.delete(s));
    }
  }
}

/** Answers an upgrade request that was not upgraded with an ordinary response, then closes. */
function writeResponse(socket: Duplex, res: ApiResponse): void {
  if (socket.destroyed) return;
  if (isStreamResponse(res)) {
    // Watches and log streams are not served on upgrade requests.
    writeResponse(socket, errorResponse(badRequest('this request cannot be served on an upgraded connection')));
    return;
  }
  const body = typeof res.body === 'string' ? Buffer.from(res.body) : Buffer.from(res.body);
  const head = [`HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? 'Error'}`, ...Object.entries(res.headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${body.length}`, 'connection: close'];
  socket.end(Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n'), body]));
}
