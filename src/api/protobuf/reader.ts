/**
 * A minimal protobuf wire-format reader. Every read is bounds-checked and throws {@link ProtoError}
 * on truncated or malformed input, so callers can turn bad request bodies into 400s.
 */
import { WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT } from './writer.js';

export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

/** One field as read off the wire: varints as bigint, length-delimited as bytes. */
export type WireValue =
  | { wire: typeof WIRE_VARINT; value: bigint }
  | { wire: typeof WIRE_FIXED64; value: Uint8Array }
  | { wire: typeof WIRE_BYTES; value: Uint8Array }
  | { wire: typeof WIRE_FIXED32; value: Uint8Array };

export class ProtoReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new ProtoError('unexpected end of data in varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  private take(n: number): Uint8Array {
    if (n < 0 || this.pos + n > this.buf.length) throw new ProtoError(`field length ${n} overruns the message`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Reads the next field: its number and value. */
  next(): { field: number; value: WireValue } {
    const key = this.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field <= 0) throw new ProtoError(`invalid field number ${field}`);
    switch (wire) {
      case WIRE_VARINT:
        return { field, value: { wire, value: this.varint() } };
      case WIRE_FIXED64:
        return { field, value: { wire, value: this.take(8) } };
      case WIRE_BYTES: {
        const len = this.varint();
        if (len > BigInt(this.buf.length)) throw new ProtoError(`field length ${len} overruns the message`);
        return { field, value: { wire, value: this.take(Number(len)) } };
      }
      case WIRE_FIXED32:
        return { field, value: { wire, value: this.take(4) } };
      default:
        throw new ProtoError(`unsupported wire type ${wire} for field ${field}`);
    }
  }
}
