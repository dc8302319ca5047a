/**
 * A small descriptor-driven protobuf codec: a message is described by its fields (name → field
 * number and type), which is all a `.proto` file says about the wire. Encoding omits proto3
 * defaults except for fields with explicit presence (`oneof` members, where a zero still selects
 * the member); decoding fills every scalar with its default, so callers read plain objects.
 */
import { ProtoReader, ProtoWriter, WIRE_LEN, WIRE_VARINT, toInt64, toUint64 } from './wire.js';

export type ScalarKind = 'int64' | 'uint64' | 'bool' | 'bytes' | 'string' | 'enum';

export interface FieldSpec {
  no: number;
  kind: ScalarKind | MessageSpec;
  repeated?: boolean;
  /** A oneof member: encoded whenever it is set, even to its zero value. */
  oneof?: boolean;
}

export interface MessageSpec {
  name: string;
  fields: Record<string, FieldSpec>;
}

/** What a scalar of each kind decodes to. */
export type Decoded = Record<string, unknown>;

interface Compiled {
  order: Array<[string, FieldSpec]>;
  byNumber: Map<number, [string, FieldSpec]>;
}

const compiled = new WeakMap<MessageSpec, Compiled>();

function compile(spec: MessageSpec): Compiled {
  let c = compiled.get(spec);
  if (!c) {
    const order = Object.entries(spec.fields).sort((a, b) => a[1].no - b[1].no);
    c = { order, byNumber: new Map(order.map(([name, f]) => [f.no, [name, f]])) };
    compiled.set(spec, c);
  }
  return c;
}

/** Encodes `value` (a plain object shaped like the message) to protobuf bytes. */
export function encodeMessage(spec: MessageSpec, value: object): Buffer {
  const w = new ProtoWriter();
  writeFields(w, spec, value as Record<string, unknown>);
  return w.finish();
}

function writeFields(w: ProtoWriter, spec: MessageSpec, value: Record<string, unknown>): void {
  for (const [name, f] of compile(spec).order) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (f.repeated) {
      for (const item of v as unknown[]) writeOne(w, f, item, true);
    } else {
      writeOne(w, f, v, f.oneof === true);
    }
  }
}

function writeOne(w: ProtoWriter, f: FieldSpec, v: unknown, always: boolean): void {
  const kind = f.kind;
  if (typeof kind === 'object') {
    w.bytes(f.no, encodeMessage(kind, v as object));
    return;
  }
  switch (kind) {
    case 'int64':
    case 'uint64':
    case 'enum': {
      const n = v as number | bigint;
      if (!always && (n === 0 || n === 0n)) return;
      w.tag(f.no, WIRE_VARINT);
      w.varint64(n);
      return;
    }
    case 'bool':
      if (!always && v !== true) return;
      w.tag(f.no, WIRE_VARINT);
      w.uvarint(v ? 1 : 0);
      return;
    case 'bytes':
      if (typeof v === 'string') {
        if (!always && v === '') return;
        w.string(f.no, v);
      } else {
        const b = v as Uint8Array;
        if (!always && b.length === 0) return;
        w.bytes(f.no, b);
      }
      return;
    case 'string': {
      const s = v as string;
      if (!always && s === '') return;
      w.string(f.no, s);
      return;
    }
  }
}

/** Decodes protobuf bytes into a plain object with defaults filled in. */
export function decodeMessage<T = Decoded>(spec: MessageSpec, buf: Buffer, start = 0, end = buf.length): T {
  const c = compile(spec);
  const out: Record<string, unknown> = {};
  for (const [name, f] of c.order) {
    if (f.repeated) out[name] = [];
    else if (typeof f.kind !== 'object' && !f.oneof) out[name] = defaultOf(f.kind);
  }
  const r = new ProtoReader(buf, start, end);
  while (!r.done()) {
    const tag = r.varint();
    if (typeof tag !== 'number') throw new Error(`protobuf: bad tag in ${spec.name}`);
    const no = Math.floor(tag / 8);
    const wireType = tag % 8;
    const field = c.byNumber.get(no);
    if (!field) {
      r.skip(wireType);
      continue;
    }
    const [name, f] = field;
    const v = readOne(r, f, wireType, spec);
    if (f.repeated) (out[name] as unknown[]).push(v);
    else out[name] = v;
  }
  return out as T;
}

function readOne(r: ProtoReader, f: FieldSpec, wireType: number, spec: MessageSpec): unknown {
  const kind = f.kind;
  if (typeof kind === 'object' || kind === 'bytes' || kind === 'string') {
    if (wireType !== WIRE_LEN) throw new Error(`protobuf: field ${f.no} of ${spec.name} has wire type ${wireType}, expected ${WIRE_LEN}`);
    const { start, end } = r.lengthDelimited();
    if (typeof kind === 'object') return decodeMessage(kind, r.buf, start, end);
    if (kind === 'string') return r.buf.toString('utf8', start, end);
    return r.buf.subarray(start, end);
  }
  if (wireType !== WIRE_VARINT) throw new Error(`protobuf: field ${f.no} of ${spec.name} has wire type ${wireType}, expected ${WIRE_VARINT}`);
  const v = r.varint();
  switch (kind) {
    case 'int64':
    case 'enum':
      return toInt64(v);
    case 'uint64':
      return toUint64(v);
    case 'bool':
      return v !== 0;
  }
}

function defaultOf(kind: ScalarKind): unknown {
  switch (kind) {
    case 'int64':
    case 'enum':
      return 0;
    case 'uint64':
      return 0n;
    case 'bool':
      return false;
    case 'bytes':
      return EMPTY;
    case 'string':
      return '';
  }
}

const EMPTY = Buffer.alloc(0);
