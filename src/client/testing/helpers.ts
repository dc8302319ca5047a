/**
 * Small shared helpers for the client's tests.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { realClock } from '../clock.js';
import { Client } from '../client.js';
import { inProcessTransport } from '../in-process-transport.js';
import { FakeApiServer } from './fake-api-server.js';

/** Real time, but every delay is 0 ms: retry/back-off paths run without waiting. */
export const instantClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn: () => void): TimerHandle => realClock.setTimeout(fn, 0),
  clearTimeout: (h: TimerHandle) => realClock.clearTimeout(h),
};

/** A fake server and a client connected to it in-process. */
export function fakeCluster(opts: { clock?: Clock; fieldManager?: string } = {}): { server: FakeApiServer; client: Client } {
  const server = new FakeApiServer();
  const client = new Client({
    transport: inProcessTransport(server.handler, { name: 'test', groups: ['system:masters'] }),
    fieldManager: opts.fieldManager ?? 'test-manager',
    clock: opts.clock ?? instantClock,
  });
  return { server, client };
}

/** Resolves when `cond()` is true, polling on every macrotask turn; rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A minimal pod. */
export function pod(name: string, extra: { labels?: Record<string, string>; nodeName?: string; namespace?: string } = {}): {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { containers: Array<{ name: string; image: string }>; nodeName?: string };
} {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.namespace ?? 'default', ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}) },
  };
}
