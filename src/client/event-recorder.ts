/**
 * Records core/v1 Events about objects, as client-go's EventRecorder + EventBroadcaster do for
 * every Kubernetes component: `kubectl describe` shows them, `kubectl get events` lists them.
 *
 *   const recorder = new EventRecorder({ client, component: 'replicaset-controller' });
 *   recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
 *
 * Recording never blocks or fails the caller: events are correlated (aggregated, de-duplicated,
 * spam-filtered: see event-correlator.ts) at once, then written by a background pump, one at a
 * time and in order. Write failures are logged; connection failures are retried a few times;
 * when more than MAX_QUEUED_EVENTS are waiting, new ones are dropped.
 */
import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound, StatusError } from '../api/errors.js';
import type { Client } from './client.js';
import type { Clock } from './clock.js';
import { formatTime, realClock, sleep } from './clock.js';
import type { CorrelatorOptions } from './event-correlator.js';
import { EventCorrelator } from './event-correlator.js';
import type { Logger } from './log.js';
import { silentLogger } from './log.js';
import type { ObjectLike } from './types.js';
import { jitter } from './backoff.js';

/** Events waiting to be written before new ones are dropped (client-go maxQueuedEvents). */
export const MAX_QUEUED_EVENTS = 1000;
/** Attempts to write one event when the server cannot be reached (client-go maxTriesPerEvent). */
export const MAX_TRIES_PER_EVENT = 12;
/** Pause between those attempts (client-go sleepDuration; the first is jittered). */
export const EVENT_RETRY_SLEEP_MS = 10_000;

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: Client;
  /** `source.component` and `reportingComponent`, e.g. `replicaset-controller`, `kubelet`. */
  component: string;
  /** `source.host` and `reportingInstance` (node agents set their node name). */
  host?: string;
  clock?: Clock;
  logger?: Logger;
  /** Overrides of the correlator's windows and limits. */
  correlator?: Omit<CorrelatorOptions, 'clock'>;
}

interface Pending {
  event: Event;
  patch?: { count: number; lastTimestamp: string; message: string };
}

export class EventRecorder {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly correlator: EventCorrelator;
  private readonly queue: Pending[] = [];
  private pumping: Promise<void> | undefined;
  private stopped = false;
  private readonly stop = new AbortController();

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? realClock;
    this.logger = (opts.logger ?? silentLogger).child({ component: opts.component, what: 'events' });
    this.correlator = new EventCorrelator({ ...opts.correlator, clock: this.clock });
  }

  /**
   * Records an event about `obj` (an object read from the API, or an ObjectReference).
   * `reason` is CamelCase (`SuccessfulCreate`); `message` is a human sentence.
   */
  event(obj: ObjectLike | ObjectReference, type: EventType, reason: string, message: string): void {
    if (this.stopped) return;
    let ref: ObjectReference;
    try {
      ref = referenceOf(obj);
    } catch (err) {
      this.logger.error('cannot record event: no reference for object', { reason, error: err });
      return;
    }
    const now = this.clock.now();
    const ts = formatTime(now);
    const event: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      // Events about cluster-scoped objects (Nodes) live in `default`, as client-go does.
      metadata: { name: this.correlator.eventName(ref.name ?? '', now), namespace: ref.namespace || 'default' },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: this.opts.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
    const result = this.correlator.correlate(event);
    if (result.skip) {
      this.logger.debug('event dropped by spam filter', { reason, object: `${ref.kind}/${ref.name}` });
      return;
    }
    if (this.queue.length >= MAX_QUEUED_EVENTS) {
      this.logger.warn('event queue full; dropping event', { reason, object: `${ref.kind}/${ref.name}` });
      return;
    }
    this.queue.push(result.patch ? { event: result.event, patch: result.patch } : { event: result.event });
    this.kick();
  }

  /** Starts the pump unless it runs; restarts it if events arrived as it was finishing. */
  private kick(): void {
    if (this.pumping) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.queue.length > 0 && !this.stop.signal.aborted) this.kick();
    });
  }

  /** Resolves once every event recorded so far has been written (or given up on). */
  async flush(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Stops recording; writes what is queued unless `signal` aborts, then resolves. */
  async shutdown(signal?: AbortSignal): Promise<void> {
    this.stopped = true;
    const onAbort = (): void => this.stop.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.flush();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async pump(): Promise<void> {
    for (let item = this.queue.shift(); item; item = this.queue.shift()) {
      if (this.stop.signal.aborted) {
        this.queue.length = 0;
        return;
      }
      await this.write(item);
    }
  }

  /** client-go recordToSink: patch or create, with retries only when the server was not reached. */
  private async write(item: Pending): Promise<void> {
    const events = this.opts.client.events(item.event.metadata.namespace);
    for (let attempt = 1; ; attempt++) {
      try {
        if (item.patch) {
          try {
            await events.patch(item.event.metadata.name as string, 'strategic', item.patch, { readOnlyResult: true });
            return;
          } catch (err) {
            // The Event expired or was deleted: create it anew, keeping the count.
            if (!isNotFound(err)) throw err;
          }
        }
        const { resourceVersion: _rv, ...meta } = item.event.metadata;
        await events.create({ ...item.event, metadata: meta }, { readOnlyResult: true });
        return;
      } catch (err) {
        if (err instanceof StatusError) {
          // The server answered: retrying would get the same answer.
          if (!isAlreadyExists(err)) this.logger.error('server rejected event', { reason: item.event.reason, object: item.event.involvedObject.name, error: err });
          return;
        }
        if (attempt >= MAX_TRIES_PER_EVENT || this.stop.signal.aborted) {
          this.logger.error('unable to write event; giving up', { reason: item.event.reason, attempts: attempt, error: err });
          return;
        }
        this.logger.warn('unable to write event; will retry', { reason: item.event.reason, attempt, error: err });
        const delay = attempt === 1 ? jitter(EVENT_RETRY_SLEEP_MS, 0.25) : EVENT_RETRY_SLEEP_MS;
        try {
          await sleep(this.clock, delay, this.stop.signal);
        } catch {
          return;
        }
      }
    }
  }
}

/** An ObjectReference for `obj` (client-go reference.GetReference). */
export function referenceOf(obj: ObjectLike | ObjectReference): ObjectReference {
  if (!('metadata' in obj) || !obj.metadata) {
    const ref = obj as ObjectReference;
    if (!ref.name || !ref.kind) throw new Error('an ObjectReference needs kind and name');
    return ref;
  }
  const o = obj as ObjectLike;
  if (!o.kind || !o.apiVersion) throw new Error(`object ${o.metadata?.name ?? ''} has no kind/apiVersion`);
  const meta = o.metadata ?? {};
  return {
    kind: o.kind,
    apiVersion: o.apiVersion,
    name: meta.name ?? '',
    ...(meta.namespace ? { namespace: meta.namespace } : {}),
    ...(meta.uid ? { uid: meta.uid } : {}),
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
  };
}
