import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runStoreConformance } from '../conformance.js';
import { uniquePrefix, watchInto } from '../conformance/helpers.js';
import { CompactedError, type KeyValue } from '../store.js';
import { openEtcdStore, type EtcdStore } from './etcd-store.js';
import { etcdSkipReason, startEtcd, type TestEtcd } from './testing/etcd-server.js';
import { startTcpProxy } from './testing/tcp-proxy.js';

const skip = etcdSkipReason();

// One etcd for the conformance suite: the suite's tests use their own key prefixes and compare
// revisions relative to the store's current revision, so they can share it.
let etcd: TestEtcd | undefined;
before(async () => {
  if (!skip) etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

async function open(): Promise<EtcdStore> {
  if (!etcd) throw new Error('etcd not started');
  return openEtcdStore({ endpoints: [etcd.endpoint], compactionIntervalMs: 0 });
}

if (skip) {
  void describe('etcd store', { skip }, () => {});
} else {
  runStoreConformance('etcd store', async () => {
    const store = await open();
    return { store, cleanup: () => store.close() };
  });

  void describe('etcd store specifics', () => {
    void it('stores keys as they are and revisions as etcd counts them', async () => {
      const store = await open();
      try {
        const p = uniquePrefix();
        const kv = await store.create(`${p}a`, '{"x":1}');
        const res = await store.client.range({ key: `${p}a` });
        assert.equal(res.kvs[0]?.key.toString(), `${p}a`);
        assert.equal(res.kvs[0]?.value.toString(), '{"x":1}');
        assert.equal(res.kvs[0]?.modRevision, kv.modRevision);
        assert.equal(res.header?.revision, await store.currentRevision());
      } finally {
        await store.close();
      }
    });

    void it('two stores on one etcd: writes through one are seen by the other’s watch and syncWatches', async () => {
      const a = await open();
      const b = await open();
      try {
        const p = uniquePrefix();
        const w = await watchInto(b, p, await b.currentRevision());
        const written: KeyValue[] = [];
        for (let i = 0; i < 20; i++) written.push(await a.create(`${p}${i}`, `${i}`));
        // A write outside the prefix is the newest revision: syncWatches must still return.
        const outside = await a.create(`${uniquePrefix()}x`, 'elsewhere');
        const rev = await (b.syncWatches as () => Promise<number>)();
        assert.ok(rev >= outside.modRevision);
        assert.deepEqual(
          w.revisions(),
          written.map((kv) => kv.modRevision),
          'every event under the prefix was delivered by the time syncWatches resolved',
        );
        w.abort();
      } finally {
        await a.close();
        await b.close();
      }
    });

    void it('a watch survives etcd restarting and resumes without gaps', async () => {
      const own = await startEtcd();
      const store = await openEtcdStore({ endpoints: [own.endpoint], compactionIntervalMs: 0 });
      let restarted: TestEtcd | undefined;
      try {
        const p = uniquePrefix();
        const w = await watchInto(store, p, await store.currentRevision());
        const first = await store.create(`${p}1`, 'one');
        await w.untilCount(1);
        // Restart etcd on the same data dir and port.
        own.process.kill('SIGTERM');
        await new Promise((r) => own.process.once('exit', r));
        restarted = await restartEtcd(own);
        const second = await store.create(`${p}2`, 'two');
        await w.untilCount(2, 20_000);
        assert.deepEqual(w.revisions(), [first.modRevision, second.modRevision]);
        assert.equal(w.closed, false);
        w.abort();
      } finally {
        await store.close();
        await (restarted ?? own).stop();
        await own.stop();
      }
    });

    void it('reports the compacted revision etcd keeps and maps ErrCompacted on lists and watches', async () => {
      const store = await open();
      try {
        const p = uniquePrefix();
        const a = await store.create(`${p}a`, '1');
        await store.update(`${p}a`, '2', a.modRevision);
        const rev = await store.currentRevision();
        await store.compact(rev);
        // A second store learns it from etcd, not from its own calls.
        const other = await open();
        try {
          assert.ok((await other.compactedRevision()) >= rev);
          await assert.rejects(other.list(p, { revision: a.modRevision }), (err: unknown) => err instanceof CompactedError && err.compacted >= rev);
          await assert.rejects(other.watch(p, { afterRevision: a.modRevision, signal: new AbortController().signal, onEvents: () => {} }), CompactedError);
        } finally {
          await other.close();
        }
      } finally {
        await store.close();
      }
    });

    void it('a watch cut off while etcd compacts past it ends with CompactedError; new watches work', async () => {
      if (!etcd) throw new Error('etcd not started');
      const proxy = await startTcpProxy(etcd.endpoint.host, etcd.endpoint.port);
      const behind = await openEtcdStore({ endpoints: [{ host: '127.0.0.1', port: proxy.port, secure: false }], compactionIntervalMs: 0 });
      const direct = await open();
      try {
        const p = uniquePrefix();
        const w = await watchInto(behind, p, await behind.currentRevision());
        await direct.create(`${p}1`, 'one');
        await w.untilCount(1);
        proxy.cut();
        await direct.create(`${p}2`, 'two');
        await direct.create(`${p}3`, 'three');
        await direct.compact(await direct.currentRevision());
        proxy.restore();
        await w.until(() => w.closed, 'the watch to end', 20_000);
        assert.ok(w.closeError instanceof CompactedError, `closed with ${String(w.closeError)}`);
        assert.equal(w.events.length, 1, 'nothing after the gap was delivered');
        // The store itself carries on: a fresh watch sees new writes.
        const again = await watchInto(behind, p, 0);
        const four = await direct.create(`${p}4`, 'four');
        await again.untilCount(1, 20_000);
        assert.deepEqual(again.revisions(), [four.modRevision]);
        again.abort();
      } finally {
        await behind.close();
        await direct.close();
        await proxy.close();
      }
    });

    void it('concurrent syncWatches calls share etcd reads and each covers the writes before it', async () => {
      const a = await open();
      const b = await open();
      try {
        const p = uniquePrefix();
        const results = await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const kv = await a.create(`${p}${i}`, 'x');
            const rev = await (b.syncWatches as () => Promise<number>)();
            return rev >= kv.modRevision;
          }),
        );
        assert.ok(results.every(Boolean));
      } finally {
        await a.close();
        await b.close();
      }
    });

    void it('talks TLS to etcd with a client certificate; without one etcd refuses', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'skiff-etcd-tls-'));
      let secure: TestEtcd | undefined;
      try {
        const f = (n: string) => join(dir, n);
        const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
        const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
        openssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', '/CN=test-etcd-ca', '-days', '1');
        for (const [name, ext] of [
          ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
          ['client', 'extendedKeyUsage=clientAuth'],
        ] as const) {
          await writeFile(f(`${name}.ext`), ext + '\n');
          openssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
          openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`));
        }
        const tls = { ca: await readFile(f('ca.crt')), cert: await readFile(f('client.crt')), key: await readFile(f('client.key')) };
        secure = await startEtcd({ tls: { certFile: f('server.crt'), keyFile: f('server.key'), clientCA: f('ca.crt') }, readyTls: tls });
        assert.match(secure.url, /^https:/);
        const store = await openEtcdStore({ endpoints: [secure.endpoint], tls, compactionIntervalMs: 0 });
        try {
          const w = await watchInto(store, '/tls/', 0);
          const kv = await store.create('/tls/a', 'over TLS');
          assert.equal((await store.get('/tls/a'))?.value, 'over TLS');
          await w.untilCount(1);
          assert.deepEqual(w.revisions(), [kv.modRevision]);
          w.abort();
        } finally {
          await store.close();
        }
        await assert.rejects(
          openEtcdStore({ endpoints: [secure.endpoint], tls: { ca: tls.ca }, requestTimeoutMs: 2000, compactionIntervalMs: 0 }),
          /cannot reach etcd/,
        );
      } finally {
        await secure?.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });

    void it('reuses one lease for writes with the same long TTL', async () => {
      const store = await open();
      try {
        const p = uniquePrefix();
        await store.create(`${p}e1`, 'x', { ttlSeconds: 3600 });
        await store.create(`${p}e2`, 'y', { ttlSeconds: 3600 });
        const res = await store.client.range({ key: p, rangeEnd: `${p.slice(0, -1)}0` });
        assert.equal(res.kvs.length, 2);
        assert.notEqual(res.kvs[0]?.lease, 0n);
        assert.equal(res.kvs[0]?.lease, res.kvs[1]?.lease);
      } finally {
        await store.close();
      }
    });
  });
}

/** Starts etcd again on a stopped instance's data dir and ports. */
async function restartEtcd(old: TestEtcd): Promise<TestEtcd> {
  const { spawn } = await import('node:child_process');
  const { waitReady } = await import('./testing/etcd-server.js');
  const args = old.process.spawnargs.slice(1);
  const child = spawn(old.process.spawnargs[0] as string, args, { stdio: 'ignore' });
  await waitReady(old.endpoint, child);
  return {
    ...old,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}
