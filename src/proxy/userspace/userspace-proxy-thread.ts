/**
 * The userspace proxy run on a worker thread (userspace-worker.ts), driven from the main thread
 * by the service proxy: `sync` hands the worker the whole model and resolves once its listeners
 * match it. A worker that dies is started afresh at the next sync (its listeners died with it;
 * the model is complete every time, so nothing is lost).
 */
import { Worker } from 'node:worker_threads';
import type { LogEntry, LogLevel, Logger } from '../../client/log.js';
import type { ProxyServicePort } from '../service-model.js';
import type { PodHostPorts } from '../../agent/network/host-ports.js';

export interface UserspaceWorkerData {
  logLevel: LogLevel;
  /** Bind cluster IPs on loopback under this label (ClusterIPBinder). */
  clusterIPs?: { label: string; serviceCIDR: string };
}

export type UserspaceWorkerRequest =
  | { type: 'sync'; id: number; ports: ProxyServicePort[]; hostPorts: PodHostPorts[] }
  | { type: 'close'; id: number }
  | { type: 'stop'; id: number };

export type UserspaceWorkerResponse =
  | { type: 'done'; id: number; failed: number; listening: string[] }
  | { type: 'failed'; id: number; message: string }
  | { type: 'log'; entry: LogEntry };

/** What the service proxy drives in userspace mode (this class, or a UserspaceProxier in-thread). */
export interface UserspaceBackend {
  /** Converges listeners on the model; resolves with the number that could not be opened. */
  sync(ports: ProxyServicePort[], hostPorts: PodHostPorts[]): Promise<number>;
  /** Closes listeners and connections, leaving cluster IPs bound (pods left running). */
  close(): Promise<void>;
  /** Closes everything and unbinds the cluster IPs. */
  stop(): Promise<void>;
}

export interface UserspaceProxyThreadOptions {
  logger: Logger;
  clusterIPs?: { label: string; serviceCIDR: string };
}

export class UserspaceProxyThread implements UserspaceBackend {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(r: { failed: number; listening: string[] }): void; reject(e: Error): void }>();
  private last: string[] = [];

  constructor(private readonly opts: UserspaceProxyThreadOptions) {}

  /** The listeners as of the last sync (`tcp/10.96.0.5/80`). */
  listening(): string[] {
    return this.last;
  }

  async sync(ports: ProxyServicePort[], hostPorts: PodHostPorts[]): Promise<number> {
    const r = await this.request({ type: 'sync', id: 0, ports, hostPorts });
    this.last = r.listening;
    return r.failed;
  }

  close(): Promise<void> {
    return this.finish('close');
  }

  stop(): Promise<void> {
    return this.finish('stop');
  }

  private async finish(type: 'close' | 'stop'): Promise<void> {
    // Without a worker there are no listeners, but a stop still owes the cleanup of addresses.
    if (!this.worker && (type === 'close' || !this.opts.clusterIPs)) return;
    const w = this.worker ?? this.start();
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    await this.request({ type, id: 0 }).catch((err: unknown) => this.opts.logger.warn('userspace proxy did not stop cleanly', { error: err }));
    await exited;
    this.last = [];
  }

  private request(msg: UserspaceWorkerRequest): Promise<{ failed: number; listening: string[] }> {
    const w = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ ...msg, id });
    });
  }

  private start(): Worker {
    const data: UserspaceWorkerData = { logLevel: this.opts.logger.level, ...(this.opts.clusterIPs ? { clusterIPs: this.opts.clusterIPs } : {}) };
    const w = new Worker(new URL('./userspace-worker.js', import.meta.url), { workerData: data });
    this.worker = w;
    w.on('message', (msg: UserspaceWorkerResponse) => {
      if (msg.type === 'log') {
        const { level, msg: text, fields } = msg.entry;
        this.opts.logger[level](text, fields);
        return;
      }
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.type === 'done') p?.resolve(msg);
      else p?.reject(new Error(msg.message));
    });
    w.on('error', (err) => this.opts.logger.error('userspace proxy worker failed', { error: err }));
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(new Error('the userspace proxy worker exited'));
      this.pending.clear();
    });
    return w;
  }
}
