/**
 * A StreamsBackend for tests of the streams endpoints: pods and log files set up by the test,
 * exec and attach as real local processes (pipes or a pseudo-terminal), connect to local ports.
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ExecProcess, StreamOptions, StreamsBackend } from '../../streams-backend.js';
import { spawnExecProcess } from '../exec-process.js';

export class FakeStreamsBackend implements StreamsBackend {
  readonly pods = new Map<string, Pod>();
  readonly files = new Map<string, string[]>();
  readonly states = new Map<string, 'waiting' | 'running' | 'terminated'>();
  readonly execs: Array<{ command: string[] } & StreamOptions> = [];
  private readonly events = new EventEmitter();

  addPod(pod: Pod): void {
    this.pods.set(`${pod.metadata!.namespace}/${pod.metadata!.name}`, pod);
  }

  setFiles(uid: string, container: string, previous: boolean, files: string[]): void {
    this.files.set(`${uid}/${container}/${previous}`, files);
  }

  setState(uid: string, container: string, state: 'waiting' | 'running' | 'terminated'): void {
    this.states.set(`${uid}/${container}`, state);
    if (state !== 'running') this.events.emit(`${uid}/${container}`);
  }

  pod(namespace: string, name: string): Pod | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  logFiles(podUid: string, container: string, previous: boolean): string[] {
    return this.files.get(`${podUid}/${container}/${previous}`) ?? [];
  }

  containerState(podUid: string, container: string): 'waiting' | 'running' | 'terminated' {
    return this.states.get(`${podUid}/${container}`) ?? 'waiting';
  }

  /** How many log follows are waiting on the container (subscribed to its stop). */
  followers(podUid: string, container: string): number {
    return this.events.listenerCount(`${podUid}/${container}`);
  }

  onContainerStopped(podUid: string, container: string, cb: () => void): () => void {
    this.events.on(`${podUid}/${container}`, cb);
    return () => this.events.off(`${podUid}/${container}`, cb);
  }

  exec(_pod: Pod, _container: string, command: string[], opts: StreamOptions): ExecProcess {
    this.execs.push({ command, ...opts });
    return spawnExecProcess({
      file: command[0]!,
      args: command.slice(1),
      tty: opts.tty,
      stdin: opts.stdin,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm' },
      ...(opts.size ? { cols: opts.size.cols, rows: opts.size.rows } : {}),
    });
  }

  attach(_pod: Pod, _container: string, opts: StreamOptions): ExecProcess {
    // The "container" echoes its input in upper case until stdin closes.
    return spawnExecProcess({ file: 'tr', args: ['a-z', 'A-Z'], tty: opts.tty, stdin: opts.stdin });
  }

  connect(_pod: Pod, port: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
  }
}

/** A running pod with one container `c` (uid `uid-1`). */
export function runningPod(name = 'p', extra: Partial<Pod['spec']> = {}): Pod {
  const now = new Date().toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: 'uid-1' },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }], ...extra },
    status: {
      phase: 'Running',
      containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: true, restartCount: 0, containerID: 'skiff://1', state: { running: { startedAt: now } } }],
    },
  };
}
