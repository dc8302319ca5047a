/**
 * The seed's run-to-completion Jobs with the real kubectl against `skiff server --nodes 2`
 * (process runtime): examples/db-init-job.yaml runs to COMPLETIONS 1/1 with a Completed pod and
 * the seed's `kubectl describe job` shape; `kubectl wait` for complete and failed Jobs; scaling
 * with `kubectl patch` (kubectl scale has no Job support: the API serves no scale subresource);
 * the work-queue example drained by three workers.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

describe('Jobs with kubectl (seed: run-to-completion Jobs)', { skip: kubectlUnavailable() }, () => {
  let c: TestCluster;
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'skiff-jobs-'));
    c = await startCluster({ args: ['--nodes', '2', '--runtime', 'process'] });
  });
  after(async () => {
    await c?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  /** An example manifest with its hostPath moved into this test's scratch directory. */
  const example = async (file: string, hostPath: string, to: string) => (await readFile(join(EXAMPLES, file), 'utf8')).replaceAll(hostPath, to);

  test('db-init: created, COMPLETIONS 1/1, pod Completed, describe as in the seed, database initialised', async () => {
    const dataDir = join(scratch, 'mysql');
    const created = await c.k(['create', '-f', '-'], { input: await example('db-init-job.yaml', '/tmp/skiff-demo/mysql', dataDir) });
    assert.equal(created.trim(), 'job.batch/db-init created');
    const waited = await c.k(['wait', '--for=condition=complete', 'job/db-init', '--timeout=60s']);
    assert.equal(waited.trim(), 'job.batch/db-init condition met');

    const jobs = (await c.k(['get', 'jobs'])).trim().split('\n');
    assert.match(jobs[0]!, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
    assert.match(jobs[1]!, /^db-init\s+Complete\s+1\/1\s+\d+s\s+\d+s$/);
    const pods = (await c.k(['get', 'pods'])).trim().split('\n');
    assert.equal(pods.length, 2);
    assert.match(pods[1]!, /^db-init-[bcdfghjklmnpqrstvwxz2456789]{5}\s+0\/1\s+Completed\s+0\s+\d+s$/);
    const podName = pods[1]!.split(/\s+/)[0]!;

    const describe = await c.k(['describe', 'job', 'db-init']);
    const uid = (await c.k(['get', 'job', 'db-init', '-o', 'jsonpath={.metadata.uid}'])).trim();
    for (const line of [
      /^Name:\s+db-init$/m,
      /^Namespace:\s+default$/m,
      new RegExp(`^Selector:\\s+batch.kubernetes.io/controller-uid=${uid}$`, 'm'),
      /^Labels:\s+app=myapp\n\s+tier=data$/m,
      /^Parallelism:\s+1$/m,
      /^Completions:\s+1$/m,
      /^Start Time:\s+\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/m,
      /^Completed At:\s+/m,
      /^Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed$/m,
      new RegExp(`^  Labels:\\s+batch.kubernetes.io/controller-uid=${uid}$`, 'm'),
      /^\s+job-name=db-init$/m,
      /^\s+USERNAME:\s+root$/m,
      /^\s+PASSWORD:\s+password$/m,
      /^\s+HOST:\s+mysql$/m,
      /^\s+PORT:\s+3306$/m,
      new RegExp(`^\\s+Normal\\s+SuccessfulCreate\\s+\\S+\\s+job-controller\\s+Created pod: ${podName}$`, 'm'),
      /^\s+Normal\s+Completed\s+\S+\s+job-controller\s+Job completed$/m,
    ]) {
      assert.match(describe, line);
    }
    const dbFiles = (await readdir(join(dataDir, 'mysql_3306'))).sort();
    assert.deepEqual(dbFiles, ['cloudshop.db', 'mysql.db']);

    assert.equal(await c.k(['logs', 'job/db-init']), 'database cloudshop ready on mysql:3306 as root\ndatabases: cloudshop, mysql\n');
  });

  test('kubectl wait --for=condition=failed: backoffLimit 0 and a failing command', async () => {
    await c.k(['create', 'job', 'broken', '--image=busybox', '--', 'sh', '-c', 'echo oops; exit 3']);
    await c.k(['patch', 'job', 'broken', '--type=merge', '-p', '{"spec":{"backoffLimit":0}}']);
    const out = await c.k(['wait', '--for=condition=failed', 'job/broken', '--timeout=60s']);
    assert.equal(out.trim(), 'job.batch/broken condition met');
    const row = (await c.k(['get', 'job', 'broken', '--no-headers'])).trim();
    assert.match(row, /^broken\s+Failed\s+0\/1\s+\d+s\s+\d+s$/);
    const reason = await c.k(['get', 'job', 'broken', '-o', 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}']);
    assert.equal(reason, 'BackoffLimitExceeded');
    const pod = (await c.k(['get', 'pods', '-l', 'job-name=broken', '--no-headers'])).trim();
    assert.match(pod, /^broken-\S+\s+0\/1\s+Error\s+0\s+/);
    assert.equal(await c.k(['logs', 'job/broken']), 'oops\n');
  });

  test('scaling: kubectl scale is refused for Jobs (no scale subresource, as in Kubernetes); kubectl patch changes parallelism', async () => {
    await c.k(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'many' },
        spec: { completions: 6, parallelism: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '30'] }] } } },
      }),
    });
    await waitFor(async () => (await c.k(['get', 'job', 'many', '-o', 'jsonpath={.status.active}'])) === '1', 15_000, 'one active pod');
    const scaled = await c.kubectl(['scale', 'job/many', '--replicas=3']);
    assert.notEqual(scaled.code, 0);
    assert.match(scaled.stderr, /the server could not find the requested resource/);
    await c.k(['patch', 'job', 'many', '-p', '{"spec":{"parallelism":3}}']);
    await waitFor(async () => (await c.k(['get', 'job', 'many', '-o', 'jsonpath={.status.active}'])) === '3', 15_000, 'three active pods');
    await c.k(['delete', 'job', 'many']);
  });

  test('work queue: three workers drain the queue and the Job completes (COMPLETIONS 3/1 of 3)', async () => {
    const queue = join(scratch, 'queue');
    await c.k(['create', 'namespace', 'queue']);
    const fill = execFileSync('sh', [join(EXAMPLES, 'work-queue', 'fill-queue.sh'), '9', queue], { encoding: 'utf8' });
    assert.equal(fill.trim(), `queued 9 items in ${queue}/todo`);
    await c.k(['create', '-n', 'queue', '-f', '-'], { input: await example('work-queue/job.yaml', '/tmp/skiff-demo/queue', queue) });
    await c.k(['wait', '-n', 'queue', '--for=condition=complete', 'job/queue-workers', '--timeout=90s']);
    const row = (await c.k(['get', 'job', '-n', 'queue', 'queue-workers', '--no-headers'])).trim();
    assert.match(row, /^queue-workers\s+Complete\s+3\/1 of 3\s+/);
    assert.deepEqual((await readdir(join(queue, 'todo'))).length, 0);
    const done = (await readdir(join(queue, 'done'))).sort();
    assert.equal(done.length, 9);
    const results = await Promise.all(done.map((f) => readFile(join(queue, 'done', f), 'utf8')));
    assert.deepEqual(results.map((r) => Number(r.split(' ')[0])).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const workers = new Set(results.map((r) => /by (\S+)\)/.exec(r)![1]));
    assert.ok(workers.size >= 2, `work was shared (${[...workers].join(', ')})`);
    const pods = (await c.k(['get', 'pods', '-n', 'queue', '--no-headers'])).trim().split('\n');
    assert.equal(pods.length, 3);
    for (const p of pods) assert.match(p, /^queue-workers-\S+\s+0\/1\s+Completed\s+0\s+/);
  });

  test('docs example indexed-job: each index reads its JOB_COMPLETION_INDEX; Completed Indexes 0-4', async () => {
    await c.k(['create', 'namespace', 'indexed']);
    const manifest = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'indexed-job' },
      spec: {
        completions: 5,
        parallelism: 3,
        completionMode: 'Indexed',
        template: {
          spec: {
            restartPolicy: 'Never',
            initContainers: [
              {
                name: 'input',
                image: 'docker.io/library/bash',
                command: ['bash', '-c', 'items=(foo bar baz qux xyz)\necho ${items[$JOB_COMPLETION_INDEX]} > /input/data.txt\n'],
                volumeMounts: [{ mountPath: '/input', name: 'input' }],
              },
            ],
            containers: [{ name: 'worker', image: 'docker.io/library/busybox', command: ['rev', '/input/data.txt'], volumeMounts: [{ mountPath: '/input', name: 'input' }] }],
            volumes: [{ name: 'input', emptyDir: {} }],
          },
        },
      },
    };
    await c.k(['create', '-n', 'indexed', '-f', '-'], { input: JSON.stringify(manifest) });
    await c.k(['wait', '-n', 'indexed', '--for=condition=complete', 'job/indexed-job', '--timeout=90s']);
    const describe = await c.k(['describe', '-n', 'indexed', 'job', 'indexed-job']);
    assert.match(describe, /^Completion Mode:\s+Indexed$/m);
    assert.match(describe, /^Completed Indexes:\s+0-4$/m);
    assert.match(describe, /^Pods Statuses:\s+0 Active \(0 Ready\) \/ 5 Succeeded \/ 0 Failed$/m);
    const pods = JSON.parse(await c.k(['get', 'pods', '-n', 'indexed', '-o', 'json'])) as { items: Array<{ metadata: { name: string; annotations: Record<string, string> }; spec: { hostname: string } }> };
    assert.equal(pods.items.length, 5);
    for (const p of pods.items) {
      const ix = p.metadata.annotations['batch.kubernetes.io/job-completion-index']!;
      assert.match(p.metadata.name, new RegExp(`^indexed-job-${ix}-[a-z0-9]{5}$`));
      assert.equal(p.spec.hostname, `indexed-job-${ix}`);
      assert.equal(await c.k(['logs', '-n', 'indexed', p.metadata.name]), `${['oof', 'rab', 'zab', 'xuq', 'zyx'][Number(ix)]}\n`);
    }
  });
});
