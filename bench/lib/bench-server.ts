/**
 * A fresh `skiff server` process per scenario (a temporary data dir, a free port), with what a
 * benchmark needs around it: the real client over HTTPS (src/client, httpTransport) as the admin,
 * a raw HTTPS caller for load generation, the server's pid for /proc figures, and waits that are
 * driven by watches rather than polling loops.
 *
 * SKIFF_BENCH_PROFILE=DIR starts every server under `node --cpu-prof --cpu-prof-dir=DIR`: one
 * .cpuprofile per server, written when it stops (open in Chrome DevTools or speedscope).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import { Client } from '../../src/client/client.js';
import { httpTransport } from '../../src/client/http-transport.js';
import { SharedInformerFactory } from '../../src/client/informer-factory.js';
import type { SharedInformer } from '../../src/client/informer.js';
import type { ObjectLike } from '../../src/client/types.js';
import { SKIFF_BIN } from '../../test/helpers/cluster.js';
import { RawApi } from './raw-api.js';

/** The `skiff server` process. */
export interface ServerProcess {
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything it printed so far. */
  logs(): string;
}

export interface BenchServer {
  cluster: ServerProcess;
  /** The server process's pid (its pods are its descendants). */
  pid: number;
  /** The real client, as the cluster admin, over HTTPS. */
  client: Client;
  /** Raw HTTPS with a keep-alive pool, for load generators. */
  raw: RawApi;
  /** ms from spawning the process to it printing "Skiff is running at". */
  servingMs: number;
  stop(): Promise<void>;
}

export interface BenchServerOptions {
  nodes: number;
  runtime?: 'process' | 'simulated';
  args?: string[];
  /** Default: a fresh temporary dir, removed by stop(). */
  dataDir?: string;
  /** Keep `dataDir` after stop() (a scenario restarting the server on it). */
  keepDataDir?: boolean;
}

/** Starts `skiff server --nodes N --runtime R` on a fresh data dir and a free port. */
export async function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'skiff-bench-')));
  const profile = process.env.SKIFF_BENCH_PROFILE;
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      SKIFF_BIN,
      'server',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--log-level',
      'warn',
      '--nodes',
      String(opts.nodes),
      '--runtime',
      opts.runtime ?? 'simulated',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const onData = (): void => {
        const m = /Skiff is running at (https:\/\/\S+)/.exec(out);
        if (!m) return;
        child.stdout.off('data', onData);
        resolve(m[1] as string);
      };
      child.stdout.on('data', onData);
      void exited.then(() => reject(new Error(`skiff server exited with ${child.exitCode ?? child.signalCode} before serving:\n${out}`)));
    });
  } catch (err) {
    if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  const servingMs = performance.now() - t0;
  const ca = await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8');
  const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  const client = new Client({ transport: httpTransport({ server: url, caData: ca, token, maxSockets: 128 }), fieldManager: 'skiff-bench' });
  const raw = new RawApi(url, ca, token);
  let stopping: Promise<void> | undefined;
  return {
    cluster: { url, dataDir, process: child, logs: () => out },
    pid: child.pid as number,
    client,
    raw,
    servingMs,
    stop() {
      stopping ??= (async () => {
        raw.close();
        client.close();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          // A server that cannot stop in 30 s is killed (its pods die with their shims).
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          await exited;
          clearTimeout(timer);
        }
        if (!opts.keepDataDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

export function isNodeReady(n: Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * An informer over `informer`'s objects that resolves when `done(objects)` holds, re-checked on
 * every event (level-triggered). The caller owns the factory's lifetime.
 */
export function waitForInformer<T extends ObjectLike>(informer: SharedInformer<T>, done: (objs: T[]) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = (): void => {
      if (settled || !informer.hasSynced() || !done(informer.store.list())) return;
      settled = true;
      clearTimeout(timer);
      reg.remove();
      resolve();
    };
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reg.remove();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const reg = informer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
    void informer.waitForSync().then(check);
  });
}

/** Waits (through a node informer) until `count` nodes are Ready. */
export async function waitForReadyNodes(client: Client, count: number, timeoutMs: number): Promise<void> {
  const stop = new AbortController();
  const factory = new SharedInformerFactory(client, { freeze: false });
  const nodes = factory.nodes();
  factory.start(stop.signal);
  try {
    await waitForInformer(nodes, (all) => all.filter(isNodeReady).length >= count, timeoutMs, `${count} Ready nodes`);
  } finally {
    stop.abort();
    await factory.shutdown();
  }
}
