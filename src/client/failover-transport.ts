/**
 * One transport over several API servers of one cluster (`skiff agent --server URL1,URL2`):
 * requests go to one server until it cannot be reached, then to the next, as a client behind a
 * load balancer would see it. A request the failed server cannot have seen (connection refused),
 * and any read, is tried on the next server at once; a write that may have reached it surfaces
 * its TransportError (the REST client decides about retrying it) while later requests already go
 * elsewhere. Watches that end because their server died are re-established by their informers
 * through the same transport, so they land on a live server.
 */
import type { BufferedResponse, StreamedResponse, Transport, TransportRequest } from './transport.js';
import { TransportError } from './transport.js';

export class FailoverTransport implements Transport {
  private current = 0;

  constructor(
    private readonly transports: Transport[],
    private readonly onFailover: (from: string, to: string, err: TransportError) => void = () => {},
  ) {
    if (transports.length === 0) throw new Error('failover transport: at least one server is required');
  }

  get description(): string {
    return (this.transports[this.current] as Transport).description;
  }

  request(req: TransportRequest & { stream?: false }): Promise<BufferedResponse>;
  request(req: TransportRequest & { stream: true }): Promise<StreamedResponse>;
  request(req: TransportRequest): Promise<BufferedResponse | StreamedResponse>;
  async request(req: TransportRequest): Promise<BufferedResponse | StreamedResponse> {
    const n = this.transports.length;
    const first = this.current;
    let lastErr: unknown;
    for (let i = 0; i < n; i++) {
      const idx = (first + i) % n;
      const t = this.transports[idx] as Transport;
      try {
        return await t.request(req);
      } catch (err) {
        if (!(err instanceof TransportError) || req.signal?.aborted) throw err;
        lastErr = err;
        if (this.current === idx && n > 1) {
          this.current = (idx + 1) % n;
          this.onFailover(t.description, this.description, err);
        }
        const read = req.method === 'GET' || req.method === 'HEAD';
        if (err.sent && !read) throw err;
      }
    }
    throw lastErr;
  }

  close(): void {
    for (const t of this.transports) t.close();
  }
}
