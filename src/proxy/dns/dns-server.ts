/**
 * The cluster DNS server (the role CoreDNS plays): UDP and TCP on the given addresses, port 53.
 * Names in the cluster zone are answered from the caches (cluster-zone.ts); everything else is
 * relayed unchanged to the host's resolvers (the nameservers of the machine's /etc/resolv.conf, or
 * the ones configured), UDP first and TCP when the answer was truncated. An ExternalName pointing
 * outside the cluster gets its CNAME plus what the upstream says about the target.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { RCODE, DnsFormatError, encodeQuery, encodeResponse, parseAnswers, parseQuery, TYPE, type Record } from './dns-packet.js';
import type { ClusterZone } from './cluster-zone.js';
import type { Logger } from '../../client/log.js';
import { silentLogger } from '../../client/log.js';

/** How long to wait for an upstream resolver. */
export const UPSTREAM_TIMEOUT_MS = 2000;
const UDP_MAX = 512;

export interface Upstream {
  host: string;
  port: number;
}

export interface DnsServerOptions {
  zone: ClusterZone;
  upstreams: () => Upstream[];
  logger?: Logger;
}

export class DnsServer {
  private readonly udp = new Map<string, UdpSocket>();
  private readonly tcp = new Map<string, Server>();
  private readonly logger: Logger;
  /** Queries answered (figures). */
  queries = 0;

  constructor(private readonly opts: DnsServerOptions) {
    this.logger = (opts.logger ?? silentLogger).child({ component: 'dns' });
  }

  /** Starts serving on `host:port` (UDP and TCP); idempotent per address. Returns the port bound. */
  async listen(host: string, port = 53): Promise<number> {
    const key = `${host}:${port}`;
    if (this.udp.has(key)) return port;
    const sock = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    const bound = sock.address().port;
    sock.on('error', (err) => this.logger.warn('DNS socket error', { error: err }));
    sock.on('message', (msg, rinfo) => {
      void this.handle(msg, UDP_MAX).then((out) => {
        if (out) sock.send(out, rinfo.port, rinfo.address);
      });
    });
    const server = createServer((conn) => this.serveTcp(conn));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bound, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.udp.set(`${host}:${bound}`, sock);
    this.tcp.set(`${host}:${bound}`, server);
    return bound;
  }

  /** Stops serving on `host` (its node went away). */
  async unlisten(host: string): Promise<void> {
    for (const [key, sock] of this.udp) {
      if (!key.startsWith(`${host}:`)) continue;
      sock.close();
      this.udp.delete(key);
      const srv = this.tcp.get(key);
      this.tcp.delete(key);
      await new Promise<void>((r) => (srv ? srv.close(() => r()) : r()));
    }
  }

  async close(): Promise<void> {
    for (const key of [...this.udp.keys()]) await this.unlisten(key.split(':')[0]!);
  }

  private serveTcp(conn: Socket): void {
    let buf = Buffer.alloc(0);
    conn.on('error', () => undefined);
    conn.setTimeout(10_000, () => conn.destroy());
    conn.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void this.handle(msg, 65535).then((out) => {
          if (!out || conn.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(out.length, 0);
          conn.write(Buffer.concat([head, out]));
        });
      }
    });
  }

  /** Answers one message; undefined = drop it. */
  async handle(msg: Buffer, maxBytes: number): Promise<Buffer | undefined> {
    let q;
    try {
      q = parseQuery(msg);
    } catch (err) {
      if (err instanceof DnsFormatError && msg.length >= 2) {
        return encodeResponse({ id: msg.readUInt16BE(0), rd: false, rcode: RCODE.FORMERR, authoritative: false, questions: [] });
      }
      return undefined;
    }
    this.queries++;
    const question = q.questions[0];
    if (q.opcode !== 0 || !question || q.questions.length !== 1) {
      return encodeResponse({ id: q.id, rd: q.rd, rcode: RCODE.NOTIMP, authoritative: false, questions: q.questions });
    }
    const zone = this.opts.zone;
    if (!zone.inZone(question.name)) return this.forward(msg, maxBytes);
    const a = zone.answer(question);
    let answers: Record[] = a.answers;
    if (a.chase) answers = [...answers, ...(await this.chase(a.chase, question.type))];
    return encodeResponse({ id: q.id, rd: q.rd, ra: true, rcode: a.rcode, authoritative: true, questions: q.questions, answers, authority: a.authority, additional: a.additional }, maxBytes);
  }

  /** Resolves an outside name upstream and returns its A/AAAA/CNAME records. */
  private async chase(name: string, type: number): Promise<Record[]> {
    const reply = await this.forward(encodeQuery(Math.floor(Math.random() * 65535), name, type === TYPE.AAAA ? TYPE.AAAA : TYPE.A), 65535);
    if (!reply) return [];
    try {
      const out: Record[] = [];
      for (const r of parseAnswers(reply).answers) {
        if (r.type === TYPE.A && r.data.length === 4) out.push({ name: r.name, type: TYPE.A, ttl: r.ttl, data: [...r.data].join('.') });
      }
      return out;
    } catch {
      return [];
    }
  }

  /** Relays a query to the upstream resolvers in turn; SERVFAIL when none answers. */
  private async forward(msg: Buffer, maxBytes: number): Promise<Buffer> {
    for (const up of this.opts.upstreams()) {
      try {
        let reply = await udpExchange(up, msg);
        // Truncated: ask again over TCP (and hand TCP clients the whole answer).
        if ((reply.readUInt16BE(2) & 0x0200) !== 0 && maxBytes > UDP_MAX) reply = await tcpExchange(up, msg);
        return reply;
      } catch (err) {
        this.logger.debug('upstream resolver did not answer', { upstream: `${up.host}:${up.port}`, error: err });
      }
    }
    const id = msg.readUInt16BE(0);
    let questions: ReturnType<typeof parseQuery>['questions'] = [];
    try {
      questions = parseQuery(msg).questions;
    } catch {
      /* answer without the question */
    }
    return encodeResponse({ id, rd: true, ra: true, rcode: RCODE.SERVFAIL, authoritative: false, questions });
  }
}

function udpExchange(up: Upstream, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('timeout'));
    }, UPSTREAM_TIMEOUT_MS);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on('message', (reply) => {
      if (reply.length < 12 || reply.readUInt16BE(0) !== msg.readUInt16BE(0)) return;
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.send(msg, up.port, up.host);
  });
}

function tcpExchange(up: Upstream, msg: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const conn = connect({ host: up.host, port: up.port });
    const timer = setTimeout(() => conn.destroy(new Error('timeout')), UPSTREAM_TIMEOUT_MS);
    let buf = Buffer.alloc(0);
    conn.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(msg.length, 0);
      conn.write(Buffer.concat([head, msg]));
    });
    conn.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(timer);
        conn.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    conn.on('close', () => {
      clearTimeout(timer);
      reject(new Error('closed'));
    });
  });
}
