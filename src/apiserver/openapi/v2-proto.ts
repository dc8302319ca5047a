/**
 * Encodes a Swagger 2.0 JSON document as a gnostic `openapi.v2.Document` (OpenAPIv2.proto), the
 * form kubectl 1.27/1.28 download from `/openapi/v2`. Field numbers are gnostic's wire facts;
 * vendor extensions travel as `Any{yaml}` as gnostic stores them.
 */
import { stringify } from 'yaml';
import { ProtoWriter } from '../../api/protobuf/writer.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function anyYaml(value: unknown): ProtoWriter {
  return new ProtoWriter().string(2, stringify(value));
}

function vendorExtensions(w: ProtoWriter, field: number, obj: Json): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith('x-')) w.message(field, new ProtoWriter().string(1, k).message(2, anyYaml(v)));
  }
}

function schema(s: Json): ProtoWriter {
  const w = new ProtoWriter();
  const ref = str(s.$ref);
  if (ref) w.string(1, ref);
  if (str(s.format)) w.string(2, s.format as string);
  if (str(s.description)) w.string(4, s.description as string);
  if (Array.isArray(s.required)) for (const r of s.required) w.string(19, String(r));
  if (Array.isArray(s.enum)) for (const e of s.enum) w.message(20, anyYaml(e));
  if (isObj(s.additionalProperties)) w.message(21, new ProtoWriter().message(1, schema(s.additionalProperties)));
  if (str(s.type)) w.message(22, new ProtoWriter().string(1, s.type as string));
  if (isObj(s.items)) w.message(23, new ProtoWriter().message(1, schema(s.items)));
  if (Array.isArray(s.allOf)) for (const a of s.allOf) if (isObj(a)) w.message(24, schema(a));
  if (isObj(s.properties)) {
    const props = new ProtoWriter();
    for (const [name, p] of Object.entries(s.properties)) if (isObj(p)) props.message(1, new ProtoWriter().string(1, name).message(2, schema(p)));
    w.message(25, props);
  }
  vendorExtensions(w, 31, s);
  return w;
}

function parameter(p: Json): ProtoWriter {
  const where = str(p.in) ?? 'query';
  if (where === 'body') {
    const body = new ProtoWriter();
    if (str(p.description)) body.string(1, p.description as string);
    body.string(2, str(p.name) ?? 'body').string(3, 'body');
    if (p.required === true) body.bool(4, true);
    if (isObj(p.schema)) body.message(5, schema(p.schema));
    return new ProtoWriter().message(1, new ProtoWriter().message(1, body));
  }
  const sub = new ProtoWriter();
  if (p.required === true) sub.bool(1, true);
  sub.string(2, where);
  if (str(p.description)) sub.string(3, p.description as string);
  sub.string(4, str(p.name) ?? '');
  // QueryParameterSubSchema: type=6, unique_items=20; PathParameterSubSchema: type=5, unique_items=19.
  const isPath = where === 'path';
  if (str(p.type)) sub.string(isPath ? 5 : 6, p.type as string);
  if (p.uniqueItems === true) sub.bool(isPath ? 19 : 20, true);
  const nonBody = new ProtoWriter().message(isPath ? 4 : 3, sub);
  return new ProtoWriter().message(1, new ProtoWriter().message(2, nonBody));
}

function operation(op: Json): ProtoWriter {
  const w = new ProtoWriter();
  if (Array.isArray(op.tags)) for (const t of op.tags) w.string(1, String(t));
  if (str(op.description)) w.string(3, op.description as string);
  if (str(op.operationId)) w.string(5, op.operationId as string);
  if (Array.isArray(op.produces)) for (const t of op.produces) w.string(6, String(t));
  if (Array.isArray(op.consumes)) for (const t of op.consumes) w.string(7, String(t));
  if (Array.isArray(op.parameters)) for (const p of op.parameters) if (isObj(p)) w.message(8, parameter(p));
  if (isObj(op.responses)) {
    const responses = new ProtoWriter();
    for (const [code, r] of Object.entries(op.responses)) {
      if (!isObj(r)) continue;
      const resp = new ProtoWriter().string(1, str(r.description) ?? '');
      if (isObj(r.schema)) resp.message(2, new ProtoWriter().message(1, schema(r.schema)));
      responses.message(1, new ProtoWriter().string(1, code).message(2, new ProtoWriter().message(1, resp)));
    }
    w.message(9, responses);
  }
  if (Array.isArray(op.schemes)) for (const s of op.schemes) w.string(10, String(s));
  vendorExtensions(w, 13, op);
  return w;
}

const OPERATION_FIELDS: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

function pathItem(item: Json): ProtoWriter {
  const w = new ProtoWriter();
  for (const [verb, field] of Object.entries(OPERATION_FIELDS)) {
    const op = item[verb];
    if (isObj(op)) w.message(field, operation(op));
  }
  if (Array.isArray(item.parameters)) for (const p of item.parameters) if (isObj(p)) w.message(9, parameter(p));
  vendorExtensions(w, 10, item);
  return w;
}

/** The gnostic protobuf encoding of a Swagger 2.0 document. */
export function encodeOpenApiV2(doc: Json): Uint8Array {
  const w = new ProtoWriter();
  w.string(1, str(doc.swagger) ?? '2.0');
  if (isObj(doc.info)) {
    const info = new ProtoWriter().string(1, str(doc.info.title) ?? '').string(2, str(doc.info.version) ?? '');
    w.message(2, info);
  }
  if (isObj(doc.paths)) {
    const paths = new ProtoWriter();
    for (const [p, item] of Object.entries(doc.paths)) if (isObj(item)) paths.message(2, new ProtoWriter().string(1, p).message(2, pathItem(item)));
    w.message(8, paths);
  }
  if (isObj(doc.definitions)) {
    const defs = new ProtoWriter();
    for (const [name, s] of Object.entries(doc.definitions)) if (isObj(s)) defs.message(1, new ProtoWriter().string(1, name).message(2, schema(s)));
    w.message(9, defs);
  }
  if (Array.isArray(doc.security)) {
    for (const req of doc.security) {
      if (!isObj(req)) continue;
      const r = new ProtoWriter();
      for (const [name, scopes] of Object.entries(req)) {
        const arr = new ProtoWriter();
        if (Array.isArray(scopes)) for (const s of scopes) arr.string(1, String(s));
        r.message(1, new ProtoWriter().string(1, name).message(2, arr));
      }
      w.message(12, r);
    }
  }
  if (isObj(doc.securityDefinitions)) {
    const defs = new ProtoWriter();
    for (const [name, d] of Object.entries(doc.securityDefinitions)) {
      if (!isObj(d) || d.type !== 'apiKey') continue;
      const key = new ProtoWriter().string(1, 'apiKey').string(2, str(d.name) ?? '').string(3, str(d.in) ?? '');
      if (str(d.description)) key.string(4, d.description as string);
      defs.message(1, new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(2, key)));
    }
    w.message(13, defs);
  }
  return w.finish();
}
