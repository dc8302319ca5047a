/**
 * A real etcd for tests: Debian's `etcd-server` binary started on loopback (or a given address)
 * with free ports and a temporary data dir, removed again by `stop()`. Tests skip loudly when
 * the binary is missing, except under CI (CI=true), where a missing etcd is a failure: CI
 * installs it (.ci/run).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { EtcdClient, type EtcdEndpoint, type EtcdTlsFiles } from '../etcd-client.js';

/** How long a started etcd may take to serve. */
export const ETCD_START_TIMEOUT_MS = 20_000;

/** The etcd binary on PATH (or $ETCD_BIN), or undefined. */
export function etcdBinary(): string | undefined {
  if (process.env.ETCD_BIN) return existsSync(process.env.ETCD_BIN) ? process.env.ETCD_BIN : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, 'etcd');
    if (dir && existsSync(p)) return p;
  }
  for (const p of ['/usr/bin/etcd', '/usr/local/bin/etcd']) if (existsSync(p)) return p;
  return undefined;
}

/**
 * `false` when etcd tests can run, else the reason to skip them. Under CI a missing etcd throws
 * instead: the suite must not pass by skipping.
 */
export function etcdSkipReason(): string | false {
  if (etcdBinary()) return false;
  const msg = 'etcd is not installed (apt-get install etcd-server, or set ETCD_BIN): etcd tests skipped';
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`CI: ${msg.replace(': etcd tests skipped', '')}`);
  process.stderr.write(`\n*** ${msg} ***\n\n`);
  return msg;
}

/** A free TCP port on `host` (bind port 0, read it, release it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestEtcd {
  /** `http://host:port` for --datastore-endpoint. */
  url: string;
  endpoint: EtcdEndpoint;
  dataDir: string;
  process: ChildProcess;
  /** What etcd printed (diagnostics). */
  logs(): string;
  /** Kills etcd (SIGKILL unless `graceful`) and removes its data dir. */
  stop(opts?: { graceful?: boolean }): Promise<void>;
}

export interface StartEtcdOptions {
  /** Address to listen on for clients and peers (default 127.0.0.1). */
  host?: string;
  /** Serve clients over TLS with these files (PEM paths); `clientCA` requires client certificates. */
  tls?: { certFile: string; keyFile: string; clientCA?: string };
  /** Run etcd through this command prefix, e.g. `['ip', 'netns', 'exec', 'ns1']`. */
  wrap?: string[];
  /** TLS material the readiness check connects with (when `tls` is set). */
  readyTls?: EtcdTlsFiles;
}

/** Starts etcd and resolves once it answers a Status call. */
export async function startEtcd(opts: StartEtcdOptions = {}): Promise<TestEtcd> {
  // A probed free port can be taken before etcd binds it (tests run side by side): try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
    }
  }
}

async function startEtcdOnce(opts: StartEtcdOptions): Promise<TestEtcd> {
  const bin = etcdBinary();
  if (!bin) throw new Error('etcd is not installed (apt-get install etcd-server)');
  const host = opts.host ?? '127.0.0.1';
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-etcd-'));
  // Free ports are probed on loopback when etcd runs elsewhere (another network namespace):
  // its ports are its own there.
  const clientPort = await freePort(opts.wrap ? '127.0.0.1' : host);
  const peerPort = await freePort(opts.wrap ? '127.0.0.1' : host);
  const clientUrl = `${opts.tls ? 'https' : 'http'}://${host}:${clientPort}`;
  const peerUrl = `http://${host}:${peerPort}`;
  const args = [
    '--name', 'skiff-test',
    '--data-dir', dataDir,
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `skiff-test=${peerUrl}`,
    '--initial-cluster-state', 'new',
    '--logger', 'zap',
    '--log-level', 'warn',
    ...(opts.tls ? ['--cert-file', opts.tls.certFile, '--key-file', opts.tls.keyFile] : []),
    ...(opts.tls?.clientCA ? ['--client-cert-auth', '--trusted-ca-file', opts.tls.clientCA] : []),
  ];
  const argv = [...(opts.wrap ?? []), bin, ...args];
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint: EtcdEndpoint = { host, port: clientPort, secure: !!opts.tls };

  const stop = async (o: { graceful?: boolean } = {}) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(o.graceful ? 'SIGTERM' : 'SIGKILL');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  if (!opts.wrap) {
    try {
      await waitReady(endpoint, child, ETCD_START_TIMEOUT_MS, opts.readyTls);
      // A port clash makes etcd exit at once; make sure the etcd that answered is ours.
      await new Promise((r) => setTimeout(r, 100));
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited (${child.exitCode ?? child.signalCode})`);
    } catch (err) {
      await stop();
      throw new Error(`etcd did not start: ${(err as Error).message}\n${out}`);
    }
  }
  return { url: clientUrl, endpoint, dataDir, process: child, logs: () => out, stop };
}

/** Polls etcd's Status until it answers (or the process exits, or time runs out). */
export async function waitReady(endpoint: EtcdEndpoint, child?: ChildProcess, timeoutMs = ETCD_START_TIMEOUT_MS, tls?: EtcdTlsFiles): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const client = new EtcdClient({ endpoints: [endpoint], requestTimeoutMs: 1000, ...(tls ? { tls } : {}) });
  try {
    for (;;) {
      if (child && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`etcd exited (${child.exitCode ?? child.signalCode})`);
      try {
        await client.status();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.close();
  }
}
