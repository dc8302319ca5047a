/**
 * Probe workers (kubelet's prober manager): one worker per probe of a running container
 * instance. Startup runs first; liveness and readiness wait until it has succeeded. Each worker
 * waits initialDelaySeconds, then probes every periodSeconds with timeoutSeconds, and flips its
 * result after successThreshold consecutive successes or failureThreshold consecutive failures
 * (defaults 1, 3; period 10 s, timeout 1 s, as Kubernetes). Every failed attempt is an
 * `Unhealthy` event; a liveness or startup result of failure asks the pod worker to restart the
 * container. Timers go through the Clock.
 */
import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import type { ContainerRecord, ContainerRuntime } from '../runtime/runtime.js';
import { runHandler } from './probes.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeEvents {
  /** Unhealthy events: `${Kind} probe failed: ${message}`. */
  unhealthy(pod: Pod, container: Container, message: string): void;
}

interface Worker {
  kind: ProbeKind;
  probe: Probe;
  timer?: TimerHandle;
  successes: number;
  failures: number;
  stopped: boolean;
}

interface ContainerProbes {
  rec: ContainerRecord;
  pod: Pod;
  container: Container;
  workers: Worker[];
  started: boolean;
  ready: boolean;
  /** Set when liveness or startup failed past its threshold; the pod worker consumes it. */
  failed?: ProbeKind;
}

export interface ProberOptions {
  clock: Clock;
  runtime: ContainerRuntime;
  events: ProbeEvents;
  /** A result changed: the pod's worker should sync. */
  onChange(podUid: string): void;
  podIP(pod: Pod): string;
}

const KIND_TITLE: Record<ProbeKind, string> = { startup: 'Startup', liveness: 'Liveness', readiness: 'Readiness' };

export class ProbeManager {
  private readonly containers = new Map<string, ContainerProbes>();

  constructor(private readonly opts: ProberOptions) {}

  /** Starts probing a freshly started (or re-adopted) instance. */
  add(pod: Pod, container: Container, rec: ContainerRecord): void {
    if (this.containers.has(rec.id)) return;
    const cp: ContainerProbes = { rec, pod, container, workers: [], started: !container.startupProbe, ready: !container.readinessProbe };
    this.containers.set(rec.id, cp);
    const add = (kind: ProbeKind, probe: Probe | undefined): void => {
      if (!probe) return;
      const w: Worker = { kind, probe, successes: 0, failures: 0, stopped: false };
      cp.workers.push(w);
      this.schedule(cp, w, (probe.initialDelaySeconds ?? 0) * 1000);
    };
    add('startup', container.startupProbe);
    add('liveness', container.livenessProbe);
    add('readiness', container.readinessProbe);
  }

  /** Keeps the pod object current (podIP for probes, labels for events). */
  updatePod(pod: Pod): void {
    for (const cp of this.containers.values()) if (cp.rec.podUid === pod.metadata?.uid) cp.pod = pod;
  }

  remove(containerId: string): void {
    const cp = this.containers.get(containerId);
    if (!cp) return;
    for (const w of cp.workers) {
      w.stopped = true;
      if (w.timer) this.opts.clock.clearTimeout(w.timer);
    }
    this.containers.delete(containerId);
  }

  removePod(podUid: string): void {
    for (const [id, cp] of this.containers) if (cp.rec.podUid === podUid) this.remove(id);
  }

  started(rec: ContainerRecord): boolean {
    return rec.state === 'running' && (this.containers.get(rec.id)?.started ?? true);
  }

  ready(rec: ContainerRecord): boolean {
    const cp = this.containers.get(rec.id);
    return rec.state === 'running' && (cp ? cp.started && cp.ready : true);
  }

  /** The probe that failed past its threshold (liveness/startup), once: the caller restarts the container. */
  takeFailure(containerId: string): ProbeKind | undefined {
    const cp = this.containers.get(containerId);
    const f = cp?.failed;
    if (cp) delete cp.failed;
    return f;
  }

  private schedule(cp: ContainerProbes, w: Worker, delayMs: number): void {
    if (w.stopped) return;
    w.timer = this.opts.clock.setTimeout(() => {
      this.tick(cp, w).catch(() => {
        // A probe that could not run at all counts as nothing; probe again next period.
        this.schedule(cp, w, Math.max(1, w.probe.periodSeconds ?? 10) * 1000);
      });
    }, delayMs);
  }

  private async tick(cp: ContainerProbes, w: Worker): Promise<void> {
    if (w.stopped) return;
    const period = Math.max(1, w.probe.periodSeconds ?? 10) * 1000;
    // Liveness and readiness wait for the startup probe; startup stops once it succeeded.
    if ((w.kind !== 'startup' && !cp.started) || (w.kind === 'startup' && cp.started)) {
      if (w.kind !== 'startup') this.schedule(cp, w, period);
      return;
    }
    const timeoutMs = Math.max(1, w.probe.timeoutSeconds ?? 1) * 1000;
    const outcome = await runHandler(w.probe, { runtime: this.opts.runtime, containerId: cp.rec.id, container: cp.container, podIP: this.opts.podIP(cp.pod), timeoutMs });
    if (w.stopped) return;
    const successThreshold = w.kind === 'readiness' ? Math.max(1, w.probe.successThreshold ?? 1) : 1;
    const failureThreshold = Math.max(1, w.probe.failureThreshold ?? 3);
    let changed = false;
    if (outcome.ok) {
      w.successes++;
      w.failures = 0;
      if (w.successes >= successThreshold) {
        if (w.kind === 'startup' && !cp.started) {
          cp.started = true;
          changed = true;
        } else if (w.kind === 'readiness' && !cp.ready) {
          cp.ready = true;
          changed = true;
        }
      }
    } else {
      w.failures++;
      w.successes = 0;
      this.opts.events.unhealthy(cp.pod, cp.container, `${KIND_TITLE[w.kind]} probe failed: ${outcome.message}`);
      if (w.failures >= failureThreshold) {
        if (w.kind === 'readiness') {
          if (cp.ready) {
            cp.ready = false;
            changed = true;
          }
        } else {
          // Liveness/startup failure: the container gets restarted; stop probing this instance.
          cp.failed = w.kind;
          for (const x of cp.workers) x.stopped = true;
          changed = true;
        }
      }
    }
    if (changed) this.opts.onChange(cp.rec.podUid);
    if (w.kind === 'startup' && cp.started) return;
    this.schedule(cp, w, period);
  }
}
