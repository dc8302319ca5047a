/**
 * Starts a real `skiff server` process for end-to-end tests: a temporary data dir, a free port,
 * and a `kubectl` runner bound to its kubeconfig with a private discovery cache. Everything the
 * server made is removed by `stop()`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectlPath } from './kubectl.js';

export const SKIFF_BIN = fileURLToPath(new URL('../../../bin/skiff', import.meta.url));

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** kubectl minor version ('1.27'); default: kubectl on PATH. */
  version?: string;
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface TestCluster {
  url: string;
  dataDir: string;
  kubeconfig: string;
  process: ChildProcess;
  /** Output the server printed so far (for diagnostics). */
  logs(): string;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** kubectl that must succeed; returns stdout. */
  k(args: string[], opts?: KubectlOptions): Promise<string>;
  stop(): Promise<void>;
}

export interface StartOptions {
  args?: string[];
  dataDir?: string;
  keepDataDir?: boolean;
  /** argv prefix the server runs under (e.g. `setpriv --reuid=…` to run it as another user); it must exec the server. */
  wrap?: string[];
}

export async function startCluster(opts: StartOptions = {}): Promise<TestCluster> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'skiff-test-')));
  const cacheDir = await mkdtemp(join(tmpdir(), 'skiff-kubectl-cache-'));
  const argv = [...(opts.wrap ?? []), process.execPath, SKIFF_BIN, 'server', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn', ...(opts.args ?? [])];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /Skiff is running at (https:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`skiff server exited with ${code} before serving:\n${out}`)));
  });
  const kubeconfig = join(dataDir, 'kubeconfig.yaml');
  const kubectl = (args: string[], o: KubectlOptions = {}) =>
    new Promise<KubectlResult>((resolve, reject) => {
      const bin = kubectlPath(o.version);
      if (!bin) return reject(new Error(`kubectl ${o.version ?? ''} not found`));
      const p = execFile(
        bin,
        ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args],
        { env: { ...process.env, KUBECONFIG: kubeconfig, ...(o.env ?? {}) }, timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (o.input !== undefined) p.stdin!.end(o.input);
    });
  let stopped: Promise<void> | undefined;
  const cluster: TestCluster = {
    url,
    dataDir,
    kubeconfig,
    process: child,
    logs: () => out,
    kubectl,
    async k(args, o) {
      const r = await kubectl(args, o);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        await rm(cacheDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        if (!opts.keepDataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      })();
      return stopped;
    },
  };
  return cluster;
}
