/**
 * The in-process transport: hands each request to the API server's ApiHandler as a value, with
 * no socket in between, for the all-in-one process. JSON travels as values, not text: a request
 * body given as an object reaches the server as that object (`bodyValue`), and the server answers
 * with the objects it has (`value`, and watch events as `values`: its cached objects, frozen).
 * The RestClient copies what it hands to callers unless they asked to share (informers, which
 * freeze what they cache anyway), so a component still gets fresh objects it owns, Status bodies
 * for errors and the same events as over HTTPS, without the JSON written and parsed on both sides.
 */
import type { ApiHandler, ApiRequest, ApiResponse, UserInfo } from '../api/http.js';
import { isStreamResponse } from '../api/http.js';
import type { BufferedResponse, StreamedResponse, Transport, TransportRequest } from './transport.js';
import { readAll, TransportError } from './transport.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './http-transport.js';

export interface InProcessTransportOptions {
  /** Timeout for buffered requests (as over HTTP). Default DEFAULT_REQUEST_TIMEOUT_MS; 0 disables. */
  timeoutMs?: number;
  userAgent?: string;
}

/** Creates a transport that calls `handler` directly as `user`. */
export function inProcessTransport(handler: ApiHandler, user: UserInfo, opts: InProcessTransportOptions = {}): Transport {
  return new InProcessTransport(handler, user, opts);
}

class InProcessTransport implements Transport {
  readonly description = 'in-process';
  readonly passesValues = true;
  private closed = false;

  constructor(
    private readonly handler: ApiHandler,
    private readonly user: UserInfo,
    private readonly opts: InProcessTransportOptions,
  ) {}

  request(req: TransportRequest & { stream?: false }): Promise<BufferedResponse>;
  request(req: TransportRequest & { stream: true }): Promise<StreamedResponse>;
  request(req: TransportRequest): Promise<BufferedResponse | StreamedResponse>;
  async request(req: TransportRequest): Promise<BufferedResponse | StreamedResponse> {
    const what = `${req.method} ${req.path}`;
    if (this.closed) throw new TransportError(`${what}: transport closed`, 'ECONNREFUSED', false);
    if (req.signal?.aborted) throw req.signal.reason;

    // The handler's signal models the connection: it aborts when the caller aborts, when a
    // buffered request times out, or when the consumer stops reading a stream.
    const conn = new AbortController();
    const onAbort = (): void => conn.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string | undefined> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    if (this.opts.userAgent && !headers['user-agent']) headers['user-agent'] = this.opts.userAgent;
    const body = req.body === undefined ? undefined : typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    if (body) headers['content-length'] = String(body.byteLength);
    const apiReq: ApiRequest = { method: req.method, path: req.path, query: new URLSearchParams(req.query), headers, ...(body ? { body } : {}), user: this.user, signal: conn.signal, acceptsValues: true };
    if (req.bodyValue !== undefined && body === undefined) {
      const value = req.bodyValue;
      apiReq.bodyValue = value;
      // Bytes only for a reader that asks for them (none of the JSON paths does).
      let bytes: Uint8Array | undefined;
      Object.defineProperty(apiReq, 'body', { enumerable: true, get: () => (bytes ??= Buffer.from(JSON.stringify(value))) });
    }

    const call = this.handler(apiReq);

    let res: ApiResponse;
    const timeoutMs = req.stream ? 0 : (req.timeoutMs ?? this.opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    try {
      const racers: Array<Promise<ApiResponse>> = [call];
      if (req.signal) racers.push(abortPromise(conn.signal));
      if (timeoutMs > 0) {
        racers.push(
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              const err = new TransportError(`${what}: no response within ${timeoutMs}ms`, 'ETIMEDOUT', true);
              conn.abort(err);
              reject(err);
            }, timeoutMs);
          }),
        );
      }
      res = await Promise.race(racers);
    } catch (err) {
      req.signal?.removeEventListener('abort', onAbort);
      if (err instanceof TransportError || req.signal?.aborted) throw err;
      // A handler that throws instead of answering is a server bug; over HTTP the server would
      // have turned it into a 500, so do the same here rather than leak a foreign error type.
      const msg = err instanceof Error ? err.message : String(err);
      return { status: 500, headers: { 'content-type': 'text/plain' }, body: msg };
    } finally {
      if (timer) clearTimeout(timer);
    }

    const resHeaders = lowerKeys(res.headers);
    if (!isStreamResponse(res)) {
      req.signal?.removeEventListener('abort', onAbort);
      if (res.value === undefined) return { status: res.status, headers: resHeaders, body: res.body };
      // The body stays unencoded unless someone reads it (an error mapped from its text).
      const out = res;
      return { status: res.status, headers: resHeaders, value: res.value, get body() { return out.body; } };
    }
    if (!req.stream) {
      // Asked for a buffered response but the server streamed: read it all (bounded by the server).
      const all = await readAll(res.stream);
      req.signal?.removeEventListener('abort', onAbort);
      return { status: res.status, headers: resHeaders, body: all };
    }
    const done = () => req.signal?.removeEventListener('abort', onAbort);
    if (res.values && req.stream) {
      const values = res.values;
      let body: AsyncIterable<Uint8Array | string> | undefined;
      return {
        status: res.status,
        headers: resHeaders,
        values: pipeStream(values, conn, done),
        // Encoded lines only for a reader that asks for them instead of the values.
        get body() {
          return (body ??= pipeStream(res.stream, conn, done));
        },
      };
    }
    return { status: res.status, headers: resHeaders, body: pipeStream(res.stream, conn, done) };
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * Relays the handler's stream. Ending early (the consumer breaks out, or aborts) aborts the
 * connection signal and returns the handler's iterator, so the server releases the watch just as
 * it would when an HTTP client disconnects.
 */
async function* pipeStream<T>(source: AsyncIterable<T>, conn: AbortController, done: () => void): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await nextUnlessAborted(it, conn.signal);
      if (next === undefined || conn.signal.aborted) return;
      if (next.done) return;
      yield next.value;
    }
  } finally {
    done();
    if (!conn.signal.aborted) conn.abort(new Error('stream consumer finished'));
    // Do not await: a handler generator blocked on its own events would hang us here.
    void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/**
 * The iterator's next result, or undefined once `signal` aborts. Not `Promise.race` against one
 * abort promise for the whole stream: every race leaves a reaction on that promise holding its
 * result, so a long watch would keep every event it ever delivered.
 */
function nextUnlessAborted<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T> | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    it.next().then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
