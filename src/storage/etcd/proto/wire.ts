/**
 * Protocol Buffers wire format (proto3), just what etcd's v3 API needs: varints (int64 as
 * two's complement in ten bytes when negative), length-delimited bytes/strings/messages, and
 * skipping of fields we do not know (newer etcd versions add fields; old clients must ignore
 * them, as protobuf requires).
 */

/** Wire types of the protobuf encoding. */
export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** Appends protobuf fields to a growing buffer. */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 128) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint of a non-negative safe integer. */
  uvarint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** A varint of a 64-bit integer; negative values use ten bytes, as proto3 int64 does. */
  varint64(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0) {
      if (!Number.isSafeInteger(v)) throw new RangeError(`protobuf: ${v} is not a safe integer`);
      this.uvarint(v);
      return;
    }
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  tag(field: number, wireType: number): void {
    this.uvarint(field * 8 + wireType);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.uvarint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A UTF-8 string field, encoded in place. */
  string(field: number, s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.tag(field, WIRE_LEN);
    this.uvarint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** The encoded bytes (a view of the internal buffer; the writer must not be reused). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Reads protobuf fields from a buffer. */
export class ProtoReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /**
   * A varint as a number when it fits in 53 bits; larger values (lease and member IDs, negative
   * int64s such as watch_id -1) come back as a bigint of the unsigned 64-bit value.
   */
  varint(): number | bigint {
    let lo = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byte();
      lo += (b & 0x7f) * mul;
      if (b < 0x80) return lo;
      mul *= 0x80;
    }
    // More than 49 bits: finish in bigint.
    let v = BigInt(lo);
    let shift = 49n;
    for (let i = 7; i < 10; i++) {
      const b = this.byte();
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : BigInt.asUintN(64, v);
      shift += 7n;
    }
    throw new Error('protobuf: varint longer than ten bytes');
  }

  private byte(): number {
    if (this.pos >= this.end) throw new Error('protobuf: truncated message');
    return this.buf[this.pos++] as number;
  }

  /** The bounds of a length-delimited field's payload (the reader moves past it). */
  lengthDelimited(): { start: number; end: number } {
    const len = this.varint();
    if (typeof len !== 'number' || this.pos + len > this.end) throw new Error('protobuf: length-delimited field overruns its message');
    const start = this.pos;
    this.pos += len;
    return { start, end: this.pos };
  }

  /** Skips a field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_FIXED32:
        this.pos += 4;
        return;
      default:
        throw new Error(`protobuf: unsupported wire type ${wireType}`);
    }
  }
}

/** A decoded varint as a signed int64 number (throws if it does not fit in 53 bits). */
export function toInt64(v: number | bigint): number {
  if (typeof v === 'number') return v;
  const s = BigInt.asIntN(64, v);
  if (s < BigInt(Number.MIN_SAFE_INTEGER) || s > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`protobuf: int64 ${s} out of safe range`);
  return Number(s);
}

/** A decoded varint as an unsigned 64-bit bigint (IDs). */
export function toUint64(v: number | bigint): bigint {
  return typeof v === 'bigint' ? v : BigInt(v);
}
