/**
 * Executes requests over a Transport with the retry rules of client-go's rest.Request:
 * - a response the server marked as "try again" (429, or 5xx with Retry-After) is retried for
 *   every verb, since the server says it did not act — up to MAX_RETRY_AFTER_RETRIES times;
 * - a connection failure is retried for reads (GET, and watch/stream setup), and for writes only
 *   when the request cannot have reached the server (connection refused);
 * - everything else surfaces: non-2xx as StatusError, connection failures as TransportError.
 */
import type { HttpMethod } from '../api/http.js';
import type { StatusError } from '../api/errors.js';
import type { Clock } from './clock.js';
import { realClock, sleep } from './clock.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { RequestDescription } from './response-error.js';
import { responseError } from './response-error.js';
import type { BufferedResponse, StreamedResponse, Transport, TransportRequest } from './transport.js';
import { clone } from '../api/object.js';
import { decodeJsonStream } from './watch-decoder.js';
import { bodyText, readAll, TransportError } from './transport.js';
import { jitter } from './backoff.js';

/** Retries of a response that carried Retry-After (client-go's default maxRetries). */
export const MAX_RETRY_AFTER_RETRIES = 10;
/** Retries of a read after a connection failure. */
export const MAX_NETWORK_RETRIES = 5;
/** First delay between network retries (doubles each time, jittered). */
export const NETWORK_RETRY_BASE_MS = 100;
/** Longest Retry-After honoured; a larger value is clamped so callers are not stalled for minutes. */
export const MAX_RETRY_AFTER_MS = 30_000;

export interface RestRequest {
  method: HttpMethod;
  path: string;
  query?: URLSearchParams;
  /** An object is sent as JSON; a string or bytes as-is. */
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** For error messages of bodies that are not a Status. */
  describe?: RequestDescription;
  /**
   * The caller takes the response's objects frozen and shared with other readers in this process
   * (informers, which freeze their caches anyway): a transport that passes values then hands them
   * over without a copy. Others always get objects of their own.
   */
  sharedObjects?: boolean;
}

export interface RestClientOptions {
  logger?: Logger;
  clock?: Clock;
  /** Extra headers on every request (e.g. user-agent). */
  headers?: Record<string, string>;
}

/** Sends requests, decodes JSON, maps failures to StatusError / TransportError. */
export class RestClient {
  readonly logger: Logger;
  readonly clock: Clock;

  constructor(
    readonly transport: Transport,
    private readonly opts: RestClientOptions = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? realClock;
  }

  /** Sends a request and parses the JSON response body. */
  async json<T>(req: RestRequest): Promise<T> {
    const res = (await this.send(req, false)) as BufferedResponse;
    if (res.value !== undefined) return (req.sharedObjects ? res.value : clone(res.value)) as T;
    const text = bodyText(res.body);
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${req.method} ${req.path}: response is not valid JSON: ${(err as Error).message}`);
    }
  }

  /** Sends a request and returns the response body as text (pod logs). */
  async text(req: RestRequest): Promise<string> {
    return bodyText(((await this.send(req, false)) as BufferedResponse).body);
  }

  /** Sends a request whose response streams (watch, log follow); throws on a non-2xx status. */
  async stream(req: RestRequest): Promise<AsyncIterable<Uint8Array | string>> {
    return ((await this.send(req, true)) as StreamedResponse).body;
  }

  /**
   * Sends a request whose response streams JSON values (a watch) and yields them decoded: as
   * values when the transport passes them (copied unless `sharedObjects`), else parsed from the
   * stream's lines. Malformed JSON raises a WatchDecodeError.
   */
  async streamJson(req: RestRequest): Promise<AsyncIterable<unknown>> {
    const res = (await this.send(req, true)) as StreamedResponse;
    if (!res.values) return decodeJsonStream(res.body);
    return req.sharedObjects ? res.values : copyEach(res.values);
  }

  private async send(req: RestRequest, stream: boolean): Promise<BufferedResponse | StreamedResponse> {
    const headers: Record<string, string> = { ...this.opts.headers, accept: req.accept ?? 'application/json' };
    let body: Uint8Array | string | undefined;
    let bodyValue: unknown;
    if (req.body !== undefined) {
      if (typeof req.body === 'string' || req.body instanceof Uint8Array) body = req.body;
      // The server owns what it is given: a copy, so the caller may go on using its object.
      else if (this.transport.passesValues) bodyValue = clone(req.body);
      else body = JSON.stringify(req.body);
      headers['content-type'] = req.contentType ?? 'application/json';
    }
    const treq: TransportRequest = {
      method: req.method,
      path: req.path,
      ...(req.query ? { query: req.query } : {}),
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(bodyValue !== undefined ? { bodyValue } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
      stream,
    };
    const idempotent = req.method === 'GET' || req.method === 'HEAD';
    let retryAfterCount = 0;
    for (let networkAttempt = 0; ; ) {
      let res: BufferedResponse | StreamedResponse;
      try {
        res = await this.transport.request(treq);
      } catch (err) {
        if (req.signal?.aborted || !(err instanceof TransportError)) throw err;
        const retryable = idempotent || !err.sent;
        if (!retryable || networkAttempt >= MAX_NETWORK_RETRIES) throw err;
        const delay = jitter(NETWORK_RETRY_BASE_MS * 2 ** networkAttempt, 0.5);
        networkAttempt++;
        this.logger.debug('retrying after connection failure', { method: req.method, path: req.path, error: err.message, attempt: networkAttempt, delayMs: Math.round(delay) });
        await sleep(this.clock, delay, req.signal);
        continue;
      }
      const status = res.status;
      if (status >= 200 && status < 300) return res;

      const resBody = res.body;
      const errBody = typeof resBody === 'string' || resBody instanceof Uint8Array ? resBody : await readAll(resBody);
      const err = responseError(status, errBody, req.describe);
      const wait = retryAfterMs(status, res.headers, err);
      if (wait !== undefined && retryAfterCount < MAX_RETRY_AFTER_RETRIES) {
        retryAfterCount++;
        this.logger.debug('server asked to retry', { method: req.method, path: req.path, code: status, delayMs: wait, attempt: retryAfterCount });
        await sleep(this.clock, wait, req.signal);
        continue;
      }
      throw err;
    }
  }
}

/**
 * The wait the server asked for, if this response means "not done, try again": 429 or 5xx with a
 * Retry-After header (client-go's checkWait), or a 429 Status carrying details.retryAfterSeconds.
 */
function retryAfterMs(status: number, headers: Record<string, string>, err: StatusError): number | undefined {
  if (status !== 429 && status < 500) return undefined;
  const header = headers['retry-after'];
  let seconds: number | undefined;
  if (header !== undefined && /^\d+$/.test(header.trim())) seconds = Number(header.trim());
  else if (status === 429 && err.details?.retryAfterSeconds !== undefined) seconds = err.details.retryAfterSeconds;
  if (seconds === undefined) return undefined;
  return Math.min(Math.max(seconds, 0) * 1000, MAX_RETRY_AFTER_MS);
}

/** Copies each streamed value, so a caller that did not ask to share owns what it gets. */
async function* copyEach(values: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  for await (const v of values) yield clone(v);
}
