/**
 * The request/response contract between clients and the API server, independent of HTTP. The
 * HTTPS front end adapts node:http to it; the in-process transport calls the same handler with
 * the same values, so a component behaves identically in the all-in-one server and over the wire.
 */

/** Who is making a request, after authentication. */
export interface UserInfo {
  /** e.g. `admin`, `system:node:node-1`, `system:anonymous`. */
  name: string;
  groups: string[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface ApiRequest {
  method: HttpMethod;
  /** URL path without the query string, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  /** The raw body, if any. */
  body?: Uint8Array;
  user: UserInfo;
  /** Aborted when the client goes away (ends watches and log streams). */
  signal: AbortSignal;
  /**
   * In-process callers only: the body as the JSON value it encodes, handed over (the server owns
   * it from now on), so a JSON, patch or apply body needs no parse. `body` still yields the bytes
   * for readers that want them.
   */
  bodyValue?: unknown;
  /**
   * In-process callers only: the caller takes decoded values — `value` on JSON responses, `values`
   * on watch streams — instead of bytes. Values may be frozen objects shared with the server's
   * cache: readers copy before they edit.
   */
  acceptsValues?: boolean;
}

/** A finished response with a complete body. */
export interface ApiBodyResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
  /**
   * The JSON value `body` encodes, when the server built the response from one (then `body` may
   * be encoded only when read). Possibly frozen and shared with the server's cache.
   */
  value?: unknown;
}

/** A streamed response (watch, `logs -f`): chunks are written and flushed as they come. */
export interface ApiStreamResponse {
  status: number;
  headers: Record<string, string>;
  stream: AsyncIterable<Uint8Array | string>;
  /**
   * For a request with `acceptsValues`: the JSON values the stream's lines encode (watch events),
   * objects shared with the server's cache. Read this or `stream`, never both: they are two views
   * of one source (a wrapper that transforms `stream` transforms `values` alike).
   */
  values?: AsyncIterable<unknown>;
}

export type ApiResponse = ApiBodyResponse | ApiStreamResponse;

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse>;

export function isStreamResponse(res: ApiResponse): res is ApiStreamResponse {
  return 'stream' in res;
}
