/**
 * The storage contract as tests: every Store backend (SQLite now, etcd later) registers this
 * suite from its own `*.test.ts` and must pass it unchanged, the way hono runs one router test
 * suite against every router. It pins down the etcd semantics the API server relies on: one
 * global revision, optimistic concurrency by revision, consistent paged lists at a revision,
 * watches that replay history then go live, compaction (410 Gone) and TTLs.
 *
 * Tests only touch keys under their own unique prefix and compare revisions relative to the
 * store's current revision, so a backend may be shared between tests (an etcd cluster) as long as
 * nothing else writes to it while the suite runs.
 */
import { describe, it } from 'node:test';
import { uniquePrefix, type StoreTest } from './conformance/helpers.js';
import { registerKeyValueTests } from './conformance/kv.js';
import { registerLifecycleTests } from './conformance/lifecycle.js';
import { registerListTests } from './conformance/list.js';
import { registerWatchTests } from './conformance/watch.js';
import type { Store } from './store.js';

/** What `open` returns: a store and how to dispose of it (called even if the test closed it). */
export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

const TEST_TIMEOUT_MS = 30_000;

/** Registers the conformance tests for one backend under `describe(name)`. */
export function runStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  /** Runs `fn` against a fresh store and a key prefix of its own. */
  const withStore = (fn: (store: Store, p: string) => Promise<void>) => async () => {
    const { store, cleanup } = await open();
    try {
      await fn(store, uniquePrefix());
    } finally {
      await cleanup();
    }
  };
  const test: StoreTest = (title, fn) => {
    // `it` inside `describe` only registers the test; the runner awaits it.
    void it(title, { timeout: TEST_TIMEOUT_MS }, withStore(fn));
  };

  describe(name, () => {
    registerKeyValueTests(test);
    registerListTests(test);
    registerWatchTests(test);
    registerLifecycleTests(test);
  });
}
