import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../../storage/sqlite/sqlite-store.js';
import type { Store } from '../../storage/store.js';
import { BOOTSTRAP_KEY, BootstrapTokenError, loadOrBootstrapSharedCredentials, openBootstrap, resolveClusterToken, sealBootstrap } from './cluster-bootstrap.js';
import { loadOrCreateCredentials } from './credentials.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'skiff-bootstrap-'));
  dirs.push(d);
  return d;
}

/** A datastore standing in for the shared etcd (the bootstrap only needs the Store contract). */
async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await openSqliteStore({ path: ':memory:' });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

function issuedBy(certPem: string, caPem: string): boolean {
  const ca = new X509Certificate(caPem);
  return new X509Certificate(certPem).verify(ca.publicKey);
}

describe('cluster bootstrap through the datastore', () => {
  it('seals and opens with the same token; another token fails with BootstrapTokenError', async () => {
    const secrets = { ca: { certPem: 'CERT', keyPem: 'KEY-SECRET' }, adminToken: 'admin-secret', nodeSecret: 'node-secret' };
    const sealed = await sealBootstrap(secrets, 'cluster-token');
    for (const plain of ['KEY-SECRET', 'admin-secret', 'node-secret', 'cluster-token']) assert.ok(!sealed.includes(plain), `${plain} must not appear in the sealed blob`);
    assert.deepEqual(await openBootstrap(sealed, 'cluster-token'), secrets);
    await assert.rejects(openBootstrap(sealed, 'another-token'), BootstrapTokenError);
    // Tampering is detected by the GCM tag.
    const env = JSON.parse(sealed) as { data: string };
    const data = Buffer.from(env.data, 'base64');
    data[0] = (data[0] as number) ^ 1;
    await assert.rejects(openBootstrap(JSON.stringify({ ...env, data: data.toString('base64') }), 'cluster-token'), BootstrapTokenError);
  });

  it('the first server bootstraps, the second loads the same CA and tokens and gets its own serving certificate', async () => {
    await withStore(async (store) => {
      const d1 = await tempDir();
      const d2 = await tempDir();
      const s1 = await loadOrBootstrapSharedCredentials({ store, token: 't0ken', dataDir: d1, bindAddress: '127.0.0.1', extraNames: ['server-one'] });
      const s2 = await loadOrBootstrapSharedCredentials({ store, token: 't0ken', dataDir: d2, bindAddress: '127.0.0.1', extraNames: ['server-two'] });
      assert.equal(s1.bootstrapped, true);
      assert.equal(s2.bootstrapped, false);
      assert.equal(s2.ca.certPem, s1.ca.certPem);
      assert.equal(s2.adminToken, s1.adminToken);
      assert.equal(s2.nodeJoinToken, s1.nodeJoinToken);
      assert.notEqual(s2.serving.certPem, s1.serving.certPem);
      assert.ok(issuedBy(s1.serving.certPem, s1.ca.certPem));
      assert.ok(issuedBy(s2.serving.certPem, s1.ca.certPem));
      assert.match(new X509Certificate(s1.serving.certPem).subjectAltName ?? '', /DNS:server-one/);
      assert.match(new X509Certificate(s2.serving.certPem).subjectAltName ?? '', /DNS:server-two/);
      // The data dirs hold what `skiff kubeconfig` and agents read.
      assert.equal((await readFile(join(d2, 'admin-token'), 'utf8')).trim(), s1.adminToken);
      assert.equal((await readFile(join(d2, 'node-token'), 'utf8')).trim(), s1.nodeJoinToken);
      assert.equal(await readFile(join(d2, 'tls', 'ca.crt'), 'utf8'), s1.ca.certPem);
      // A restart keeps its serving certificate.
      const again = await loadOrBootstrapSharedCredentials({ store, token: 't0ken', dataDir: d2, bindAddress: '127.0.0.1', extraNames: ['server-two'] });
      assert.equal(again.serving.certPem, s2.serving.certPem);
      await assert.rejects(loadOrBootstrapSharedCredentials({ store, token: 'wrong', dataDir: await tempDir(), bindAddress: '127.0.0.1' }), BootstrapTokenError);
    });
  });

  it('servers starting at the same moment end up with one set of credentials', async () => {
    await withStore(async (store) => {
      const dirsNow = await Promise.all([tempDir(), tempDir(), tempDir()]);
      const all = await Promise.all(dirsNow.map((dataDir) => loadOrBootstrapSharedCredentials({ store, token: 'race', dataDir, bindAddress: '127.0.0.1' })));
      assert.equal(all.filter((c) => c.bootstrapped).length, 1);
      assert.equal(new Set(all.map((c) => c.ca.certPem)).size, 1);
      assert.equal(new Set(all.map((c) => c.adminToken)).size, 1);
      assert.equal(all.filter((c) => issuedBy(c.serving.certPem, all[0]!.ca.certPem)).length, 3);
    });
  });

  it('a data dir with credentials from a single-server past seeds the datastore with them', async () => {
    await withStore(async (store) => {
      const dataDir = await tempDir();
      const before = await loadOrCreateCredentials(dataDir, '127.0.0.1');
      const shared = await loadOrBootstrapSharedCredentials({ store, token: 'migrated', dataDir, bindAddress: '127.0.0.1' });
      assert.equal(shared.bootstrapped, true);
      assert.equal(shared.ca.certPem, before.ca.certPem);
      assert.equal(shared.adminToken, before.adminToken);
      assert.equal(shared.nodeJoinToken, before.nodeJoinToken);
      assert.equal(shared.serving.certPem, before.serving.certPem, 'the serving certificate is kept: same CA, same names');
      assert.ok(await store.get(BOOTSTRAP_KEY));
    });
  });

  it('resolves the cluster token from the flag, then the data dir, else generates and saves one', async () => {
    const dataDir = await tempDir();
    const generated = await resolveClusterToken(dataDir, undefined);
    assert.equal(generated.generated, true);
    assert.match(generated.token, /^[0-9a-f]{48}$/);
    assert.deepEqual(await resolveClusterToken(dataDir, undefined), { ...generated, generated: false });
    assert.equal((await resolveClusterToken(dataDir, ' given ')).token, 'given');
    await assert.rejects(resolveClusterToken(dataDir, '  '), /must not be empty/);
  });
});
