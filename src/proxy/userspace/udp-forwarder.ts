/**
 * One UDP listener of the userspace proxy (kube-proxy's userspace `udpProxySocket`): datagrams
 * from a client address:port are relayed to one endpoint through a socket of their own (a
 * "session", so the endpoint's answers can be told apart and sent back to that client from the
 * service address), kept while traffic flows and closed after `UDP_IDLE_MS` without any. DNS
 * queries, one source port each, get a session each.
 */
import { createSocket, type Socket as UdpSocket, type RemoteInfo } from 'node:dgram';
import type { Logger } from '../../client/log.js';
import type { EndpointBalancer } from './balancer.js';

/** A session with no datagram either way for this long is closed. */
export const UDP_IDLE_MS = 10_000;
/** At most this many sessions per listener; the least recently used goes first. */
export const MAX_UDP_SESSIONS = 4096;

interface Session {
  sock: UdpSocket;
  endpoint: { ip: string; port: number };
  timer: NodeJS.Timeout;
}

export class UdpForwarder {
  private socket: UdpSocket | undefined;
  private readonly sessions = new Map<string, Session>();
  /** Datagrams relayed to endpoints (figures). */
  relayed = 0;

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly balancer: () => EndpointBalancer | undefined,
    private readonly logger: Logger,
  ) {}

  get listening(): boolean {
    return !!this.socket;
  }

  async listen(): Promise<void> {
    if (this.socket) return;
    const sock = createSocket({ type: 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: this.host, port: this.port, exclusive: true }, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    sock.on('error', (err) => this.logger.warn('proxy listener error', { listener: `${this.host}:${this.port}/udp`, error: err }));
    sock.on('message', (msg, rinfo) => this.relay(msg, rinfo));
    this.socket = sock;
  }

  /** Stops listening (the kernel answers port unreachable again); sessions end with it. */
  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    for (const key of [...this.sessions.keys()]) this.endSession(key);
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  destroy(): Promise<void> {
    return this.close();
  }

  private relay(msg: Buffer, rinfo: RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let session = this.sessions.get(key);
    if (session) {
      // Most recently used last (eviction order).
      this.sessions.delete(key);
      this.sessions.set(key, session);
    } else {
      const ep = this.balancer()?.candidates(rinfo.address)[0];
      if (!ep) return;
      this.balancer()?.connected(rinfo.address, ep);
      if (this.sessions.size >= MAX_UDP_SESSIONS) this.endSession(this.sessions.keys().next().value as string);
      const sock = createSocket('udp4');
      sock.on('error', () => this.endSession(key));
      sock.on('message', (reply, from) => {
        // Only the endpoint's answers go back to the client.
        if (from.address !== ep.ip || from.port !== ep.port) return;
        this.touch(key);
        this.socket?.send(reply, rinfo.port, rinfo.address);
      });
      session = { sock, endpoint: ep, timer: setTimeout(() => this.endSession(key), UDP_IDLE_MS) };
      this.sessions.set(key, session);
    }
    this.touch(key);
    this.relayed++;
    session.sock.send(msg, session.endpoint.port, session.endpoint.ip);
  }

  private touch(key: string): void {
    const s = this.sessions.get(key);
    s?.timer.refresh();
  }

  private endSession(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    clearTimeout(s.timer);
    try {
      s.sock.close();
    } catch {
      /* already closed */
    }
  }
}
