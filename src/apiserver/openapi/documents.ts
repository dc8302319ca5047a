/**
 * The OpenAPI documents the API server publishes: `/openapi/v2` (JSON, and the gnostic protobuf
 * kubectl 1.27/1.28 insist on), the `/openapi/v3` root and one v3 document per served
 * group-version. Each is built once per process, on first request, and carries a content hash used
 * for `?hash=` URLs and ETags, as the real server does.
 */
import { createHash } from 'node:crypto';
import { apiGroups } from '../../api/resources.js';
import { buildDefinitions, type JsonSchema } from './schemas.js';
import { groupVersionPaths, groupVersionRoots } from './paths.js';
import { encodeOpenApiV2 } from './v2-proto.js';

/** `info.version` of every document. */
export const OPENAPI_INFO_VERSION = 'v1.33.0';
export const OPENAPI_TITLE = 'Kubernetes';

/** Media type of the v2 protobuf document (what kubectl asks for). */
export const OPENAPI_V2_PROTOBUF_TYPE = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** A serialized document with its content hash (upper-case hex SHA-512, as kube-openapi) and ETag. */
export interface SerializedDocument {
  body: Buffer;
  hash: string;
  etag: string;
}

function serialize(body: Buffer): SerializedDocument {
  const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
  return { body, hash, etag: `"${hash}"` };
}

/** `api/v1`, `apis/apps/v1`: the key of a group-version in the v3 root. */
export function groupVersionKey(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function servedGroupVersions(): Array<{ group: string; version: string }> {
  return apiGroups().flatMap((g) => g.versions.map((version) => ({ group: g.group, version })));
}

const v3Docs = new Map<string, { json: JsonSchema; doc: SerializedDocument }>();

function buildV3(group: string, version: string): { json: JsonSchema; doc: SerializedDocument } {
  const json: JsonSchema = {
    openapi: '3.0.0',
    info: { title: OPENAPI_TITLE, version: OPENAPI_INFO_VERSION },
    paths: groupVersionPaths('v3', group, version),
    components: { schemas: buildDefinitions(groupVersionRoots(group, version), 'v3') },
  };
  return { json, doc: serialize(Buffer.from(JSON.stringify(json))) };
}

/**
 * The v3 document of a group-version by its root key (`api/v1`, `apis/apps/v1`), or undefined when
 * that group-version is not served.
 */
export function openApiV3Document(key: string): { json: JsonSchema; doc: SerializedDocument } | undefined {
  const cached = v3Docs.get(key);
  if (cached) return cached;
  const gv = servedGroupVersions().find((g) => groupVersionKey(g.group, g.version) === key);
  if (!gv) return undefined;
  const built = buildV3(gv.group, gv.version);
  v3Docs.set(key, built);
  return built;
}

let v3Root: { json: JsonSchema; doc: SerializedDocument } | undefined;

/** `/openapi/v3`: every served group-version with a `serverRelativeURL` carrying its content hash. */
export function openApiV3Root(): { json: JsonSchema; doc: SerializedDocument } {
  if (v3Root) return v3Root;
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of servedGroupVersions()) {
    const key = groupVersionKey(gv.group, gv.version);
    const doc = openApiV3Document(key);
    if (doc) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${doc.doc.hash}` };
  }
  const json = { paths };
  v3Root = { json, doc: serialize(Buffer.from(JSON.stringify(json))) };
  return v3Root;
}

let v2: { json: JsonSchema; doc: SerializedDocument; proto?: SerializedDocument } | undefined;

function buildV2(): { json: JsonSchema; doc: SerializedDocument } {
  const paths: Record<string, JsonSchema> = {};
  const roots: string[] = [];
  for (const gv of servedGroupVersions()) {
    Object.assign(paths, groupVersionPaths('v2', gv.group, gv.version));
    roots.push(...groupVersionRoots(gv.group, gv.version));
  }
  const sortedPaths: Record<string, JsonSchema> = {};
  for (const k of Object.keys(paths).sort()) sortedPaths[k] = paths[k] as JsonSchema;
  const json: JsonSchema = {
    swagger: '2.0',
    info: { title: OPENAPI_TITLE, version: OPENAPI_INFO_VERSION },
    paths: sortedPaths,
    definitions: buildDefinitions(roots, 'v2'),
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' } },
    security: [{ BearerToken: [] }],
  };
  return { json, doc: serialize(Buffer.from(JSON.stringify(json))) };
}

/** `/openapi/v2` as JSON. */
export function openApiV2(): { json: JsonSchema; doc: SerializedDocument } {
  v2 ??= buildV2();
  return v2;
}

/** `/openapi/v2` as a gnostic `openapi.v2.Document` (protobuf), the only form kubectl 1.27/1.28 accept. */
export function openApiV2Protobuf(): SerializedDocument {
  const doc = openApiV2();
  if (!v2?.proto) {
    const proto = serialize(Buffer.from(encodeOpenApiV2(doc.json)));
    v2 = { ...doc, proto };
    return proto;
  }
  return v2.proto;
}

/** Drops every cached document (tests that swap schema docs). */
export function resetOpenApiCache(): void {
  v3Docs.clear();
  v3Root = undefined;
  v2 = undefined;
}
