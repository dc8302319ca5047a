import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchHeap } from './heap-watch.js';

test('the heap warning goes out once near the limit, with the flag to raise it, and again after a drop', async () => {
  const warnings: string[] = [];
  const limit = 4096 * 1048576;
  const ratios = [0.5, 0.9, 0.95, 0.6, 0.88];
  let i = 0;
  const stop = new AbortController();
  const done = new Promise<void>((resolve) => {
    watchHeap({ warn: (m: string) => void warnings.push(m) }, stop.signal, {
      intervalMs: 1,
      stats: () => {
        const r = ratios[Math.min(i++, ratios.length - 1)]!;
        if (i === ratios.length + 1) resolve();
        return { used_heap_size: r * limit, heap_size_limit: limit };
      },
    });
  });
  // The watch's timer does not hold the process open; this one does until the checks ran.
  const keepAlive = setInterval(() => undefined, 1000);
  await done;
  clearInterval(keepAlive);
  stop.abort();
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /^the JavaScript heap is 90 % full \(3686 of 4096 MiB, Node's limit\): .*NODE_OPTIONS=--max-old-space-size=\d+ skiff server/);
});
