import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiRequest } from '../api/http.js';
import { inProcessTransport } from './in-process-transport.js';
import { TransportError, bodyText } from './transport.js';

const user = { name: 'u', groups: ['g'] };

test('the handler gets bytes, lower-cased headers, the user and a live signal', async () => {
  let seen: ApiRequest | undefined;
  const t = inProcessTransport(async (req) => {
    seen = req;
    return { status: 201, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' };
  }, user);
  const res = await t.request({ method: 'POST', path: '/api/v1/namespaces/x/configmaps', query: new URLSearchParams('a=b'), headers: { 'Content-Type': 'application/json' }, body: '{"k":1}' });
  assert.equal(res.status, 201);
  assert.equal(res.headers['content-type'], 'application/json');
  assert.equal(bodyText(res.body), '{"ok":true}');
  assert.ok(seen?.body instanceof Uint8Array);
  assert.equal(Buffer.from(seen.body).toString(), '{"k":1}');
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.equal(seen.headers['content-length'], '7');
  assert.equal(seen.query.get('a'), 'b');
  assert.deepEqual(seen.user, user);
  assert.equal(seen.signal.aborted, false);
});

test('a handler that never answers times out like a remote server would; its signal aborts', async () => {
  let signal: AbortSignal | undefined;
  const t = inProcessTransport((req) => {
    signal = req.signal;
    return new Promise(() => {});
  }, user, { timeoutMs: 20 });
  await assert.rejects(t.request({ method: 'GET', path: '/x' }), (e: unknown) => e instanceof TransportError && e.code === 'ETIMEDOUT');
  assert.equal(signal?.aborted, true);
});

test('a handler that throws is a 500, as the HTTPS front end would answer', async () => {
  const t = inProcessTransport(async () => {
    throw new Error('handler bug');
  }, user);
  const res = await t.request({ method: 'GET', path: '/x' });
  assert.equal(res.status, 500);
  assert.equal(bodyText(res.body), 'handler bug');
});

test('ending a stream early aborts the handler signal and returns its iterator', async () => {
  let signal: AbortSignal | undefined;
  let finished = false;
  const t = inProcessTransport(async (req) => {
    signal = req.signal;
    return {
      status: 200,
      headers: {},
      stream: (async function* () {
        try {
          for (let i = 0; ; i++) {
            yield `line ${i}\n`;
            await new Promise((r) => setImmediate(r));
          }
        } finally {
          finished = true;
        }
      })(),
    };
  }, user);
  const res = await t.request({ method: 'GET', path: '/w', stream: true });
  const got: string[] = [];
  for await (const c of res.body) {
    got.push(String(c));
    if (got.length === 2) break;
  }
  assert.deepEqual(got, ['line 0\n', 'line 1\n']);
  assert.equal(signal?.aborted, true);
  await new Promise((r) => setImmediate(r));
  assert.equal(finished, true);
  t.close();
  await assert.rejects(t.request({ method: 'GET', path: '/x' }), (e: unknown) => e instanceof TransportError && e.sent === false);
});
