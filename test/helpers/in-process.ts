/**
 * A real API server in the test process (in-memory SQLite store, real strategies, watch cache and
 * handler) and clients on it — for controller and scheduler tests that need Kubernetes semantics
 * without starting processes. Components use the in-process transport exactly as in `skiff server`.
 */
import { openSqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { ObjectCache } from '../../src/apiserver/registry/object-cache.js';
import { Registry } from '../../src/apiserver/registry/registry.js';
import { strategyFor } from '../../src/apiserver/strategy/index.js';
import { managedFieldsHook } from '../../src/apiserver/managed-fields.js';
import { createApiHandler } from '../../src/apiserver/handler.js';
import { findResource } from '../../src/api/resources.js';
import type { ApiHandler } from '../../src/api/http.js';
import { Client } from '../../src/client/client.js';
import { inProcessTransport } from '../../src/client/in-process-transport.js';
import type { Clock } from '../../src/client/clock.js';
import { SYSTEM_NAMESPACES } from '../../src/apiserver/api-server.js';

export interface InProcessApi {
  handler: ApiHandler;
  registry: Registry;
  /** A client with administrator rights writing as `fieldManager`. */
  client(fieldManager?: string, clock?: Clock): Client;
  /** A client with a node's credentials (`system:node:<name>`, as a node agent has), writing as kubelet. */
  nodeClient(nodeName: string): Client;
  stop(): Promise<void>;
}

export async function startInProcessApi(): Promise<InProcessApi> {
  const store = await openSqliteStore({ path: ':memory:' });
  const cache = new ObjectCache(store);
  await cache.start();
  const registry = new Registry({ store, cache, strategyFor, managedFields: managedFieldsHook });
  const ns = findResource('', 'v1', 'namespaces')!;
  for (const name of SYSTEM_NAMESPACES) await registry.create(ns, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const handler = createApiHandler({ registry, version: 'test', serverAddress: '127.0.0.1:6443' });
  return {
    handler,
    registry,
    client: (fieldManager = 'test', clock?: Clock) =>
      new Client({
        transport: inProcessTransport(handler, { name: 'admin', groups: ['system:masters', 'system:authenticated'] }),
        fieldManager,
        ...(clock ? { clock } : {}),
      }),
    nodeClient: (nodeName: string) =>
      new Client({ transport: inProcessTransport(handler, { name: `system:node:${nodeName}`, groups: ['system:nodes', 'system:authenticated'] }), fieldManager: 'kubelet' }),
    async stop() {
      cache.stop();
      await store.close();
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws with the last error after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
