/**
 * The seed's CronJob demo in real time with the real kubectl against `skiff server --nodes 2`:
 * examples/cron.yaml fires on the next minute, `kubectl get jobs --watch` shows the Job
 * `hello-<minutes since the epoch>` appear (created within a second of the minute), the Job
 * completes, `kubectl get cronjob` shows Kubernetes' columns, `kubectl create job --from=cronjob`
 * runs it by hand (kubectl 1.32+ sends that Job as protobuf), and deleting the CronJob takes its
 * Jobs and pods with it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { kubectlPath, kubectlUnavailable } from '../helpers/kubectl.js';
import { waitFor } from '../helpers/in-process.js';

const CRON_YAML = fileURLToPath(new URL('../../../examples/cron.yaml', import.meta.url));

describe('CronJobs with kubectl (seed: scheduling Jobs with cron)', { skip: kubectlUnavailable(), timeout: 300_000 }, () => {
  let c: TestCluster;

  before(async () => {
    c = await startCluster({ args: ['--nodes', '2', '--runtime', 'process'] });
  });
  after(async () => {
    await c?.stop();
  });

  test('hello: a Job per minute, named by the scheduled minute, seen by kubectl get jobs --watch', { timeout: 150_000 }, async () => {
    // Watch from before the CronJob exists, as in the seed transcript.
    const watch = spawn(kubectlPath()!, ['--kubeconfig', c.kubeconfig, 'get', 'jobs', '--watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let watched = '';
    watch.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    try {
      assert.equal((await c.k(['create', '-f', '-'], { input: await readFile(CRON_YAML, 'utf8') })).trim(), 'cronjob.batch/hello created');
      const header = (await c.k(['get', 'cronjob', 'hello'])).split('\n')[0]!;
      assert.match(header, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);

      const name = await waitFor(() => /^(hello-(\d{8}))\s/m.exec(watched)?.[1], 75_000, 'a hello-<minutes> Job under --watch');
      const minute = Number(name.slice('hello-'.length));
      const job = JSON.parse(await c.k(['get', 'job', name, '-o', 'json'])) as { metadata: { creationTimestamp: string; annotations: Record<string, string> } };
      assert.equal(Date.parse(job.metadata.creationTimestamp), minute * 60_000, 'created within the scheduled second');
      assert.equal(job.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(minute * 60_000).toISOString().replace('.000Z', 'Z'));

      await c.k(['wait', '--for=condition=complete', `job/${name}`, '--timeout=60s']);
      const row = await waitFor(async () => {
        const r = (await c.k(['get', 'cronjob', 'hello', '--no-headers'])).trim();
        return /\s0\s+\d+s\s+\d+s$/.test(r) ? r : undefined;
      }, 10_000, 'ACTIVE back to 0');
      assert.match(row, /^hello\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+\d+s\s+\d+s$/);
      assert.match(await c.k(['logs', `job/${name}`]), /^\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \w+ \d{4}\nHello from the Kubernetes cluster\n$/);
      const pods = (await c.k(['get', 'pods', '-l', `job-name=${name}`, '--no-headers'])).trim();
      assert.match(pods, new RegExp(`^${name}-\\S+\\s+0/1\\s+Completed\\s+0\\s+`));
      const events = await c.k(['get', 'events', '--field-selector', 'involvedObject.name=hello', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
      assert.match(events, new RegExp(`^SuccessfulCreate: Created job ${name}$`, 'm'));
      await waitFor(async () => (await c.k(['get', 'events', '--field-selector', 'involvedObject.name=hello', '-o', 'jsonpath={.items[*].message}'])).includes(`Saw completed job: ${name}, condition: Complete`), 10_000, 'SawCompletedJob');
      assert.match(watched, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/m);
    } finally {
      watch.kill();
    }
  });

  test('kubectl create job --from=cronjob/hello runs the template by hand', async () => {
    for (const [version, job] of [
      [undefined, 'manual'],
      ['1.27', 'manual-127'],
    ] as const) {
      if (version && kubectlUnavailable(version)) continue;
      assert.equal((await c.k(['create', 'job', job, '--from=cronjob/hello'], version ? { version } : {})).trim(), `job.batch/${job} created`);
      const created = JSON.parse(await c.k(['get', 'job', job, '-o', 'json'])) as { metadata: { annotations: Record<string, string>; ownerReferences: Array<{ kind: string; name: string; controller: boolean }> } };
      assert.equal(created.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
      // kubectl 1.19–1.28 set a plain ownerReference; newer ones mark it as the controller again.
      assert.deepEqual(
        created.metadata.ownerReferences.map((r) => [r.kind, r.name, r.controller ?? false]),
        [['CronJob', 'hello', version !== '1.27']],
      );
      await c.k(['wait', '--for=condition=complete', `job/${job}`, '--timeout=60s']);
    }
  });

  test('kubectl delete cronjob hello removes its Jobs and their pods', async () => {
    assert.equal((await c.k(['delete', 'cronjob', 'hello'])).trim(), 'cronjob.batch "hello" deleted');
    await waitFor(async () => (await c.k(['get', 'jobs', '-o', 'name'])).trim() === '', 30_000, 'Jobs gone');
    await waitFor(async () => (await c.k(['get', 'pods', '-o', 'name'])).trim() === '', 30_000, 'pods gone');
  });
});
