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
}

/** A finished response with a complete body. */
export interface ApiBodyResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array | string;
}

/** A streamed response (watch, `logs -f`): chunks are written and flushed as they come. */
export interface ApiStreamResponse {
  status: number;
  headers: Record<string, string>;
  stream: AsyncIterable<Uint8Array | string>;
}

export type ApiResponse = ApiBodyResponse | ApiStreamResponse;

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse>;

export function isStreamResponse(res: ApiResponse): res is ApiStreamResponse {
  return 'stream' in res;
}
