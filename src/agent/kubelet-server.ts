/**
 * The agent's HTTPS endpoint (kubelet's port 10250 role): the API server reaches it for
 * `pods/log`, exec, attach and port-forward. Every request must carry the API server's bearer —
 * hex HMAC-SHA256(key = join secret, "skiff-apiserver-to-kubelet") — or gets 401. `/healthz` is
 * open. The pod-streams protocol handlers (src/agent/streams) mount on it with `setStreams`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../client/log.js';
import { silentLogger } from '../client/log.js';

/** What the streams engineer's handler implements. */
export interface KubeletStreamsHandler {
  /** Serves `/containerLogs/...` and other plain requests; false = not mine. */
  request(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean>;
  /** Serves WebSocket upgrades (`/exec`, `/attach`, `/portForward`); false = not mine. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Ends every open session (log follows, exec/attach, port-forward): the server is going away. */
  close?(): void;
}

/** The bearer the API server presents to agents (node-agent contract). */
export function apiServerBearer(joinSecret: string): string {
  return createHmac('sha256', joinSecret).update('skiff-apiserver-to-kubelet').digest('hex');
}

function authorized(header: string | undefined, expected: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function unauthorizedBody(): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
}

export interface KubeletServerOptions {
  certPem: string;
  keyPem: string;
  joinSecret: string;
  logger?: Logger;
}

export class KubeletServer {
  private readonly server: Server;
  private streams: KubeletStreamsHandler | undefined;
  private readonly expected: string;
  private readonly logger: Logger;

  constructor(opts: KubeletServerOptions) {
    this.expected = apiServerBearer(opts.joinSecret);
    this.logger = (opts.logger ?? silentLogger).child({ server: 'kubelet' });
    this.server = createServer({ cert: opts.certPem, key: opts.keyPem }, (req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** Mounts the pod-streams handlers. */
  setStreams(handler: KubeletStreamsHandler): void {
    this.streams = handler;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * Stops serving. Open stream sessions end first: an upgraded socket is no longer an HTTP
   * connection, so `closeAllConnections` would not reach it, and a `logs -f` or an exec session
   * would otherwise keep the agent's process alive after it was told to stop.
   */
  async close(): Promise<void> {
    this.streams?.close?.();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      if (!authorized(req.headers.authorization, this.expected)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(unauthorizedBody());
        return;
      }
      if (this.streams && (await this.streams.request(req, res))) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    } catch (err) {
      this.logger.error('kubelet request failed', { url: req.url, error: err });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end();
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!authorized(req.headers.authorization, this.expected)) {
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${unauthorizedBody()}`);
      return;
    }
    if (this.streams?.upgrade(req, socket, head)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  }
}
