/**
 * A TCP connection to `localhost:<port>` inside a pod's network namespace, as a container runtime
 * serves `kubectl port-forward` (containerd enters the namespace and dials localhost): a pod
 * listening on 127.0.0.1 only is reachable too, which connecting to the pod IP from the host would
 * miss.
 *
 * A small helper process is started in the namespace (`nsenter --net`); it dials the port and
 * then a unix socket the agent listens on — unix sockets live in the filesystem, not in a network
 * namespace — and pipes the two together. The agent gets an ordinary `net.Socket`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HELPER = `
const net = require('node:net');
const [path, port] = process.argv.slice(1);
const target = net.connect({ host: '127.0.0.1', port: Number(port) });
target.once('error', (e) => { process.stderr.write('dial tcp4 127.0.0.1:' + port + ': connect: ' + (e.code === 'ECONNREFUSED' ? 'connection refused' : e.message)); process.exit(1); });
target.once('connect', () => {
  const back = net.connect(path);
  back.once('error', () => process.exit(1));
  target.removeAllListeners('error');
  target.on('error', () => back.destroy());
  back.on('error', () => target.destroy());
  target.pipe(back); back.pipe(target);
  target.on('close', () => back.destroy()); back.on('close', () => { target.destroy(); process.exit(0); });
});
`;

/** How long the helper may take to start and connect. */
export const DIAL_TIMEOUT_MS = 10_000;

export async function dialInNetns(netnsPath: string, port: number): Promise<Socket> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-dial-'));
  const path = join(dir, 's');
  const server = createServer();
  const cleanup = (): void => {
    server.close();
    void rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } catch (err) {
    cleanup();
    throw err;
  }
  return new Promise<Socket>((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${netnsPath}`, '--', process.execPath, '-e', HELPER, path, String(port)], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`failed to connect to localhost:${port} inside namespace ${netnsPath}: timed out`));
    }, DIAL_TIMEOUT_MS);
    let done = false;
    const finish = (err: Error | undefined, sock?: Socket): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      if (err) reject(err);
      else resolve(sock!);
    };
    server.once('connection', (sock) => finish(undefined, sock));
    child.once('error', (err) => finish(err));
    child.once('exit', (code) => {
      if (code !== 0) finish(new Error(`failed to connect to localhost:${port} inside namespace ${netnsPath}, IPv4: ${stderr.trim() || `exit ${code}`}`));
    });
  });
}
