/**
 * How the client reaches an API server. Two implementations with one contract: `httpTransport`
 * (HTTPS to a remote server) and `inProcessTransport` (calls the server's ApiHandler directly in
 * the all-in-one process). Everything above this line — status-to-error mapping, retries, watch
 * decoding — is shared, so a component behaves the same whichever transport it was given.
 */
import type { HttpMethod } from '../api/http.js';

export interface TransportRequest {
  method: HttpMethod;
  /** Path without query, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query?: URLSearchParams;
  /** Extra headers (lower- or mixed-case); the transport adds authentication itself. */
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /**
   * For transports with `passesValues`: the body as a JSON value instead of `body`'s bytes. The
   * transport hands it to the server, which owns it from then on.
   */
  bodyValue?: unknown;
  /** Aborts the request, or ends a streamed response. */
  signal?: AbortSignal;
  /**
   * Stream the response body (watch, `log?follow=true`) instead of buffering it. A streamed
   * response's body must be consumed or cancelled through `signal`.
   */
  stream?: boolean;
  /** Fails a buffered request that has not completed in time. Ignored for streams. */
  timeoutMs?: number;
}

/** A response with the whole body read. */
export interface BufferedResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Uint8Array | string;
  /**
   * Transports with `passesValues`: the JSON value the body encodes, when the server had it (then
   * `body` is encoded only if read). Possibly frozen and shared with the server: copy to edit.
   */
  value?: unknown;
}

/** A response whose body arrives in chunks. */
export interface StreamedResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array | string>;
  /**
   * Transports with `passesValues`: the JSON values the body's lines encode (watch events), when
   * the server streamed values. Read this or `body`, not both. Values may be frozen and shared.
   */
  values?: AsyncIterable<unknown>;
}

export interface Transport {
  /** Where requests go, for messages (`https://127.0.0.1:6443`, `in-process`). */
  readonly description: string;
  /**
   * True when the transport carries JSON values as they are (`bodyValue`, `value`, `values`)
   * instead of bytes: the in-process transport, where encoding and parsing would be pure cost.
   */
  readonly passesValues?: boolean;
  request(req: TransportRequest & { stream?: false }): Promise<BufferedResponse>;
  request(req: TransportRequest & { stream: true }): Promise<StreamedResponse>;
  request(req: TransportRequest): Promise<BufferedResponse | StreamedResponse>;
  /** Releases pooled connections. */
  close(): void;
}

/**
 * A failure to get any response: connection refused or reset, TLS failure, timeout. `sent`
 * says whether the request may have reached the server, which decides if a write is safe to
 * retry (a refused connection means the server never saw it).
 */
export class TransportError extends Error {
  /** The system error code, e.g. ECONNREFUSED, ECONNRESET, ETIMEDOUT. */
  readonly code: string;
  /** False only when the server cannot have acted on the request. */
  readonly sent: boolean;

  constructor(message: string, code: string, sent: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TransportError';
    this.code = code;
    this.sent = sent;
  }
}

/** Concatenates a streamed body (used when a stream request got an error status). */
export async function readAll(body: AsyncIterable<Uint8Array | string>): Promise<Uint8Array | string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return Buffer.concat(chunks);
}

/** Decodes a body as UTF-8 text. */
export function bodyText(body: Uint8Array | string): string {
  return typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}
