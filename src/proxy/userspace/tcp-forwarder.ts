/**
 * One TCP listener of the userspace proxy (kube-proxy's userspace proxier, `proxysocket.go`):
 * every accepted connection is paired with a connection to an endpoint the balancer picks, and
 * bytes are copied both ways until both sides have finished. Half-closes pass through (a client
 * that shuts down its sending side still gets the answer), as io.Copy in each direction does.
 *
 * A connection to an endpoint that fails or does not answer in time moves on to the next
 * candidate with a longer timeout (250 ms, 500 ms, 1 s, 2 s — kube-proxy's EndpointDialTimeouts),
 * dropping the client's affinity pin; when all fail the client is reset.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../client/log.js';
import type { ProxyEndpoint } from '../service-model.js';
import type { EndpointBalancer } from './balancer.js';

/** Connect timeouts for successive endpoint attempts (kube-proxy's EndpointDialTimeouts). */
export const ENDPOINT_DIAL_TIMEOUTS_MS = [250, 500, 1000, 2000];

export class TcpForwarder {
  private server: Server | undefined;
  private readonly conns = new Set<Socket>();
  /** Connections accepted (figures). */
  accepted = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly balancer: () => EndpointBalancer | undefined,
    private readonly logger: Logger,
  ) {}

  get listening(): boolean {
    return !!this.server;
  }

  /** Starts accepting; rejects with the bind error (EADDRINUSE, EADDRNOTAVAIL, EACCES). */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (c) => this.accept(c));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.warn('proxy listener error', { listener: `${this.host}:${this.port}/tcp`, error: err }));
    this.server = server;
  }

  /**
   * Stops accepting: new connections are refused by the kernel (no listener), connections in
   * flight carry on, as kube-proxy leaves established connections alone when a service goes.
   */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Closes the listener and every connection (proxy shutdown). */
  async destroy(): Promise<void> {
    const closing = this.close();
    for (const c of this.conns) c.destroy();
    await closing;
  }

  private accept(client: Socket): void {
    this.accepted++;
    this.conns.add(client);
    client.once('close', () => this.conns.delete(client));
    client.on('error', () => undefined);
    const clientIP = client.remoteAddress ?? '';
    const balancer = this.balancer();
    const tried = new Set<string>();
    const attempt = (n: number): void => {
      if (client.destroyed) return;
      const candidates = (balancer?.candidates(clientIP, n > 0) ?? []).filter((e) => !tried.has(`${e.ip}:${e.port}`));
      const ep = candidates[0];
      const timeout = ENDPOINT_DIAL_TIMEOUTS_MS[n];
      if (!ep || timeout === undefined) {
        // Nothing to reach: the client sees a reset rather than a half-open connection.
        client.resetAndDestroy();
        return;
      }
      tried.add(`${ep.ip}:${ep.port}`);
      this.dial(ep, timeout).then(
        (upstream) => {
          if (client.destroyed) return void upstream.destroy();
          balancer?.connected(clientIP, ep);
          this.splice(client, upstream);
        },
        () => attempt(n + 1),
      );
    };
    attempt(0);
  }

  private dial(ep: ProxyEndpoint, timeoutMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: ep.ip, port: ep.port, allowHalfOpen: true, noDelay: true });
      const timer = setTimeout(() => s.destroy(new Error(`dial ${ep.ip}:${ep.port}: i/o timeout`)), timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.off('error', onError);
        resolve(s);
      });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      s.once('error', onError);
    });
  }

  /** Copies both ways; either side failing tears down both. */
  private splice(client: Socket, upstream: Socket): void {
    this.conns.add(upstream);
    const fail = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', fail);
    client.on('error', fail);
    upstream.once('close', () => {
      this.conns.delete(upstream);
      // The endpoint went away with the client still sending: nothing will answer any more.
      if (!client.writableEnded) client.destroy();
    });
    client.once('close', () => {
      if (!upstream.writableEnded) upstream.destroy();
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
