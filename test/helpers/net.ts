/**
 * Network probes for end-to-end tests: one HTTP GET on a fresh connection, a TCP connect that
 * reports how it ended, and a bulk transfer to a byte-counting sink for throughput figures.
 */
import { connect } from 'node:net';
import { get as httpGet } from 'node:http';

/** One GET on a fresh connection (a kept-alive one would stick to one backend); the trimmed body. */
export function get(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Connects and reports 'connected', the error code (ECONNREFUSED …) or 'TIMEOUT', with how long it took. */
export function tryConnect(host: string, port: number, timeoutMs = 3000): Promise<{ outcome: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (outcome: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ outcome, ms: performance.now() - started });
    };
    const timer = setTimeout(() => done('TIMEOUT'), timeoutMs);
    s.once('connect', () => done('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'ERROR'));
  });
}

/**
 * Sends `bytes` to a sink at host:port that answers with the byte count it received once the
 * client has finished sending; resolves with MB/s, rejects when the count is wrong.
 */
export function throughput(host: string, port: number, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20, 7);
    const s = connect({ host, port });
    const started = performance.now();
    let sent = 0;
    let reply = '';
    const pump = (): void => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    s.on('connect', pump);
    s.on('data', (d) => (reply += d.toString()));
    s.on('end', () => {
      const secs = (performance.now() - started) / 1000;
      if (Number(reply.trim()) !== bytes) return reject(new Error(`sink got ${reply.trim()} of ${bytes} bytes`));
      resolve(bytes / 1e6 / secs);
    });
    s.on('error', reject);
  });
}

/** The best of `runs` transfers (a warm-up first), MB/s. */
export async function bestThroughput(host: string, port: number, bytes: number, runs = 3): Promise<number> {
  await throughput(host, port, 16 << 20);
  let best = 0;
  for (let i = 0; i < runs; i++) best = Math.max(best, await throughput(host, port, bytes));
  return best;
}
