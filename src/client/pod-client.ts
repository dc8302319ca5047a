/**
 * Pods have subresources with their own verbs: `binding` (the scheduler's assignment),
 * `eviction` (a PodDisruptionBudget-respecting delete) and `log` (plain text, optionally
 * streamed). This client adds them to the generic resource client.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Status } from '../api/errors.js';
import type { DeleteOptions, WriteOptions } from './query.js';
import { deleteOptionsBody } from './query.js';
import { ResourceClient } from './resource-client.js';

/** Query parameters of `GET pods/log` (corev1.PodLogOptions). */
export interface PodLogOptions {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339 time. */
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
  signal?: AbortSignal;
}

/** The generic client plus `bind`, `evict` and `logs`. */
export class PodClient extends ResourceClient<Pod> {
  /** Binds a pod to a node (POST pods/binding), as the scheduler does. */
  async bind(name: string, nodeName: string, opts: WriteOptions & { uid?: string } = {}): Promise<Status> {
    const ns = this.objectNamespace(name);
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace: ns, ...(opts.uid ? { uid: opts.uid } : {}) },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    return this.createSubresource<Status>(name, 'binding', binding, opts);
  }

  /** Evicts a pod (POST pods/eviction, policy/v1 Eviction); 429 means a disruption budget forbids it now. */
  async evict(name: string, opts: DeleteOptions = {}): Promise<Status> {
    const eviction = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace: this.objectNamespace(name) },
      deleteOptions: deleteOptionsBody(opts),
    };
    return this.createSubresource<Status>(name, 'eviction', eviction, opts.signal ? { signal: opts.signal } : {});
  }

  /** The log of one container as text. */
  async logs(name: string, opts: PodLogOptions = {}): Promise<string> {
    return this.rest.text({
      method: 'GET',
      path: this.objectPath(name, 'log'),
      query: logQuery({ ...opts, follow: false }),
      accept: 'application/json, */*',
      ...(opts.signal ? { signal: opts.signal } : {}),
      describe: { verb: 'get', resource: 'pods/log', name },
    });
  }

  /**
   * Streams a container's log (`follow` defaults to true) as text chunks until the server ends it
   * or `opts.signal` aborts. Chunks are not line-aligned.
   */
  streamLogs(name: string, opts: PodLogOptions = {}): AsyncIterable<string> {
    return { [Symbol.asyncIterator]: () => this.logChunks(name, opts) };
  }

  private async *logChunks(name: string, opts: PodLogOptions): AsyncGenerator<string> {
    const conn = new AbortController();
    const onAbort = (): void => conn.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const body = await this.rest.stream({
        method: 'GET',
        path: this.objectPath(name, 'log'),
        query: logQuery({ follow: true, ...opts }),
        accept: 'application/json, */*',
        signal: conn.signal,
        describe: { verb: 'get', resource: 'pods/log', name },
      });
      const decoder = new TextDecoder();
      for await (const chunk of body) {
        const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
        if (text) yield text;
      }
      const tail = decoder.decode();
      if (tail) yield tail;
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      conn.abort();
    }
  }

  private objectNamespace(name: string): string {
    if (!this.namespaceName) throw new Error(`a namespace is required for pods "${name}"`);
    return this.namespaceName;
  }
}

function logQuery(opts: PodLogOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (opts.container) q.set('container', opts.container);
  if (opts.follow) q.set('follow', 'true');
  if (opts.previous) q.set('previous', 'true');
  if (opts.tailLines !== undefined) q.set('tailLines', String(opts.tailLines));
  if (opts.sinceSeconds !== undefined) q.set('sinceSeconds', String(opts.sinceSeconds));
  if (opts.sinceTime) q.set('sinceTime', opts.sinceTime);
  if (opts.timestamps) q.set('timestamps', 'true');
  if (opts.limitBytes !== undefined) q.set('limitBytes', String(opts.limitBytes));
  return q;
}
