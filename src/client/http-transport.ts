/**
 * The HTTPS transport: node:https with a keep-alive connection pool, the cluster CA pinned (or
 * verification disabled on request), bearer-token or client-certificate authentication, request
 * timeouts and AbortSignal cancellation. Streamed responses (watch, `log?follow`) are handed up
 * chunk by chunk as they arrive.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { BufferedResponse, StreamedResponse, Transport, TransportRequest } from './transport.js';
import { TransportError } from './transport.js';

/** Default timeout for non-streamed requests. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Connections kept per host (client-go's default transport allows 25 idle per host). */
export const DEFAULT_MAX_SOCKETS = 64;

export interface HttpTransportOptions {
  /** `https://host:port` (or `http://` for tests and local sockets), optionally with a path prefix. */
  server: string;
  /** PEM of the CA that signed the server's certificate; pinned instead of the system roots. */
  caData?: string | Uint8Array;
  /** PEM client certificate and key, for certificate authentication. */
  certData?: string | Uint8Array;
  keyData?: string | Uint8Array;
  /** Bearer token, or a function returning the current one (rotated tokens). */
  token?: string | (() => string);
  /** Skip server certificate verification (kubeconfig's insecure-skip-tls-verify). */
  insecureSkipTLSVerify?: boolean;
  /** Name to verify the server certificate against, when it differs from the URL host. */
  tlsServerName?: string;
  userAgent?: string;
  /** Timeout for buffered requests. Default DEFAULT_REQUEST_TIMEOUT_MS; 0 disables. */
  timeoutMs?: number;
  maxSockets?: number;
}

/** Error codes raised before the request could reach the server: always safe to retry. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Creates a transport that talks HTTP(S) to `opts.server`. */
export function httpTransport(opts: HttpTransportOptions): Transport {
  return new HttpTransport(opts);
}

class HttpTransport implements Transport {
  readonly description: string;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly secure: boolean;
  private readonly basePath: string;

  constructor(private readonly opts: HttpTransportOptions) {
    this.url = new URL(opts.server);
    this.secure = this.url.protocol === 'https:';
    if (!this.secure && this.url.protocol !== 'http:') throw new Error(`unsupported server URL ${opts.server}: expected https:// or http://`);
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.description = `${this.url.protocol}//${this.url.host}${this.basePath}`;
    const maxSockets = opts.maxSockets ?? DEFAULT_MAX_SOCKETS;
    this.agent = this.secure
      ? new https.Agent({
          keepAlive: true,
          maxSockets,
          ...(opts.caData ? { ca: toBuffer(opts.caData) } : {}),
          ...(opts.certData ? { cert: toBuffer(opts.certData) } : {}),
          ...(opts.keyData ? { key: toBuffer(opts.keyData) } : {}),
          rejectUnauthorized: !opts.insecureSkipTLSVerify,
          ...(opts.tlsServerName ? { servername: opts.tlsServerName } : {}),
        })
      : new http.Agent({ keepAlive: true, maxSockets });
  }

  request(req: TransportRequest & { stream?: false }): Promise<BufferedResponse>;
  request(req: TransportRequest & { stream: true }): Promise<StreamedResponse>;
  request(req: TransportRequest): Promise<BufferedResponse | StreamedResponse>;
  request(req: TransportRequest): Promise<BufferedResponse | StreamedResponse> {
    const what = `${req.method} ${this.description}${req.path}`;
    if (req.signal?.aborted) return Promise.reject(req.signal.reason);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'application/json', ...lowerKeys(req.headers) };
      if (this.opts.userAgent && !headers['user-agent']) headers['user-agent'] = this.opts.userAgent;
      const token = typeof this.opts.token === 'function' ? this.opts.token() : this.opts.token;
      if (token) headers['authorization'] = `Bearer ${token}`;
      const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
      if (body) headers['content-length'] = String(body.byteLength);
      const query = req.query?.toString();
      const path = `${this.basePath}${req.path}${query ? `?${query}` : ''}`;

      const mod = this.secure ? https : http;
      const clientReq = mod.request({
        protocol: this.url.protocol,
        hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
        port: this.url.port || (this.secure ? 443 : 80),
        method: req.method,
        path,
        headers,
        agent: this.agent,
      });

      // Whether the connection was established (the request may have reached the server).
      let connected = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(err);
      };
      const onAbort = (): void => {
        clientReq.destroy();
        fail(req.signal?.reason);
      };
      req.signal?.addEventListener('abort', onAbort, { once: true });
      if (!req.stream) {
        const timeoutMs = req.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
        if (timeoutMs > 0) {
          timer = setTimeout(() => {
            clientReq.destroy();
            fail(new TransportError(`${what}: no response within ${timeoutMs}ms`, 'ETIMEDOUT', connected));
          }, timeoutMs);
        }
      }

      clientReq.on('socket', (socket: Socket) => {
        if (!socket.connecting) connected = true;
        else socket.once(this.secure ? 'secureConnect' : 'connect', () => (connected = true));
      });
      clientReq.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'EUNKNOWN';
        fail(new TransportError(`${what}: ${err.message}`, code, connected && !NOT_SENT_CODES.has(code), err));
      });
      clientReq.on('response', (res: http.IncomingMessage) => {
        const resHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
        const status = res.statusCode ?? 0;
        if (req.stream) {
          if (settled) return;
          settled = true;
          // The abort listener stays: aborting the signal ends the stream (destroys the socket).
          if (timer) clearTimeout(timer);
          resolve({ status, headers: resHeaders, body: streamBody(res, what, req.signal) });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err: NodeJS.ErrnoException) => fail(new TransportError(`${what}: ${err.message}`, err.code ?? 'ECONNRESET', true, err)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          cleanup();
          resolve({ status, headers: resHeaders, body: Buffer.concat(chunks) });
        });
      });
      clientReq.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Yields response chunks; a connection error mid-stream becomes a TransportError, an abort just ends it. */
async function* streamBody(res: http.IncomingMessage, what: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res) yield chunk as Buffer;
  } catch (err) {
    if (signal?.aborted) return;
    const e = err as NodeJS.ErrnoException;
    throw new TransportError(`${what}: stream ended: ${e.message}`, e.code ?? 'ECONNRESET', true, err);
  } finally {
    res.destroy();
  }
}

function toBuffer(v: string | Uint8Array): Buffer {
  return typeof v === 'string' ? Buffer.from(v) : Buffer.from(v);
}

function lowerKeys(h: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h) for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
