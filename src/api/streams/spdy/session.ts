/**
 * A SPDY/3.1 session over any byte stream (a TLS socket after an HTTP upgrade, or a WebSocket
 * that tunnels SPDY). It mirrors what kubectl's peer, moby/spdystream, expects of the other end:
 * every SYN_STREAM is answered with SYN_REPLY before any data, PINGs are echoed, streams end with
 * FIN (half close) or RST_STREAM, and GOAWAY closes the session once its streams are done.
 * Like spdystream it does no flow control: WINDOW_UPDATE and SETTINGS are read and ignored, and
 * back-pressure comes from the transport (a stream whose reader is slow pauses the session).
 */
import { Duplex } from 'node:stream';
import {
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  FrameReader,
  FrameType,
  GoAwayStatus,
  RstStatus,
  SPDY_VERSION,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeDataFrame,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeStreamHeaders,
  encodeSynStream,
  encodeHeaderBlock,
  payloadStreamId,
  type ControlFrame,
  type HeaderMap,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-codec.js';

/** Largest data frame written (the kubelet's copy buffer size). */
export const SPDY_DATA_CHUNK = 32 * 1024;
/** How long a client waits for SYN_REPLY (client-go's createStreamResponseTimeout). */
export const STREAM_REPLY_TIMEOUT_MS = 30_000;

export interface SpdySessionOptions {
  /** `server` accepts odd (client-initiated) stream ids; `client` creates them. */
  role: 'server' | 'client';
  /**
   * Called for each stream the peer opens. Throwing (or returning false) rejects it with
   * RST_STREAM; otherwise the session answers with an empty SYN_REPLY right away.
   */
  onStream?: (stream: SpdyStream) => boolean | void;
  /** Called once when the session ends (error for protocol or transport failures). */
  onClose?: (err?: Error) => void;
}

/**
 * One SPDY stream as a Duplex: readable = data from the peer (ends on the peer's FIN or reset),
 * writable = data frames to the peer (`end()` sends FIN).
 */
export class SpdyStream extends Duplex {
  /** Set when the peer reset the stream (RST_STREAM status), or we did. */
  resetStatus: number | undefined;
  localFinished = false;
  remoteFinished = false;
  replied: Promise<void>;
  /** @internal */ resolveReply!: () => void;
  /** @internal */ rejectReply!: (err: Error) => void;
  /** @internal */ blocked = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: HeaderMap,
  ) {
    super({ allowHalfOpen: true, highWaterMark: SPDY_DATA_CHUNK * 4 });
    this.replied = new Promise((resolve, reject) => {
      this.resolveReply = resolve;
      this.rejectReply = reject;
    });
    this.replied.catch(() => undefined);
    // Stream failures are reported through 'reset' and the session; never crash on 'error'.
    this.on('error', () => undefined);
  }

  /** First value of a (case-insensitive) header the stream was opened with. */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Aborts the stream with RST_STREAM (default CANCEL, as spdystream's Reset). */
  reset(status: number = RstStatus.Cancel): void {
    this.session.resetStream(this, status);
  }

  override _read(): void {
    this.session.streamReadable(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.session.writeData(this, chunk, false, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.session.writeData(this, Buffer.alloc(0), true, cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Destroying a stream that is not finished both ways tells the peer with RST_STREAM.
    if (!(this.localFinished && this.remoteFinished) && this.resetStatus === undefined) this.session.resetStream(this, RstStatus.Cancel);
    cb(err);
  }
}

export class SpdySession {
  private readonly reader = new FrameReader();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private nextStreamId: number;
  private lastRemoteStreamId = 0;
  private nextPingId: number;
  private readonly pings = new Map<number, () => void>();
  private goneAway = false;
  private closed = false;
  private blockedStreams = 0;

  constructor(
    private readonly transport: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    this.nextStreamId = opts.role === 'client' ? 1 : 2;
    this.nextPingId = opts.role === 'client' ? 1 : 2;
    transport.on('data', (chunk: Buffer) => this.onData(chunk));
    transport.on('end', () => this.finish());
    transport.on('close', () => this.finish());
    transport.on('error', (err: Error) => this.finish(err));
  }

  /** Open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Opens a stream (client role); resolves once the peer's SYN_REPLY arrives. */
  async createStream(headers: Record<string, string>, timeoutMs = STREAM_REPLY_TIMEOUT_MS): Promise<SpdyStream> {
    if (this.closed || this.goneAway) throw new Error('session is closed');
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const map: HeaderMap = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), [v]]));
    const stream = this.track(new SpdyStream(this, id, map));
    this.transport.write(encodeSynStream(id, 0, this.compressor.compress(encodeHeaderBlock(map)), 0));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        stream.replied,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out waiting for a reply to stream ${id}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return stream;
  }

  /** Sends a PING and resolves when it is echoed. */
  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId = this.nextPingId > 0x7ffffffd ? (this.nextPingId % 2) + 1 : this.nextPingId + 2;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      this.transport.write(encodePing(id));
    });
  }

  /**
   * Ends the session gracefully: GOAWAY, then the transport is ended once every stream has
   * finished (or at once when `force`, resetting what is left, as the kubelet's Close does).
   */
  close(force = false): void {
    if (this.closed) return;
    if (!this.goneAway) {
      this.goneAway = true;
      this.transport.write(encodeGoAway(this.lastRemoteStreamId, GoAwayStatus.Ok));
    }
    if (force) for (const s of [...this.streams.values()]) this.resetStream(s, RstStatus.Cancel);
    this.maybeShutdown();
  }

  /** Tears the transport down at once. */
  destroy(err?: Error): void {
    this.transport.destroy();
    this.finish(err);
  }

  // ---- stream plumbing (called by SpdyStream) ----

  /** @internal */
  writeData(stream: SpdyStream, chunk: Buffer, fin: boolean, cb: (err?: Error | null) => void): void {
    // Writes to a stream the peer reset (or after the session ended) are dropped, not errors:
    // a copy loop feeding it is stopped by the reset/close notification instead.
    if (stream.resetStatus !== undefined || this.closed) {
      cb();
      return;
    }
    if (stream.localFinished) {
      cb(fin ? null : new Error(`write after FIN on stream ${stream.id}`));
      return;
    }
    let ok = true;
    for (let off = 0; off < chunk.length || (fin && off === 0); off += SPDY_DATA_CHUNK) {
      const part = chunk.subarray(off, off + SPDY_DATA_CHUNK);
      const last = off + SPDY_DATA_CHUNK >= chunk.length;
      ok = this.transport.write(encodeDataFrame(stream.id, part, fin && last));
      if (chunk.length === 0) break;
    }
    if (fin) {
      stream.localFinished = true;
      this.maybeRemove(stream);
    }
    if (ok) cb();
    else this.transport.once('drain', () => cb());
  }

  /** @internal */
  resetStream(stream: SpdyStream, status: number): void {
    if (stream.resetStatus !== undefined) return;
    stream.resetStatus = status;
    if (!this.closed && !(stream.localFinished && stream.remoteFinished)) this.transport.write(encodeRstStream(stream.id, status));
    stream.localFinished = true;
    this.endReadable(stream);
    this.remove(stream);
  }

  /** @internal the stream's reader wants more: lift the pause it caused. */
  streamReadable(stream: SpdyStream): void {
    if (stream.blocked) {
      stream.blocked = false;
      this.blockedStreams--;
      if (this.blockedStreams === 0 && !this.closed) this.transport.resume();
    }
  }

  // ---- frame handling ----

  private track(stream: SpdyStream): SpdyStream {
    this.streams.set(stream.id, stream);
    return stream;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const frame of this.reader.push(chunk)) {
        if (frame.kind === 'data') this.onDataFrame(frame.streamId, frame.flags, frame.data);
        else this.onControlFrame(frame);
        if (this.closed) return;
      }
    } catch (err) {
      this.protocolError(err as Error);
    }
  }

  private onDataFrame(streamId: number, flags: number, data: Buffer): void {
    const stream = this.streams.get(streamId);
    // Data for a stream already reset or removed is normal in flight; spdystream drops it too.
    if (!stream || stream.remoteFinished) return;
    if (data.length > 0 && !stream.push(Buffer.from(data)) && !stream.blocked) {
      stream.blocked = true;
      this.blockedStreams++;
      this.transport.pause();
    }
    if (flags & FLAG_FIN) this.remoteFin(stream);
  }

  private onControlFrame(frame: ControlFrame): void {
    if (frame.version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${frame.version}`);
    const p = frame.payload;
    switch (frame.type) {
      case FrameType.SynStream: {
        if (p.length < 10) throw new SpdyProtocolError('SYN_STREAM frame too short');
        const id = payloadStreamId(p, 'SYN_STREAM');
        // The header block must be inflated even for a stream we refuse: the zlib context is shared.
        const headers = decodeHeaderBlock(this.decompressor.decompress(p.subarray(10)));
        this.onSynStream(id, frame.flags, headers);
        return;
      }
      case FrameType.SynReply: {
        const id = payloadStreamId(p, 'SYN_REPLY');
        decodeHeaderBlock(this.decompressor.decompress(p.subarray(4)));
        const stream = this.streams.get(id);
        if (!stream) return;
        stream.resolveReply();
        if (frame.flags & FLAG_FIN) this.remoteFin(stream);
        return;
      }
      case FrameType.Headers: {
        const id = payloadStreamId(p, 'HEADERS');
        decodeHeaderBlock(this.decompressor.decompress(p.subarray(4)));
        const stream = this.streams.get(id);
        if (stream && frame.flags & FLAG_FIN) this.remoteFin(stream);
        return;
      }
      case FrameType.RstStream: {
        const id = payloadStreamId(p, 'RST_STREAM');
        const stream = this.streams.get(id);
        if (!stream) return;
        stream.resetStatus = p.length >= 8 ? p.readUInt32BE(4) : RstStatus.Cancel;
        stream.rejectReply(new Error(`stream ${id} was reset`));
        stream.localFinished = true;
        this.endReadable(stream);
        this.remove(stream);
        stream.emit('reset', stream.resetStatus);
        return;
      }
      case FrameType.Ping: {
        if (p.length < 4) throw new SpdyProtocolError('PING frame too short');
        const id = p.readUInt32BE(0);
        const own = (id & 1) === (this.opts.role === 'client' ? 1 : 0);
        if (own) {
          const done = this.pings.get(id);
          this.pings.delete(id);
          done?.();
        } else {
          this.transport.write(encodePing(id));
        }
        return;
      }
      case FrameType.GoAway:
        this.goneAway = true;
        this.maybeShutdown();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown control frames carry nothing this session uses.
        return;
    }
  }

  private onSynStream(id: number, flags: number, headers: HeaderMap): void {
    const peerParity = this.opts.role === 'server' ? 1 : 0;
    if ((id & 1) !== peerParity || id <= this.lastRemoteStreamId) {
      this.transport.write(encodeRstStream(id, RstStatus.ProtocolError));
      return;
    }
    this.lastRemoteStreamId = id;
    if (this.goneAway) {
      this.transport.write(encodeRstStream(id, RstStatus.RefusedStream));
      return;
    }
    const stream = this.track(new SpdyStream(this, id, headers));
    if (flags & FLAG_UNIDIRECTIONAL) stream.localFinished = true;
    let accepted = true;
    try {
      accepted = this.opts.onStream?.(stream) !== false;
    } catch {
      accepted = false;
    }
    if (!accepted) {
      this.resetStream(stream, RstStatus.Cancel);
      return;
    }
    if (stream.resetStatus === undefined) {
      this.transport.write(encodeStreamHeaders(FrameType.SynReply, id, this.compressor.compress(encodeHeaderBlock(new Map())), 0));
      stream.resolveReply();
    }
    if (flags & FLAG_FIN) this.remoteFin(stream);
  }

  private remoteFin(stream: SpdyStream): void {
    if (stream.remoteFinished) return;
    this.endReadable(stream);
    this.maybeRemove(stream);
  }

  private endReadable(stream: SpdyStream): void {
    if (stream.remoteFinished) return;
    stream.remoteFinished = true;
    this.streamReadable(stream);
    stream.push(null);
  }

  private maybeRemove(stream: SpdyStream): void {
    if (stream.localFinished && stream.remoteFinished) this.remove(stream);
  }

  private remove(stream: SpdyStream): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    this.streamReadable(stream);
    this.maybeShutdown();
  }

  private maybeShutdown(): void {
    if (this.goneAway && this.streams.size === 0 && !this.closed) {
      this.transport.end();
      this.finish();
    }
  }

  private protocolError(err: Error): void {
    if (this.closed) return;
    if (!this.goneAway) {
      this.goneAway = true;
      this.transport.write(encodeGoAway(this.lastRemoteStreamId, GoAwayStatus.ProtocolError));
    }
    this.transport.end();
    this.finish(err);
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.goneAway = true;
    for (const s of [...this.streams.values()]) {
      s.rejectReply(new Error('session closed'));
      s.localFinished = true;
      this.endReadable(s);
      s.emit('reset', RstStatus.Cancel);
    }
    this.streams.clear();
    for (const done of this.pings.values()) done();
    this.pings.clear();
    this.opts.onClose?.(err);
  }
}
