/**
 * SPDY/3 framing (draft 3 §2.2, as Go's spdy framer and moby/spdystream speak it): 8-byte frame
 * headers, control frames (SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS,
 * WINDOW_UPDATE) and data frames, plus the uncompressed name/value header block. Compression of
 * header blocks lives in header-codec.ts; session state in session.ts.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/** FLAG_FIN on control and data frames; FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes. */
export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
} as const;

/** GOAWAY status codes. */
export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/** Largest payload a frame's 24-bit length allows. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export interface DataFrame {
  kind: 'data';
  streamId: number;
  flags: number;
  data: Buffer;
}

export interface ControlFrame {
  kind: 'control';
  version: number;
  type: number;
  flags: number;
  payload: Buffer;
}

export type Frame = DataFrame | ControlFrame;

/** Thrown for bytes that are not valid SPDY/3: the session answers with GOAWAY and closes. */
export class SpdyProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

/**
 * Splits a byte stream into frames. Feed it whatever the transport delivers (TCP segments,
 * WebSocket messages); it returns each complete frame once.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Frame[] = [];
    let off = 0;
    while (this.buf.length - off >= 8) {
      const w0 = this.buf.readUInt32BE(off);
      const w1 = this.buf.readUInt32BE(off + 4);
      const flags = w1 >>> 24;
      const length = w1 & 0xffffff;
      if (length > this.maxPayload) throw new SpdyProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`);
      if (this.buf.length - off < 8 + length) break;
      const payload = this.buf.subarray(off + 8, off + 8 + length);
      if (w0 & 0x80000000) {
        frames.push({ kind: 'control', version: (w0 >>> 16) & 0x7fff, type: w0 & 0xffff, flags, payload });
      } else {
        frames.push({ kind: 'data', streamId: w0 & 0x7fffffff, flags, data: payload });
      }
      off += 8 + length;
    }
    // Keep only the unread tail; copy it so the big chunk it came from can be freed.
    this.buf = off === 0 ? this.buf : Buffer.from(this.buf.subarray(off));
    return frames;
  }

  /** Bytes received but not yet forming a whole frame. */
  get pending(): number {
    return this.buf.length;
  }
}

function controlHeader(type: number, flags: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE((0x80000000 | (SPDY_VERSION << 16) | type) >>> 0, 0);
  h.writeUInt32BE(((flags << 24) | length) >>> 0, 4);
  return h;
}

export function encodeControlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('control frame too large');
  return Buffer.concat([controlHeader(type, flags, payload.length), payload]);
}

export function encodeDataFrame(streamId: number, data: Uint8Array, fin: boolean): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new SpdyProtocolError('data frame too large');
  const h = Buffer.alloc(8 + data.length);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE((((fin ? FLAG_FIN : 0) << 24) | data.length) >>> 0, 4);
  h.set(data, 8);
  return h;
}

/** SYN_STREAM: stream id, associated stream id, priority (3 bits), slot, header block. */
export function encodeSynStream(streamId: number, priority: number, compressedHeaders: Uint8Array, flags: number): Buffer {
  const p = Buffer.alloc(10 + compressedHeaders.length);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(0, 4);
  p.writeUInt8((priority & 0x7) << 5, 8);
  p.writeUInt8(0, 9);
  p.set(compressedHeaders, 10);
  return encodeControlFrame(FrameType.SynStream, flags, p);
}

/** SYN_REPLY and HEADERS share a layout: stream id then the header block. */
export function encodeStreamHeaders(type: typeof FrameType.SynReply | typeof FrameType.Headers, streamId: number, compressedHeaders: Uint8Array, flags: number): Buffer {
  const p = Buffer.alloc(4 + compressedHeaders.length);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.set(compressedHeaders, 4);
  return encodeControlFrame(type, flags, p);
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(streamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return encodeControlFrame(FrameType.RstStream, 0, p);
}

export function encodePing(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return encodeControlFrame(FrameType.Ping, 0, p);
}

export function encodeGoAway(lastGoodStreamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(lastGoodStreamId & 0x7fffffff, 0);
  p.writeUInt32BE(status, 4);
  return encodeControlFrame(FrameType.GoAway, 0, p);
}

/** Reads the leading 31-bit stream id of a control payload. */
export function payloadStreamId(payload: Buffer, what: string): number {
  if (payload.length < 4) throw new SpdyProtocolError(`${what} frame too short`);
  const id = payload.readUInt32BE(0) & 0x7fffffff;
  if (id === 0) throw new SpdyProtocolError(`${what} frame with stream id 0`);
  return id;
}

/** Header names mapped to their values (several values are NUL-joined on the wire). */
export type HeaderMap = Map<string, string[]>;

/** Serialises a header block: count, then length-prefixed lower-case names and values. */
export function encodeHeaderBlock(headers: HeaderMap): Buffer {
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(headers.size);
  parts.push(count);
  for (const [name, values] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    const nl = Buffer.alloc(4);
    nl.writeUInt32BE(n.length);
    const vl = Buffer.alloc(4);
    vl.writeUInt32BE(v.length);
    parts.push(nl, n, vl, v);
  }
  return Buffer.concat(parts);
}

/**
 * Parses a header block. Names are lower-cased, as Go's framer does; a repeated name is a
 * protocol error there too.
 */
export function decodeHeaderBlock(block: Buffer): HeaderMap {
  const out: HeaderMap = new Map();
  const need = (off: number, n: number) => {
    if (off + n > block.length) throw new SpdyProtocolError('truncated header block');
  };
  need(0, 4);
  const count = block.readUInt32BE(0);
  let off = 4;
  for (let i = 0; i < count; i++) {
    need(off, 4);
    const nl = block.readUInt32BE(off);
    off += 4;
    need(off, nl);
    const name = block.toString('utf8', off, off + nl).toLowerCase();
    off += nl;
    need(off, 4);
    const vl = block.readUInt32BE(off);
    off += 4;
    need(off, vl);
    const value = block.toString('utf8', off, off + vl);
    off += vl;
    if (out.has(name)) throw new SpdyProtocolError(`header ${name} appears twice`);
    out.set(name, value.split('\0'));
  }
  return out;
}

/** The first value of a header, or undefined. */
export function headerValue(headers: HeaderMap, name: string): string | undefined {
  return headers.get(name.toLowerCase())?.[0];
}
