/**
 * Writes acknowledged with 2xx survive `kill -9` of the server; concurrent writers to one object
 * lose no update (409s surface and the client retries).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { Client } from '../../src/client/client.js';
import { httpTransport } from '../../src/client/http-transport.js';
import { retryOnConflict } from '../../src/client/retry-on-conflict.js';
import { isConflict } from '../../src/api/errors.js';

async function adminClient(c: TestCluster): Promise<Client> {
  const caData = await readFile(join(c.dataDir, 'tls', 'ca.crt'), 'utf8');
  const token = (await readFile(join(c.dataDir, 'admin-token'), 'utf8')).trim();
  return new Client({ transport: httpTransport({ server: c.url, caData, token }), fieldManager: 'durability-test' });
}

test('every create acknowledged before kill -9 is there after restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-durability-'));
  t.after(() => rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  for (let round = 0; round < 2; round++) {
    const c = await startCluster({ dataDir, keepDataDir: true });
    const client = await adminClient(c);
    const acknowledged: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const name = `r${round}-w${w}-${i}`;
        try {
          await client.configMaps('default').create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { n: String(i) } });
          acknowledged.push(name);
        } catch {
          return; // the server is gone
        }
      }
    });
    // Kill once a good number of writes are in flight and acknowledged.
    while (acknowledged.length < 300) await new Promise((r) => setTimeout(r, 10));
    c.process.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await new Promise((r) => c.process.once('exit', r).exitCode !== null && r(undefined));
    await c.stop();

    const again = await startCluster({ dataDir, keepDataDir: true });
    try {
      const client2 = await adminClient(again);
      const present = new Set((await client2.configMaps('default').list()).items.map((cm) => cm.metadata!.name!));
      const missing = acknowledged.filter((n) => !present.has(n));
      assert.deepEqual(missing, [], `acknowledged creates lost after kill -9 (round ${round})`);
    } finally {
      await again.stop();
    }
  }
});

test('ten concurrent writers updating one object lose no update', async (t) => {
  const c = await startCluster();
  t.after(() => c.stop());
  const client = await adminClient(c);
  const cms = client.configMaps('default');
  await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counter' }, data: { n: '0' } });
  let conflicts = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 20; i++) {
        await retryOnConflict(async () => {
          const cur = await cms.get('counter');
          const next: ConfigMap = { ...cur, data: { n: String(Number(cur.data!.n) + 1) } };
          try {
            await cms.update(next);
          } catch (err) {
            if (isConflict(err)) conflicts++;
            throw err;
          }
          // Ten writers on one object: allow more attempts than client-go's DefaultRetry (5).
        }, { backoff: { steps: 100, durationMs: 5, factor: 1, jitter: 1 } });
      }
    }),
  );
  assert.equal((await cms.get('counter')).data!.n, '200');
  assert.ok(conflicts > 0, 'concurrent writers should have hit (and survived) 409 Conflicts');
});
