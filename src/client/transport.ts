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
}

/** A response whose body arrives in chunks. */
export interface StreamedResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array | string>;
}

export interface Transport {
  /** Where requests go, for messages (`https://127.0.0.1:6443`, `in-process`). */
  readonly description: string;
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
