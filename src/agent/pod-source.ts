/**
 * Where a node agent learns about its pods. A standalone agent watches only the pods bound to
 * it (field selector `spec.nodeName=<node>`, as kubelet does); many simulated nodes in one
 * process share one pod informer and are dispatched by `spec.nodeName`, so a thousand nodes cost
 * one watch, not a thousand.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../client/client.js';
import type { SharedInformer } from '../client/informer.js';
import { SharedInformerFactory } from '../client/informer-factory.js';
import type { Logger } from '../client/log.js';

export interface PodHandlers {
  update(pod: Pod): void;
  remove(pod: Pod): void;
}

export interface PodSource {
  subscribe(nodeName: string, handlers: PodHandlers): () => void;
  /** Pods currently bound to the node (from the cache). */
  podsOn(nodeName: string): Pod[];
  get(namespace: string, name: string): Pod | undefined;
  waitForSync(signal: AbortSignal): Promise<boolean>;
}

const BY_NODE = 'skiff.dev/byNode';
const byNode = (p: Pod): string[] => (p.spec?.nodeName ? [p.spec.nodeName] : []);

/** One pod informer, dispatching events to the agent of each pod's node. */
export class SharedPodSource implements PodSource {
  private readonly subscribers = new Map<string, PodHandlers>();
  readonly informer: SharedInformer<Pod>;
  private readonly factory: SharedInformerFactory;

  /** `nodeName` set: watch only that node's pods; unset: every bound pod. */
  constructor(client: Client, opts: { nodeName?: string; logger?: Logger } = {}) {
    this.factory = new SharedInformerFactory(client, { ...(opts.logger ? { logger: opts.logger } : {}), freeze: true });
    this.informer = this.factory.pods({
      fieldSelector: opts.nodeName ? { 'spec.nodeName': opts.nodeName } : 'spec.nodeName!=',
      indexers: { [BY_NODE]: byNode },
    });
    const dispatch = (pod: Pod, fn: (h: PodHandlers) => void): void => {
      const h = pod.spec?.nodeName ? this.subscribers.get(pod.spec.nodeName) : undefined;
      if (h) fn(h);
    };
    this.informer.addEventHandler({
      onAdd: (pod) => dispatch(pod, (h) => h.update(pod)),
      onUpdate: (old, pod) => {
        if (old.metadata?.uid !== pod.metadata?.uid) dispatch(old, (h) => h.remove(old));
        dispatch(pod, (h) => h.update(pod));
      },
      onDelete: (pod) => dispatch(pod, (h) => h.remove(pod)),
    });
  }

  start(signal: AbortSignal): void {
    this.factory.start(signal);
  }

  async stopped(): Promise<void> {
    await this.factory.shutdown();
  }

  subscribe(nodeName: string, handlers: PodHandlers): () => void {
    this.subscribers.set(nodeName, handlers);
    for (const p of this.podsOn(nodeName)) handlers.update(p);
    return () => {
      if (this.subscribers.get(nodeName) === handlers) this.subscribers.delete(nodeName);
    };
  }

  podsOn(nodeName: string): Pod[] {
    return this.informer.store.byIndex(BY_NODE, nodeName);
  }

  get(namespace: string, name: string): Pod | undefined {
    return this.informer.store.getByName(namespace, name);
  }

  waitForSync(signal: AbortSignal): Promise<boolean> {
    return this.informer.waitForSync(signal);
  }
}
