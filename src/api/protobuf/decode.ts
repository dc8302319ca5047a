/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`, which kubectl
 * 1.32+ sends for typed-client creates) into the JSON object a JSON client would have sent, using the
 * schema tables' protobuf numbers.
 *
 * Wire format (apimachinery runtime/serializer/protobuf): the 4 magic bytes `k8s\0`, then a
 * `runtime.Unknown` {1: TypeMeta{1 apiVersion, 2 kind}, 2: raw, 3: contentEncoding, 4: contentType}
 * whose `raw` is the object's message.
 *
 * Go's generated marshalers write every non-pointer field, even when zero, while `encoding/json`
 * omits zero `omitempty` fields; so zero scalars are dropped unless the field is a pointer or has no
 * omitempty (required), and an empty Time is `null`, matching the JSON body of the same object.
 */
import { badRequest, type StatusError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { isScalarType, isSpecialType, protoFieldsOf, typeForApiVersionKind } from '../schema/registry.js';
import type { FieldSchema } from '../schema/types.js';
import { ProtoError, ProtoReader, type WireValue } from './reader.js';
import { WIRE_BYTES, WIRE_FIXED64, WIRE_VARINT } from './writer.js';

/** The media type of Kubernetes protobuf bodies. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** `k8s\0`: the prefix of every Kubernetes protobuf envelope. */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ProtoError('string field is not valid UTF-8');
  }
}

function expectWire(v: WireValue, wire: number, what: string): void {
  if (v.wire !== wire) throw new ProtoError(`${what}: wire type ${v.wire}, expected ${wire}`);
}

function varintOf(v: WireValue, what: string): bigint {
  expectWire(v, WIRE_VARINT, what);
  return v.value as bigint;
}

function bytesOf(v: WireValue, what: string): Uint8Array {
  expectWire(v, WIRE_BYTES, what);
  return v.value as Uint8Array;
}

/** All fields of a message as (number, value) pairs. */
function fieldsOf(bytes: Uint8Array): Array<{ field: number; value: WireValue }> {
  const r = new ProtoReader(bytes);
  const out: Array<{ field: number; value: WireValue }> = [];
  while (!r.done) out.push(r.next());
  return out;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** RFC 3339 as metav1.Time marshals it (seconds precision) or MicroTime (microseconds). */
function formatTime(seconds: bigint, nanos: number, micro: boolean): string {
  const ms = Number(seconds) * 1000;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new ProtoError(`timestamp ${seconds}s is out of range`);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`;
  return micro ? `${base}.${pad(Math.floor(nanos / 1000), 6)}Z` : `${base}Z`;
}

/** Go's time.Duration.String() for a metav1.Duration. */
function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let v = neg ? -ns : ns;
  if (v < 1_000_000_000n) {
    const unit = v < 1000n ? ['ns', 1n] : v < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
    const n = Number(v) / Number(unit[1]);
    return `${neg ? '-' : ''}${n}${unit[0] as string}`;
  }
  const h = v / 3_600_000_000_000n;
  v -= h * 3_600_000_000_000n;
  const m = v / 60_000_000_000n;
  v -= m * 60_000_000_000n;
  const s = Number(v) / 1e9;
  return `${neg ? '-' : ''}${h > 0n ? `${h}h` : ''}${h > 0n || m > 0n ? `${m}m` : ''}${s}s`;
}

function decodeSpecial(type: string, bytes: Uint8Array): unknown {
  const fields = fieldsOf(bytes);
  const get = (n: number) => fields.filter((f) => f.field === n).pop()?.value;
  switch (type) {
    case 'Time':
    case 'MicroTime': {
      if (bytes.length === 0) return null; // zero time marshals as an empty message; JSON says null
      const s = get(1);
      const n = get(2);
      const seconds = s ? BigInt.asIntN(64, varintOf(s, 'Time.seconds')) : 0n;
      const nanos = n ? Number(BigInt.asIntN(32, varintOf(n, 'Time.nanos'))) : 0;
      return formatTime(seconds, nanos, type === 'MicroTime');
    }
    case 'Quantity': {
      const s = get(1);
      return s ? text(bytesOf(s, 'Quantity.string')) : '0';
    }
    case 'IntOrString': {
      const t = get(1);
      const kind = t ? Number(varintOf(t, 'IntOrString.type')) : 0;
      if (kind === 1) {
        const s = get(3);
        return s ? text(bytesOf(s, 'IntOrString.strVal')) : '';
      }
      const i = get(2);
      return i ? Number(BigInt.asIntN(32, varintOf(i, 'IntOrString.intVal'))) : 0;
    }
    case 'Duration': {
      const d = get(1);
      return formatDuration(d ? BigInt.asIntN(64, varintOf(d, 'Duration')) : 0n);
    }
    case 'RawExtension':
    case 'FieldsV1':
    case 'JSON': {
      const raw = get(1);
      const data = raw ? bytesOf(raw, `${type}.raw`) : new Uint8Array();
      if (data.length === 0) return null;
      if (startsWithMagic(data)) return decodeEnvelope(data);
      try {
        return JSON.parse(text(data)) as unknown;
      } catch {
        throw new ProtoError(`${type} does not hold JSON`);
      }
    }
    default:
      throw new ProtoError(`no protobuf decoding for ${type}`);
  }
}

function decodeScalar(field: FieldSchema, v: WireValue): unknown {
  const what = field.name;
  switch (field.type) {
    case 'string':
      return text(bytesOf(v, what));
    case 'bytes':
      return Buffer.from(bytesOf(v, what)).toString('base64');
    case 'boolean':
      return varintOf(v, what) !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, varintOf(v, what)));
    case 'int64':
      return Number(BigInt.asIntN(64, varintOf(v, what)));
    case 'double': {
      expectWire(v, WIRE_FIXED64, what);
      const b = v.value as Uint8Array;
      return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
    }
    default:
      throw new ProtoError(`${what}: unexpected scalar type ${field.type}`);
  }
}

function isVarintScalar(type: string): boolean {
  return type === 'int32' || type === 'int64' || type === 'boolean';
}

/** One element of `field.type` (a scalar, special type or message). */
function decodeValue(field: FieldSchema, v: WireValue): unknown {
  if (isScalarType(field.type)) return decodeScalar(field, v);
  const bytes = bytesOf(v, field.name);
  if (isSpecialType(field.type)) return decodeSpecial(field.type, bytes);
  return decodeMessage(field.type, bytes);
}

/** Packed repeated scalars (`[packed=true]` or proto3 default) as well as unpacked ones. */
function decodeRepeated(field: FieldSchema, v: WireValue, into: unknown[]): void {
  if (v.wire === WIRE_BYTES && isVarintScalar(field.type)) {
    const payload = v.value as Uint8Array;
    let pos = 0;
    while (pos < payload.length) {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        if (pos >= payload.length) throw new ProtoError(`${field.name}: truncated packed varint`);
        const b = payload[pos++] as number;
        result |= BigInt(b & 0x7f) << shift;
        if ((b & 0x80) === 0) break;
        shift += 7n;
        if (shift > 63n) throw new ProtoError(`${field.name}: packed varint too long`);
      }
      into.push(decodeScalar(field, { wire: WIRE_VARINT, value: result }));
    }
    return;
  }
  into.push(decodeValue(field, v));
}

function isZero(value: unknown): boolean {
  return value === '' || value === 0 || value === false;
}

/** Decodes a message of schema type `typeName` into its JSON object. */
export function decodeMessage(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const byTag = protoFieldsOf(typeName);
  const out: Record<string, unknown> = {};
  for (const { field: tag, value } of fieldsOf(bytes)) {
    const field = byTag.get(tag);
    if (!field) continue; // unknown fields are skipped, as Go's generated unmarshalers do
    if (field.inline) {
      Object.assign(out, decodeMessage(field.type, bytesOf(value, field.name)));
      continue;
    }
    if (field.list) {
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      decodeRepeated(field, value, list);
      out[field.name] = list;
      continue;
    }
    if (field.map) {
      const entry = fieldsOf(bytesOf(value, field.name));
      let key = '';
      let val: unknown = isScalarType(field.type) ? decodeZero(field) : isSpecialType(field.type) ? decodeSpecial(field.type, new Uint8Array()) : {};
      for (const e of entry) {
        if (e.field === 1) key = text(bytesOf(e.value, `${field.name} key`));
        else if (e.field === 2) val = decodeValue(field, e.value);
      }
      const map = (out[field.name] as Record<string, unknown> | undefined) ?? {};
      map[key] = val;
      out[field.name] = map;
      continue;
    }
    const decoded = decodeValue(field, value);
    if (isZero(decoded) && !field.pointer && !field.required) {
      delete out[field.name]; // a later occurrence wins; a zero non-pointer is "omitted"
      continue;
    }
    // Messages of the same field merge in protobuf; Kubernetes never sends a non-repeated one twice.
    out[field.name] = decoded;
  }
  return out;
}

function decodeZero(field: FieldSchema): unknown {
  switch (field.type) {
    case 'string':
    case 'bytes':
      return '';
    case 'boolean':
      return false;
    default:
      return 0;
  }
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && PROTOBUF_MAGIC.every((b, i) => bytes[i] === b);
}

function decodeEnvelope(bytes: Uint8Array): KubeObject {
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array();
  let contentEncoding = '';
  for (const { field, value } of fieldsOf(bytes.subarray(4))) {
    if (field === 1) {
      for (const tm of fieldsOf(bytesOf(value, 'typeMeta'))) {
        if (tm.field === 1) apiVersion = text(bytesOf(tm.value, 'apiVersion'));
        else if (tm.field === 2) kind = text(bytesOf(tm.value, 'kind'));
      }
    } else if (field === 2) raw = bytesOf(value, 'raw');
    else if (field === 3) contentEncoding = text(bytesOf(value, 'contentEncoding'));
  }
  if (contentEncoding) throw new ProtoError(`unsupported content encoding "${contentEncoding}"`);
  if (!kind) throw new ProtoError('the envelope has no kind');
  const type = typeForApiVersionKind(apiVersion, kind);
  if (!type) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
  return { apiVersion, kind, ...decodeMessage(type.name, raw) };
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` request body into the equivalent JSON object
 * (with `apiVersion` and `kind` from the envelope). Malformed input is a 400 BadRequest.
 */
export function decodeProtobufObject(bytes: Uint8Array): KubeObject {
  if (!startsWithMagic(bytes)) {
    throw badRequest('the body is not a Kubernetes protobuf object: it does not start with the "k8s\\x00" prefix');
  }
  try {
    return decodeEnvelope(bytes);
  } catch (err) {
    if (err instanceof ProtoError) throw protobufError(err);
    throw err;
  }
}

function protobufError(err: ProtoError): StatusError {
  return badRequest(`unable to decode the protobuf body: ${err.message}`);
}
