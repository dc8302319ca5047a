/**
 * The shape every controller has (STYLE.md: kubernetes/sample-controller): a name, and `run`,
 * which wires informer handlers to a work queue of keys, waits for the caches, and runs workers
 * over a level-triggered `sync(key)` until the signal aborts.
 */
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer-factory.js';
import type { EventRecorder } from '../client/event-recorder.js';
import type { Clock } from '../client/clock.js';
import type { Logger } from '../client/log.js';

export interface ControllerContext {
  client: Client;
  /** Shared informers: every controller watching pods shares one cache. */
  informers: SharedInformerFactory;
  /** An event recorder for a component name (`replicaset-controller`), shared per name. */
  recorder(component: string): EventRecorder;
  clock: Clock;
  logger: Logger;
  /** Worker count per controller (Kubernetes' --concurrent-*-syncs). */
  workers: number;
}

export interface Controller {
  /** e.g. `replicaset`, as in kube-controller-manager's --controllers list. */
  readonly name: string;
  /**
   * Registers informers and handlers (synchronously, before the factory starts), then — once
   * caches have synced — processes keys until `signal` aborts; resolves after draining.
   */
  run(ctx: ControllerContext, signal: AbortSignal): Promise<void>;
}
