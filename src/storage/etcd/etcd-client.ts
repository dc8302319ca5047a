/**
 * A small etcd v3 client over gRPC (@grpc/grpc-js) with the message codec in ./proto: unary KV,
 * Lease and Maintenance calls and the bidirectional Watch stream, over plain TCP or TLS (with
 * client certificates), across several endpoints.
 *
 * Why not the `etcd3` npm package: its last release is from 2023, it hides what the store needs
 * from a watch (the `compact_revision` of a canceled watcher, client-chosen watch IDs, one
 * stream carrying many watchers), and it loads `.proto` files at run time. The wire here is
 * small and fixed, so we own it.
 *
 * Failover, as etcd's Go client does it: calls go to one endpoint; when it is unreachable the
 * client moves on to the next. Reads are retried on another endpoint whatever happened; writes
 * only when the request provably never left (no connection), because a retried write that had
 * been applied would report a conflict with itself.
 */
import * as grpc from '@grpc/grpc-js';
import { decodeMessage, encodeMessage, type MessageSpec } from './proto/codec.js';
import * as pb from './proto/messages.js';

/** Budget of one call including failover retries (etcd's own request timeout is 5 s + election). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** First and longest pause between retries when every endpoint is unreachable. */
export const RETRY_BACKOFF_MIN_MS = 50;
export const RETRY_BACKOFF_MAX_MS = 1000;

export interface EtcdEndpoint {
  host: string;
  port: number;
  secure: boolean;
}

export interface EtcdTlsFiles {
  /** PEM of the CA that signed etcd's serving certificate (default: system roots). */
  ca?: Buffer;
  /** PEM client certificate and key, when etcd requires client certificate authentication. */
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdClientOptions {
  endpoints: EtcdEndpoint[];
  tls?: EtcdTlsFiles;
  requestTimeoutMs?: number;
}

/** A failed etcd call: the gRPC status code and etcd's message (`etcdserver: ...`). */
export class EtcdError extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
    readonly endpoint: string,
  ) {
    super(`etcd ${endpoint}: ${details || grpc.status[code]}`);
    this.name = 'EtcdError';
  }

  /** `mvcc: required revision has been compacted` (ErrCompacted). */
  get compacted(): boolean {
    return this.details.includes('required revision has been compacted');
  }

  /** `mvcc: required revision is a future revision` (ErrFutureRev). */
  get futureRevision(): boolean {
    return this.details.includes('required revision is a future revision');
  }

  /** The request cannot have reached etcd (no connection was established). */
  get notSent(): boolean {
    return this.code === grpc.status.UNAVAILABLE && /No connection established|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN/.test(this.details);
  }

  /** Worth trying another endpoint for a read. */
  get unavailable(): boolean {
    return this.code === grpc.status.UNAVAILABLE;
  }
}

/** `host:port` of an endpoint, IPv6 literals bracketed. */
export function endpointAddress(e: EtcdEndpoint): string {
  return `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // etcd refuses pings more often than every 5 s (--grpc-keepalive-min-time) and without streams.
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
};

/** A gRPC method: its path and codecs. */
interface Method<Req, Res> {
  path: string;
  req: MessageSpec;
  res: MessageSpec;
  /** Safe to send twice (reads, idempotent maintenance). */
  idempotent: boolean;
  _types?: [Req, Res];
}

function method<Req, Res>(path: string, req: MessageSpec, res: MessageSpec, idempotent: boolean): Method<Req, Res> {
  return { path, req, res, idempotent };
}

const RANGE = method<pb.RangeRequestMsg, pb.RangeResponseMsg>('/etcdserverpb.KV/Range', pb.RangeRequest, pb.RangeResponse, true);
const TXN = method<pb.TxnRequestMsg, pb.TxnResponseMsg>('/etcdserverpb.KV/Txn', pb.TxnRequest, pb.TxnResponse, false);
const DELETE_RANGE = method<pb.DeleteRangeRequestMsg, pb.DeleteRangeResponseMsg>('/etcdserverpb.KV/DeleteRange', pb.DeleteRangeRequest, pb.DeleteRangeResponse, false);
const COMPACT = method<pb.CompactionRequestMsg, { header?: pb.ResponseHeaderMsg }>('/etcdserverpb.KV/Compact', pb.CompactionRequest, pb.CompactionResponse, true);
const LEASE_GRANT = method<pb.LeaseGrantRequestMsg, pb.LeaseGrantResponseMsg>('/etcdserverpb.Lease/LeaseGrant', pb.LeaseGrantRequest, pb.LeaseGrantResponse, false);
const STATUS = method<Record<string, never>, pb.StatusResponseMsg>('/etcdserverpb.Maintenance/Status', pb.StatusRequest, pb.StatusResponse, true);

/** The Watch service's bidirectional stream. */
export type WatchStream = grpc.ClientDuplexStream<pb.WatchRequestMsg, pb.WatchResponseMsg>;

export class EtcdClient {
  private readonly clients: Array<grpc.Client | undefined>;
  private current = 0;
  private closed = false;
  private readonly requestTimeoutMs: number;

  constructor(private readonly opts: EtcdClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('etcd: at least one endpoint is required');
    this.clients = opts.endpoints.map(() => undefined);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The endpoint calls currently go to, for messages. */
  get endpoint(): string {
    return endpointAddress(this.opts.endpoints[this.current] as EtcdEndpoint);
  }

  range(req: pb.RangeRequestMsg): Promise<pb.RangeResponseMsg> {
    return this.call(RANGE, req);
  }

  txn(req: pb.TxnRequestMsg): Promise<pb.TxnResponseMsg> {
    return this.call(TXN, req);
  }

  deleteRange(req: pb.DeleteRangeRequestMsg): Promise<pb.DeleteRangeResponseMsg> {
    return this.call(DELETE_RANGE, req);
  }

  compact(revision: number): Promise<{ header?: pb.ResponseHeaderMsg }> {
    return this.call(COMPACT, { revision });
  }

  leaseGrant(ttlSeconds: number): Promise<pb.LeaseGrantResponseMsg> {
    return this.call(LEASE_GRANT, { TTL: ttlSeconds });
  }

  status(): Promise<pb.StatusResponseMsg> {
    return this.call(STATUS, {});
  }

  /**
   * Opens a Watch stream on the current endpoint. `hasleader` makes etcd refuse (and end) the
   * stream when the member has no leader, so a partitioned member cannot stall a watch silently
   * (clientv3.WithRequireLeader).
   */
  openWatch(): WatchStream {
    const client = this.client(this.current);
    const md = new grpc.Metadata();
    md.set('hasleader', 'true');
    return client.makeBidiStreamRequest(
      '/etcdserverpb.Watch/Watch',
      (v: pb.WatchRequestMsg) => encodeMessage(pb.WatchRequest, v),
      (b: Buffer) => decodeMessage<pb.WatchResponseMsg>(pb.WatchResponse, b),
      md,
    );
  }

  /** Moves on to the next endpoint (after a watch stream failed on this one). */
  failover(): void {
    if (this.opts.endpoints.length > 1) this.current = (this.current + 1) % this.opts.endpoints.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients) c?.close();
  }

  private client(i: number): grpc.Client {
    let c = this.clients[i];
    if (!c) {
      const e = this.opts.endpoints[i] as EtcdEndpoint;
      const creds = e.secure
        ? grpc.credentials.createSsl(this.opts.tls?.ca ?? null, this.opts.tls?.key ?? null, this.opts.tls?.cert ?? null)
        : grpc.credentials.createInsecure();
      c = new grpc.Client(endpointAddress(e), creds, CHANNEL_OPTIONS);
      this.clients[i] = c;
    }
    return c;
  }

  private async call<Req, Res>(m: Method<Req, Res>, req: Req): Promise<Res> {
    if (this.closed) throw new EtcdError(grpc.status.CANCELLED, 'client closed', this.endpoint);
    const deadline = Date.now() + this.requestTimeoutMs;
    let backoff = RETRY_BACKOFF_MIN_MS;
    let tried = 0;
    for (;;) {
      const i = this.current;
      try {
        return await this.unary(i, m, req, deadline);
      } catch (err) {
        if (!(err instanceof EtcdError) || !err.unavailable || this.closed) throw err;
        if (!m.idempotent && !err.notSent) throw err;
        if (Date.now() + backoff >= deadline) throw err;
        // Try every endpoint once before pausing.
        if (i === this.current) this.failover();
        tried++;
        if (tried % this.opts.endpoints.length === 0) {
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, RETRY_BACKOFF_MAX_MS);
        }
      }
    }
  }

  private unary<Req, Res>(i: number, m: Method<Req, Res>, req: Req, deadline: number): Promise<Res> {
    const endpoint = endpointAddress(this.opts.endpoints[i] as EtcdEndpoint);
    return new Promise<Res>((resolve, reject) => {
      this.client(i).makeUnaryRequest(
        m.path,
        (v: Req) => encodeMessage(m.req, v as object),
        (b: Buffer) => decodeMessage<Res>(m.res, b),
        req,
        new grpc.Metadata(),
        { deadline },
        (err, res) => {
          if (err) reject(new EtcdError(err.code, err.details, endpoint));
          else resolve(res as Res);
        },
      );
    });
  }
}
