/**
 * Test support for the network tests: TCP servers started inside a pod's network namespace
 * (`nsenter --net`), each answering every connection with its name, and a client that reads that
 * answer. Not used by production code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

const SERVER = `
const net = require('node:net');
const [port, name] = process.argv.slice(1);
const srv = net.createServer((c) => { c.on('error', () => {}); c.end(name + ' ' + c.remoteAddress + '\\n'); });
srv.listen(Number(port), '0.0.0.0', () => process.stdout.write('listening\\n'));
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

export interface NetnsServer {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a named TCP server on `port` inside `netnsPath`; resolves once it listens. */
export async function startNetnsServer(netnsPath: string, port: number, name: string): Promise<NetnsServer> {
  const child = spawn('nsenter', [`--net=${netnsPath}`, '--', process.execPath, '-e', SERVER, String(port), name], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server ${name} exited with ${code}`)));
  });
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 2000).unref();
      }),
  };
}

/** Connects to host:port and returns the first line the server sends, or the error code. */
export function ask(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve('TIMEOUT');
    }, timeoutMs);
    s.on('data', (d) => (buf += d.toString()));
    s.on('end', () => {
      clearTimeout(timer);
      resolve(buf.trim());
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? 'ERROR');
    });
  });
}
