/**
 * Serves an ApiHandler over real HTTP(S) on a loopback port, for tests of the HTTP transport:
 * the same minimal adapter a front end needs (buffer the body, stream responses chunk by chunk,
 * tie the handler's signal to the response's lifetime).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ApiHandler, HttpMethod } from '../../api/http.js';
import { isStreamResponse } from '../../api/http.js';

export interface ServedHandler {
  url: string;
  /** Requests' Authorization headers, in order. */
  authHeaders: Array<string | undefined>;
  /** Destroys every open connection (to simulate a network failure mid-stream). */
  destroyConnections(): void;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with a random port; TLS when `tls` is given. */
export async function serveHandler(handler: ApiHandler, tls?: { key: string; cert: string }): Promise<ServedHandler> {
  const authHeaders: Array<string | undefined> = [];
  const sockets = new Set<import('node:net').Socket>();
  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    authHeaders.push(req.headers.authorization);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ctl = new AbortController();
      // Tie the handler to the response, not the request: the request's `close` fires as soon as its body is read.
      res.on('close', () => ctl.abort());
      const url = new URL(req.url ?? '/', 'http://x');
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      handler({ method: (req.method ?? 'GET') as HttpMethod, path: url.pathname, query: url.searchParams, headers, ...(body ? { body } : {}), user: { name: 'test', groups: [] }, signal: ctl.signal })
        .then(async (r) => {
          res.writeHead(r.status, r.headers);
          if (!isStreamResponse(r)) {
            res.end(r.body);
            return;
          }
          res.flushHeaders();
          for await (const chunk of r.stream) {
            if (res.destroyed) break;
            res.write(chunk);
          }
          res.end();
        })
        .catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
    });
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    authHeaders,
    destroyConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
