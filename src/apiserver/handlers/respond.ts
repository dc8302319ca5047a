/**
 * Response builders: JSON bodies, Status errors, lists encoded without re-serialising cached
 * objects, and watch streams framed as Kubernetes frames them (one JSON event per line).
 */
import type { ApiBodyResponse, ApiStreamResponse } from '../../api/http.js';
import { StatusError, internalError, type Status } from '../../api/errors.js';
import type { CacheEntry } from '../registry/object-cache.js';
import { entryJson } from '../registry/object-cache.js';

export const JSON_TYPE = 'application/json';

/**
 * A JSON response. Given a value (not pre-encoded text), the response carries it as `value` and
 * encodes `body` only when something reads it: the HTTPS front end does, the in-process transport
 * hands the value over instead (ApiRequest.acceptsValues), so no JSON is written or parsed.
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): ApiBodyResponse {
  const h = { 'content-type': JSON_TYPE, ...headers };
  if (typeof body === 'string') return { status, headers: h, body };
  return valueResponse(status, h, body);
}

/**
 * A response for `value` whose text, when read, comes from `encode` (default JSON.stringify) — e.g.
 * a cached object's shared JSON — computed at most once. `value` must not change afterwards.
 */
export function valueResponse(status: number, headers: Record<string, string>, value: unknown, encode?: () => string): ApiBodyResponse {
  let text: string | undefined;
  return {
    status,
    headers,
    value,
    get body(): string {
      return (text ??= encode ? encode() : JSON.stringify(value));
    },
  };
}

export function errorResponse(err: unknown, log?: (msg: string) => void): ApiBodyResponse {
  const se = err instanceof StatusError ? err : internalError(err);
  if (!(err instanceof StatusError) && log) log(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  const headers: Record<string, string> = {};
  if (se.details?.retryAfterSeconds) headers['retry-after'] = String(se.details.retryAfterSeconds);
  return jsonResponse(se.code, se.toStatus(), headers);
}

export function successStatus(details: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}), code: 200 } as Status;
}

/** The JSON of a cached object, with a different resourceVersion when the event needs one. */
export function objectJson(entry: CacheEntry, rvOverride?: string): string {
  if (rvOverride === undefined) return entryJson(entry);
  const obj = entry.obj;
  return JSON.stringify({ ...obj, metadata: { ...obj.metadata, resourceVersion: rvOverride } });
}

/**
 * A list response assembled from cached JSON strings: the expensive part (serialising each object)
 * is done once per object version and shared by every list and watch.
 */
export function listBody(apiVersion: string, kind: string, meta: Record<string, unknown>, items: CacheEntry[]): string {
  const parts: string[] = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) parts[i] = entryJson(items[i]!);
  return `{"kind":${JSON.stringify(kind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(meta)},"items":[${parts.join(',')}]}`;
}

export function streamResponse(stream: AsyncIterable<string>, contentType = JSON_TYPE): ApiStreamResponse {
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-cache, private' }, stream };
}
