/**
 * Raw HTTPS to the API server for load generation: one keep-alive pool, the cluster CA pinned,
 * the admin bearer token, and the request's wall time measured around the exchange. Bodies are
 * returned as strings; callers parse only what they use, so the generator costs the machine as
 * little CPU as possible next to the server it measures.
 */
import { Agent, request } from 'node:https';
import type { ClientRequest } from 'node:http';

export interface RawResponse {
  status: number;
  body: string;
  /** Request sent → response body complete, in ms. */
  ms: number;
}

/** The `Accept` kubectl sends for `kubectl get` (a Table, JSON as the fallback). */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export class RawApi {
  private readonly agent: Agent;
  private readonly streams = new Set<ClientRequest>();

  constructor(
    readonly url: string,
    private readonly ca: string,
    private readonly token: string,
    maxSockets = 128,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, ca });
  }

  /** One request; the body is JSON-encoded when given as an object. */
  call(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<RawResponse> {
    const started = performance.now();
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.url}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept,
            ...(payload ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json', 'content-length': String(payload.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d: Buffer) => chunks.push(d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), ms: performance.now() - started }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Like `call`, but a status other than `expect` is an error naming the response. */
  async must(method: string, path: string, body: unknown, expect: number): Promise<RawResponse> {
    const r = await this.call(method, path, body);
    if (r.status !== expect) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return r;
  }

  /**
   * Opens a watch (own connection, outside the pool) and calls `onLine` with each raw event line
   * as it arrives; resolves once the response headers are in (the watch is established).
   */
  watchLines(path: string, onLine: (line: string, at: number) => void): Promise<ClientRequest> {
    return new Promise((resolve, reject) => {
      let established = false;
      const req = request(`${this.url}${path}`, { ca: this.ca, headers: { authorization: `Bearer ${this.token}` } }, (res) => {
        established = true;
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: ${res.statusCode}`));
          res.resume();
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          const at = performance.now();
          buf += d;
          let nl;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line) onLine(line, at);
          }
        });
        res.on('error', () => undefined);
        resolve(req);
      });
      // Once established, an error is the stream ending (close() destroys it): nothing to report.
      req.on('error', (err) => (established ? undefined : reject(err)));
      this.streams.add(req);
      req.end();
    });
  }

  close(): void {
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    this.agent.destroy();
  }
}
