/**
 * The `simulated` runtime (kwok's idea): runs nothing. A started container is running at once;
 * with a simulated duration it exits after that long with the simulated exit code (the pod's
 * `skiff.dev/simulate-duration` / `skiff.dev/simulate-exit-code` annotations); stopping it ends it
 * at once. Instances live in memory only, so thousands of nodes fit in one process. Timers go
 * through the injected Clock, so tests drive it with a FakeClock.
 */
import type { ChildProcess } from 'node:child_process';
import type { Clock, TimerHandle } from '../../client/clock.js';
import { realClock } from '../../client/clock.js';
import { runningRecord } from './runtime.js';
import type { ContainerRecord, ContainerRuntime, ContainerStartRequest, ExecResult } from './runtime.js';

let nextId = 1;

export class SimulatedRuntime implements ContainerRuntime {
  readonly name = 'simulated';
  readonly scheme = 'skiff-simulated';
  readonly mountsVolumes = false;
  private readonly records = new Map<string, ContainerRecord>();
  private readonly byPod = new Map<string, ContainerRecord[]>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly listeners = new Set<(rec: ContainerRecord) => void>();

  constructor(
    readonly version: string,
    private readonly clock: Clock = realClock,
  ) {}

  async recover(): Promise<void> {
    // Nothing survives a restart of a simulated node.
  }

  podUids(): string[] {
    return [...this.byPod.keys()];
  }

  containers(podUid: string): ContainerRecord[] {
    return this.byPod.get(podUid) ?? [];
  }

  get(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  async start(req: ContainerStartRequest): Promise<ContainerRecord> {
    const now = this.clock.now();
    const id = (nextId++).toString(16).padStart(16, '0');
    const rec: ContainerRecord = runningRecord(id, req, now);
    this.records.set(id, rec);
    const list = this.byPod.get(req.podUid) ?? [];
    list.push(rec);
    this.byPod.set(req.podUid, list);
    const sim = req.simulate;
    if (sim?.durationMs !== undefined) {
      this.timers.set(id, this.clock.setTimeout(() => this.finish(id, sim.exitCode), sim.durationMs));
    }
    return rec;
  }

  private finish(id: string, exitCode: number, signal: string | null = null): void {
    const rec = this.records.get(id);
    if (!rec || rec.state === 'exited') return;
    const t = this.timers.get(id);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(id);
    const done: ContainerRecord = { ...rec, state: 'exited', exitCode, signal, finishedAt: this.clock.now(), reason: exitCode === 0 ? 'Completed' : 'Error' };
    this.replace(done);
    for (const l of this.listeners) l(done);
  }

  private replace(rec: ContainerRecord): void {
    this.records.set(rec.id, rec);
    const list = this.byPod.get(rec.podUid);
    if (list) {
      const i = list.findIndex((r) => r.id === rec.id);
      if (i >= 0) list[i] = rec;
    }
  }

  async stop(id: string, graceMs: number): Promise<void> {
    // A simulated process honours SIGTERM at once (exit 143); with no grace it is SIGKILLed (137).
    this.finish(id, graceMs > 0 ? 143 : 137, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  }

  async remove(id: string): Promise<void> {
    const rec = this.records.get(id);
    if (!rec) return;
    const t = this.timers.get(id);
    if (t) this.clock.clearTimeout(t);
    this.timers.delete(id);
    this.records.delete(id);
    const list = (this.byPod.get(rec.podUid) ?? []).filter((r) => r.id !== id);
    if (list.length) this.byPod.set(rec.podUid, list);
    else this.byPod.delete(rec.podUid);
  }

  async exec(): Promise<ExecResult> {
    return { exitCode: 0, output: '', timedOut: false };
  }

  spawnExec(): ChildProcess {
    throw new Error('the simulated runtime runs no processes: exec is not available on simulated nodes');
  }

  execSpec(): never {
    throw new Error('the simulated runtime runs no processes: exec is not available on simulated nodes');
  }

  stdinSocket(): string | undefined {
    return undefined;
  }

  terminalSocket(): string | undefined {
    return undefined;
  }

  onExit(listener: (rec: ContainerRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
  }
}
