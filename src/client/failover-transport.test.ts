import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { FailoverTransport } from './failover-transport.js';
import { httpTransport } from './http-transport.js';
import { bodyText, TransportError } from './transport.js';

interface Backend {
  url: string;
  server: Server;
  hits: string[];
  /** When set, requests are cut off after they arrived (the server may have acted). */
  dropRequests: boolean;
}

const backends: Backend[] = [];
after(async () => {
  for (const b of backends) await new Promise((r) => b.server.close(r));
});

async function backend(name: string): Promise<Backend> {
  const b: Backend = { url: '', server: createServer(), hits: [], dropRequests: false };
  b.server.on('request', (req, res) => {
    b.hits.push(`${req.method} ${req.url}`);
    if (b.dropRequests) {
      req.socket.destroy();
      return;
    }
    res.end(name);
  });
  await new Promise<void>((r) => b.server.listen(0, '127.0.0.1', r));
  b.url = `http://127.0.0.1:${(b.server.address() as AddressInfo).port}`;
  backends.push(b);
  return b;
}

function stop(b: Backend): Promise<void> {
  b.server.closeAllConnections();
  return new Promise((r) => b.server.close(() => r()));
}

async function get(t: FailoverTransport, path = '/x', method: 'GET' | 'POST' = 'GET'): Promise<string> {
  const res = await t.request({ method, path, ...(method === 'POST' ? { body: '{}' } : {}) });
  return bodyText(res.body);
}

describe('failover transport', () => {
  it('sticks to one server and moves on, for good, when it is gone', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const moves: string[] = [];
    const t = new FailoverTransport([httpTransport({ server: a.url }), httpTransport({ server: b.url })], (from, to) => moves.push(`${from} -> ${to}`));
    try {
      assert.equal(await get(t), 'a');
      assert.equal(await get(t), 'a');
      assert.equal(b.hits.length, 0);
      await stop(a);
      // Whatever happened to the connection (refused, or a pooled one cut off), a read is
      // simply made again on the next server.
      assert.equal(await get(t), 'b');
      assert.equal(await get(t, '/x', 'POST'), 'b');
      assert.deepEqual(moves, [`${a.url} -> ${b.url}`]);
      assert.equal(t.description, b.url);
    } finally {
      t.close();
    }
  });

  it('a write refused by a dead server (it never saw it) goes to the next one', async () => {
    const a = await backend('a');
    const b = await backend('b');
    await stop(a);
    const t = new FailoverTransport([httpTransport({ server: a.url }), httpTransport({ server: b.url })]);
    try {
      assert.equal(await get(t, '/x', 'POST'), 'b');
      assert.deepEqual(b.hits, ['POST /x']);
    } finally {
      t.close();
    }
  });

  it('a write that may have reached the failed server surfaces; the next request goes elsewhere', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const t = new FailoverTransport([httpTransport({ server: a.url }), httpTransport({ server: b.url })]);
    try {
      a.dropRequests = true;
      await assert.rejects(get(t, '/write', 'POST'), (err: unknown) => err instanceof TransportError && err.sent);
      assert.equal(b.hits.length, 0, 'the write was not repeated on another server');
      assert.equal(await get(t), 'b');
      // A read that was cut off is simply read again from the next server.
      b.dropRequests = true;
      a.dropRequests = false;
      assert.equal(await get(t, '/read'), 'a');
    } finally {
      t.close();
    }
  });

  it('fails with the last error when no server answers', async () => {
    const a = await backend('a');
    const b = await backend('b');
    await stop(a);
    await stop(b);
    const t = new FailoverTransport([httpTransport({ server: a.url }), httpTransport({ server: b.url })]);
    try {
      await assert.rejects(get(t), (err: unknown) => err instanceof TransportError && err.code === 'ECONNREFUSED' && !err.sent);
    } finally {
      t.close();
    }
  });
});
