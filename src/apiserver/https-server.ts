/**
 * The HTTPS front end: adapts node:https to the ApiHandler contract. Bodies over the limit are
 * refused with 413 without buffering them; streamed responses (watches, `logs -f`) are flushed
 * chunk by chunk and end when the client goes away (tied to the response, not the request, whose
 * `close` fires as soon as its body has been read). Shutdown stops accepting, lets in-flight
 * requests finish and ends open streams.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ApiHandler, ApiRequest, HttpMethod, UserInfo } from '../api/http.js';
import { isStreamResponse } from '../api/http.js';
import { tooLarge, badRequest } from '../api/errors.js';
import { MAX_BODY_BYTES } from './handlers/body.js';
import { errorResponse } from './handlers/respond.js';

export interface HttpsServerOptions {
  handler: ApiHandler;
  authenticate: (authorization: string | undefined) => UserInfo;
  cert: string;
  key: string;
  log?: (msg: string) => void;
  /** Optional handler for HTTP upgrades (exec/attach/port-forward websockets). */
  onUpgrade?: UpgradeListener;
}

/** Takes over an HTTP upgrade request's connection (pods/exec, attach, portforward). */
export type UpgradeListener = (req: IncomingMessage, socket: Socket, head: Buffer, user: UserInfo) => void;

const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export class HttpsApiServer {
  readonly server: Server;
  private readonly streams = new Set<AbortController>();
  /** Connections handed to onUpgrade: the HTTP server no longer tracks them, so close() ends them. */
  private readonly upgraded = new Set<Socket>();
  private inflight = 0;
  private drained: (() => void) | undefined;

  constructor(private readonly opts: HttpsServerOptions) {
    this.server = createServer({ cert: opts.cert, key: opts.key, keepAliveTimeout: 65_000 }, (req, res) => {
      void this.serve(req, res);
    });
    // Watches and log streams can last for hours; only idle keep-alive sockets time out.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
    this.server.on('tlsClientError', () => {
      /* a client that fails the handshake is not our error */
    });
    if (opts.onUpgrade) {
      this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
        const user = opts.authenticate(req.headers.authorization);
        this.upgraded.add(socket);
        socket.once('close', () => this.upgraded.delete(socket));
        opts.onUpgrade!(req, socket, head, user);
      });
    }
  }

  listen(port: number, host: string): Promise<{ port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        resolve({ port: typeof addr === 'object' && addr ? addr.port : port });
      });
    });
  }

  /** Stops accepting, ends open streams, waits for in-flight requests (bounded). */
  async close(timeoutMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.streams) s.abort();
    for (const s of this.upgraded) s.destroy();
    this.server.closeIdleConnections();
    if (this.inflight > 0) {
      await Promise.race([new Promise<void>((resolve) => (this.drained = resolve)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    this.server.closeAllConnections();
    await closed;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inflight++;
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      if (!METHODS.has(method)) throw badRequest(`unsupported method ${method}`);
      const body = await readBody(req);
      const apiReq: ApiRequest = {
        method: method as HttpMethod,
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers as Record<string, string | undefined>,
        ...(body ? { body } : {}),
        user: this.opts.authenticate(req.headers.authorization),
        signal: abort.signal,
      };
      const out = await this.opts.handler(apiReq);
      if (isStreamResponse(out)) {
        this.streams.add(abort);
        try {
          res.writeHead(out.status, { ...out.headers, 'transfer-encoding': 'chunked' });
          res.flushHeaders();
          for await (const chunk of out.stream) {
            if (abort.signal.aborted) break;
            if (!res.write(chunk)) await waitDrain(res, abort.signal);
          }
        } finally {
          this.streams.delete(abort);
        }
        res.end();
      } else {
        const payload = typeof out.body === 'string' ? Buffer.from(out.body) : out.body;
        res.writeHead(out.status, { ...out.headers, 'content-length': String(payload.byteLength) });
        res.end(method === 'HEAD' ? undefined : payload);
      }
    } catch (err) {
      if (!res.headersSent) {
        const e = errorResponse(err, this.opts.log);
        const payload = Buffer.from(e.body as string);
        res.writeHead(e.status, { ...e.headers, 'content-length': String(payload.byteLength), connection: req.complete ? 'keep-alive' : 'close' });
        res.end(payload);
      } else {
        res.destroy();
      }
    } finally {
      this.inflight--;
      if (this.inflight === 0 && this.drained) this.drained();
    }
  }
}

function waitDrain(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Reads a request body, refusing (413) as soon as it passes the limit. */
function readBody(req: IncomingMessage): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) return drainThenRefuse(req, 0, declared);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        req.off('data', onData);
        drainThenRefuse(req, size, declared).catch(reject);
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!failed) resolve(size === 0 ? undefined : new Uint8Array(Buffer.concat(chunks, size)));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/**
 * Oversized bodies are read and thrown away (up to a bound) before the 413 goes out, so a client
 * that is still sending sees the Status instead of a broken pipe; past the bound the connection is
 * cut.
 */
export const MAX_DRAIN_BYTES = 32 * 1024 * 1024;

function drainThenRefuse(req: IncomingMessage, seen: number, declared: number): Promise<never> {
  return new Promise((_, reject) => {
    const refuse = () => reject(tooLarge(MAX_BODY_BYTES));
    if (declared > MAX_DRAIN_BYTES) {
      req.destroy();
      refuse();
      return;
    }
    let total = seen;
    req.on('data', (c: Buffer) => {
      total += c.length;
      if (total > MAX_DRAIN_BYTES) req.destroy();
    });
    req.once('end', refuse);
    req.once('close', refuse);
    req.resume();
  });
}
