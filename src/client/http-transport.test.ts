import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { isNotFound } from '../api/errors.js';
import { Client } from './client.js';
import { httpTransport } from './http-transport.js';
import { SharedInformer } from './informer.js';
import { TransportError } from './transport.js';
import { FakeApiServer } from './testing/fake-api-server.js';
import { serveHandler } from './testing/serve-handler.js';
import { instantClock, pod, waitFor } from './testing/helpers.js';

const PODS = '/api/v1/namespaces/default/pods';

test('over HTTP: CRUD, bearer token, Status errors and a streaming watch', async (t) => {
  const fake = new FakeApiServer();
  const served = await serveHandler(fake.handler);
  t.after(() => served.close());
  const client = new Client({ transport: httpTransport({ server: served.url, token: 'sekret' }), clock: instantClock, userAgent: 'skiff-test/1' });
  t.after(() => client.close());
  const cms = client.configMaps('default');
  await cms.create({ metadata: { name: 'a' }, data: { k: 'v' } });
  assert.equal((await cms.get('a')).data?.['k'], 'v');
  assert.equal(served.authHeaders.at(-1), 'Bearer sekret');
  assert.equal(fake.requests.at(-1)?.headers['user-agent'], 'skiff-test/1');
  await assert.rejects(cms.get('nope'), (err: unknown) => isNotFound(err) && (err as Error).message === 'configmaps "nope" not found');

  const seen: string[] = [];
  const ctl = new AbortController();
  const watching = (async () => {
    for await (const ev of client.pods('default').watch({ resourceVersion: String(fake.resourceVersion), signal: ctl.signal })) {
      seen.push(`${ev.type} ${ev.object.metadata?.name}`);
    }
  })();
  await waitFor(() => fake.openWatches === 1, 'watch open');
  fake.seed(PODS, pod('p1'));
  await waitFor(() => seen.length === 1, 'first event streamed before the response ends');
  fake.remove(`${PODS}/p1`);
  await waitFor(() => seen.length === 2, 'second event');
  ctl.abort();
  await watching;
  assert.deepEqual(seen, ['ADDED p1', 'DELETED p1']);
  await waitFor(() => fake.openWatches === 0, 'server saw the client go');
});

test('over HTTP: a connection cut mid-watch is an error the informer resumes from', async (t) => {
  const fake = new FakeApiServer();
  const served = await serveHandler(fake.handler);
  t.after(() => served.close());
  const client = new Client({ transport: httpTransport({ server: served.url }), clock: instantClock });
  t.after(() => client.close());
  fake.seed(PODS, pod('a'));
  const inf = new SharedInformer(client.pods('default'), { clock: instantClock });
  const log: string[] = [];
  inf.addEventHandler({ onAdd: (p) => log.push(`add ${p.metadata?.name}`), onDelete: (p) => log.push(`delete ${p.metadata?.name}`) });
  const ctl = new AbortController();
  const running = inf.run(ctl.signal);
  await inf.waitForSync();
  await waitFor(() => fake.openWatches === 1, 'watch');
  served.destroyConnections();
  fake.seed(PODS, pod('b'));
  await waitFor(() => log.length === 2, 'event after reconnect');
  fake.remove(`${PODS}/a`);
  await waitFor(() => log.length === 3, 'delete');
  assert.deepEqual(log, ['add a', 'add b', 'delete a']);
  const watches = fake.requests.filter((r) => r.query.get('watch') === 'true');
  assert.ok(watches.length >= 2);
  assert.equal(watches[1]?.query.get('resourceVersion'), '2', 'resumed from the last resourceVersion');
  ctl.abort();
  await running;
});

test('connection refused: the request never reached the server, so even writes are retried, then fail', async () => {
  const fake = new FakeApiServer();
  const served = await serveHandler(fake.handler);
  const url = served.url;
  await served.close();
  const client = new Client({ transport: httpTransport({ server: url }), clock: instantClock });
  await assert.rejects(client.configMaps('default').create({ metadata: { name: 'x' } } as ConfigMap), (err: unknown) => {
    assert.ok(err instanceof TransportError);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.sent, false);
    return true;
  });
  client.close();
});

test('request timeout and AbortSignal end a request that gets no answer', async (t) => {
  const hung = await serveHandler(() => new Promise(() => {}));
  t.after(() => hung.close());
  const client = new Client({ transport: httpTransport({ server: hung.url, timeoutMs: 100 }), clock: instantClock });
  t.after(() => client.close());
  // A write that may have reached the server is not retried: one attempt, then the timeout.
  await assert.rejects(client.configMaps('default').create({ metadata: { name: 'x' } }), (err: unknown) => err instanceof TransportError && err.code === 'ETIMEDOUT' && err.sent);
  const ctl = new AbortController();
  const pending = client.configMaps('default').get('x', { signal: ctl.signal });
  ctl.abort(new Error('caller gave up'));
  await assert.rejects(pending, /caller gave up/);
});

test('over HTTPS: the pinned CA is trusted, an unknown CA is refused', async (t) => {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'skiff-client-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=skiff-test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  } catch {
    t.skip('openssl not available');
    return;
  }
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const fake = new FakeApiServer();
  const served = await serveHandler(fake.handler, { key, cert });
  t.after(() => served.close());

  const pinned = new Client({ transport: httpTransport({ server: served.url, caData: cert, token: 't' }), clock: instantClock });
  await pinned.namespaces().create({ metadata: { name: 'ok' } });
  assert.equal(served.authHeaders.at(-1), 'Bearer t');
  pinned.close();

  const untrusted = new Client({ transport: httpTransport({ server: served.url }), clock: instantClock });
  await assert.rejects(untrusted.namespaces().get('ok'), (err: unknown) => err instanceof TransportError && err.sent === false && /self.signed|certificate/i.test(err.message));
  untrusted.close();

  const insecure = new Client({ transport: httpTransport({ server: served.url, insecureSkipTLSVerify: true }), clock: instantClock });
  assert.equal((await insecure.namespaces().get('ok')).metadata?.name, 'ok');
  insecure.close();
});
