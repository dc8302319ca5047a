/**
 * The seed's MySQL demo end to end on `skiff server --nodes 2` with the real kubectl and a real
 * MariaDB (examples/mysql/): the mysql pod and its two Services, `show databases` from the host
 * through the NodePort, the db-init Job reaching the server by the name `mysql` and creating
 * `cloudshop`, which the host then sees through the NodePort — as in
 * shared/seed/daemonsets-and-jobs.md.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { onPath } from '../../src/agent/network/exec.js';
import { podNetworkingAvailable } from '../../src/agent/network/host-network.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/mysql/', import.meta.url));
const net = await podNetworkingAvailable();
const haveMariaDB = (await onPath('mariadbd')) && (await onPath('mysql'));
const missing = !haveMariaDB ? 'MariaDB is not installed (Debian: mariadb-server mariadb-client)' : !net.ok ? `pod networking unavailable: ${net.why}` : false;
if (missing && process.env.CI === 'true') throw new Error(`${missing} — CI installs it in .ci/run`);
const skip = kubectlUnavailable() || missing;

/** The host's mysql client, as the seed's author runs it. */
function mysql(port: number, sql: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('mysql', ['-u', 'root', '-ppassword', '-h', '127.0.0.1', '-P', String(port), '-e', sql], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`mysql failed: ${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('the seed MySQL + db-init + NodePort flow with MariaDB', { skip, timeout: 300_000 }, () => {
  let c: TestCluster;
  before(async () => {
    c = await startCluster({ args: ['--nodes', '2'] });
  });
  after(async () => {
    await c?.stop();
  });

  test('mysql pod and Services, show databases through the NodePort, db-init creates cloudshop', async () => {
    const created = await c.k(['create', '-f', '-'], { input: await readFile(`${EXAMPLES}mysql.yaml`, 'utf8') });
    assert.equal(created, 'pod/mysql created\nservice/mysql created\nservice/mysql-external created\n');
    await c.k(['wait', '--for=condition=Ready', 'pod/mysql', '--timeout=120s']);
    const po = (await c.k(['get', 'po'])).trim().split('\n');
    assert.match(po[1]!, /^mysql\s+1\/1\s+Running\s+0\s+\d+s$/);
    const svc = await c.k(['get', 'svc']);
    assert.match(svc, /^kubernetes\s+ClusterIP\s+10\.\d+\.0\.1\s+<none>\s+443\/TCP\s+\S+$/m);
    assert.match(svc, /^mysql\s+ClusterIP\s+10\.[\d.]+\s+<none>\s+3306\/TCP\s+\S+$/m);
    const m = /^mysql-external\s+NodePort\s+10\.[\d.]+\s+<none>\s+3306:(\d+)\/TCP\s+\S+$/m.exec(svc);
    assert.ok(m, svc);
    const nodePort = Number(m[1]);

    const before = await mysql(nodePort, 'show databases');
    assert.equal(before, 'Database\ninformation_schema\nmysql\nperformance_schema\nsys\n');

    assert.equal(await c.k(['create', '-f', '-'], { input: await readFile(`${EXAMPLES}db-init-job.yaml`, 'utf8') }), 'job.batch/db-init created\n');
    await c.k(['wait', '--for=condition=complete', 'job/db-init', '--timeout=90s']);
    const pods = await c.k(['get', 'po']);
    assert.match(pods, /^db-init-[a-z0-9]{5}\s+0\/1\s+Completed\s+\d+\s+\d+s$/m);
    assert.match(pods, /^mysql\s+1\/1\s+Running\s+0\s+\d+s$/m);
    assert.match(await c.k(['logs', 'job/db-init']), /^database cloudshop ready on mysql:3306$/m);
    const describe = await c.k(['describe', 'job', 'db-init']);
    assert.match(describe, /^Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed$/m);
    assert.match(describe, /^\s+HOST:\s+mysql$/m);

    const after = await mysql(nodePort, 'show databases');
    assert.equal(after, 'Database\ncloudshop\ninformation_schema\nmysql\nperformance_schema\nsys\n');
  });
});
