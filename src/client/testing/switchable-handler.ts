/**
 * Wraps an ApiHandler so a test can take the "server" down (requests get 503), cut every open
 * stream, and bring up a different handler — an API server restart, as a client sees it.
 */
import type { ApiHandler, ApiResponse } from '../../api/http.js';
import { isStreamResponse } from '../../api/http.js';

export class SwitchableHandler {
  private readonly cutters = new Set<() => void>();

  constructor(public target: ApiHandler | undefined) {}

  readonly handler: ApiHandler = async (req) => {
    if (!this.target) {
      return { status: 503, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'ServiceUnavailable', message: 'server is down', code: 503 }) };
    }
    const res = await this.target(req);
    if (!isStreamResponse(res)) return res;
    // Both views of the stream (bytes, and values for in-process callers) are cut alike.
    return { ...res, stream: this.cuttable(res.stream), ...(res.values ? { values: this.cuttable(res.values) } : {}) };
  };

  /** Number of streams currently open through the wrapper. */
  get openStreams(): number {
    return this.cutters.size;
  }

  /** Ends every open stream now (as a dropped connection would). */
  cutStreams(): void {
    for (const cut of [...this.cutters]) cut();
  }

  private cuttable<T>(source: AsyncIterable<T>): AsyncIterable<T> {
    const cutters = this.cutters;
    return {
      async *[Symbol.asyncIterator]() {
        const it = source[Symbol.asyncIterator]();
        let cut!: () => void;
        const cutPromise = new Promise<undefined>((resolve) => (cut = () => resolve(undefined)));
        cutters.add(cut);
        try {
          for (;;) {
            const next = await Promise.race([it.next(), cutPromise]);
            if (!next || next.done) return;
            yield next.value;
          }
        } finally {
          cutters.delete(cut);
          void Promise.resolve(it.return?.()).catch(() => undefined);
        }
      },
    };
  }
}

/** Re-exported for tests that build responses. */
export type { ApiResponse };
