/**
 * Request body decoding: JSON, YAML, Kubernetes protobuf, and the four PATCH media types, with a
 * clear 4xx for anything malformed or unsupported (never a crash).
 */
import { parse as parseYaml } from 'yaml';
import type { ApiRequest } from '../../api/http.js';
import type { KubeObject } from '../../api/object.js';
import { badRequest, tooLarge, unsupportedMediaType } from '../../api/errors.js';
import { mediaType } from './negotiate.js';

/** Kubernetes refuses request bodies over 3 MiB (etcd's value limit is ~1.5 MiB; objects stay well below). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+cbor': 'apply',
};

/** Decoder for protobuf bodies; installed by the server when protobuf support is available. */
export type ProtobufDecoder = (bytes: Uint8Array) => KubeObject;

function bodyBytes(req: ApiRequest): Uint8Array {
  const body = req.body ?? new Uint8Array();
  if (body.byteLength > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
  return body;
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function parseJsonText(s: string, what = 'request body'): unknown {
  try {
    return JSON.parse(s);
  } catch (err) {
    throw badRequest(`the ${what} is not valid JSON: ${(err as Error).message}`);
  }
}

export function parseYamlText(s: string, what = 'request body'): unknown {
  try {
    // YAML 1.2 core schema, one document, no custom tags: what Kubernetes' sigs.k8s.io/yaml accepts.
    return parseYaml(s, { strict: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (err) {
    throw badRequest(`the ${what} is not valid YAML: ${(err as Error).message}`);
  }
}

function requireObject(v: unknown): KubeObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw badRequest('the body of the request must be a JSON object (a Kubernetes object with apiVersion, kind and metadata)');
  }
  return v as KubeObject;
}

/**
 * Media types whose body an in-process caller may hand over as a value (ApiRequest.bodyValue):
 * JSON and the patch types. An apply patch is YAML, of which JSON is a subset, so the value of
 * its JSON text is what the YAML parser would have produced.
 */
const VALUE_TYPES = new Set(['', 'application/json', ...Object.keys(PATCH_TYPES).filter((t) => !t.endsWith('cbor'))]);

/** The in-process caller's decoded body, when it gave one for a media type that allows it. */
function valueOf(req: ApiRequest, type: string): { value: unknown } | undefined {
  return req.bodyValue !== undefined && VALUE_TYPES.has(type) ? { value: req.bodyValue } : undefined;
}

/** Decodes the object of a POST/PUT. */
export function decodeObjectBody(req: ApiRequest, protobuf?: ProtobufDecoder): KubeObject {
  const type = mediaType(req.headers['content-type']);
  const given = type === '' || type === 'application/json' ? valueOf(req, type) : undefined;
  if (given) return requireObject(given.value);
  const bytes = bodyBytes(req);
  if (bytes.byteLength === 0) throw badRequest('the request body is empty; expected an object');
  switch (type) {
    case '':
    case 'application/json':
      return requireObject(parseJsonText(text(bytes)));
    case 'application/yaml':
    case 'application/x-yaml':
    case 'text/yaml':
      return requireObject(parseYamlText(text(bytes)));
    case PROTOBUF_TYPE:
      if (protobuf) return protobuf(bytes);
      break;
  }
  throw unsupportedMediaType(type, ['application/json', 'application/yaml', PROTOBUF_TYPE]);
}

/** Decodes an optional JSON body (DeleteOptions); empty means none. */
export function decodeOptionalJson(req: ApiRequest): Record<string, unknown> | undefined {
  const type = mediaType(req.headers['content-type']);
  const given = valueOf(req, type);
  let v: unknown;
  if (given) {
    v = given.value;
  } else {
    const bytes = bodyBytes(req);
    if (bytes.byteLength === 0) return undefined;
    const s = text(bytes);
    v = type.includes('yaml') ? parseYamlText(s) : parseJsonText(s);
  }
  if (v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest('the request body must be a JSON object');
  return v as Record<string, unknown>;
}

export interface DecodedPatch {
  type: PatchType;
  body: unknown;
}

/** Decodes a PATCH body according to its media type. */
export function decodePatchBody(req: ApiRequest): DecodedPatch {
  const ct = mediaType(req.headers['content-type']);
  const type = PATCH_TYPES[ct];
  if (!type || ct === 'application/apply-patch+cbor') {
    throw unsupportedMediaType(ct, Object.keys(PATCH_TYPES).filter((t) => !t.endsWith('cbor')));
  }
  const given = valueOf(req, ct);
  let body: unknown;
  if (given) {
    body = given.value;
  } else {
    const bytes = bodyBytes(req);
    if (bytes.byteLength === 0) throw badRequest('the patch body is empty');
    const s = text(bytes);
    body = type === 'apply' ? parseYamlText(s, 'apply patch') : parseJsonText(s, 'patch');
  }
  if (type === 'json') {
    if (!Array.isArray(body)) throw badRequest('json patch must be a JSON array of operations');
  } else if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest(`${type === 'apply' ? 'apply' : type + ' merge'} patch must be a JSON object`);
  }
  return { type, body };
}
