/**
 * Job controller against the in-process API server, with the test playing the node agent.
 * Scenarios 27–33 and 35 of controllers.md §15, plus accounting and restart cases.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { GarbageCollector } from '../garbagecollector/garbage-collector.js';
import { JobController } from './job-controller.js';
import { JOB_TRACKING_FINALIZER } from './job-util.js';
import { newJob, startHarness, type Harness } from './testing/harness.js';

const NS = 'default';

async function withHarness(fn: (h: Harness) => Promise<void>, opts: { batchPeriodMs?: number; gc?: boolean } = {}): Promise<void> {
  const h = await startHarness();
  try {
    await h.start([new JobController({ batchPeriodMs: opts.batchPeriodMs ?? 0 }), ...(opts.gc ? [new GarbageCollector()] : [])]);
    await fn(h);
  } finally {
    await h.stop();
  }
}

const cond = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type);
const active = (pods: Pod[]) => pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');

test('scenario 27: completions 3, parallelism 2 — never more than 2 pods, SuccessCriteriaMet then Complete', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('pi', { completions: 3, parallelism: 2 }));
    let maxActive = 0;
    for (let done = 0; done < 3; ) {
      const pods = await h.until(async () => {
        const all = await h.pods(NS, 'pi');
        const a = active(all);
        return a.length > 0 && a.length === Math.min(2, 3 - done) ? a : undefined;
      }, `${Math.min(2, 3 - done)} active pods`);
      maxActive = Math.max(maxActive, pods.length);
      await h.finish(pods[0]!, 0);
      done++;
      await h.until(async () => ((await h.job(NS, 'pi')).status?.succeeded ?? 0) >= done, `succeeded ${done}`);
    }
    const job = await h.until(async () => {
      const j = await h.job(NS, 'pi');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete');
    assert.equal(maxActive, 2);
    assert.equal(job.status?.succeeded, 3);
    assert.equal(job.status?.active, undefined, 'active 0 is omitted on the wire, as Kubernetes does');
    assert.equal(job.status?.failed, undefined);
    assert.equal(job.status?.ready, 0);
    assert.equal(job.status?.terminating, 0);
    assert.deepEqual(job.status?.uncountedTerminatedPods, {});
    const types = job.status!.conditions!.map((c) => c.type);
    assert.deepEqual(types, ['SuccessCriteriaMet', 'Complete']);
    for (const c of job.status!.conditions!) {
      assert.equal(c.reason, 'CompletionsReached');
      assert.equal(c.message, 'Reached expected number of succeeded pods');
    }
    assert.ok(job.status?.completionTime);
    assert.ok(job.status?.startTime);
    const pods = await h.pods(NS, 'pi');
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata!.name!, /^pi-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.ok(!p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER), 'finalizer removed after counting');
    }
    const events = await h.until(async () => {
      const ev = await h.events(NS, 'pi');
      return ev.some((e) => e.reason === 'Completed') ? ev : undefined;
    }, 'Completed event');
    const completed = events.find((e) => e.reason === 'Completed')!;
    assert.equal(completed.message, 'Job completed');
    assert.equal(completed.source?.component, 'job-controller');
    assert.equal(events.filter((e) => e.reason === 'SuccessfulCreate').length, 3);
    assert.match(events.find((e) => e.reason === 'SuccessfulCreate')!.message!, /^Created pod: pi-/);
  });
});

test('scenario 28: a template-only Job gets the defaults, labels and the tracking finalizer on its pod', async () => {
  await withHarness(async (h) => {
    const job = await h.client.jobs(NS).create(newJob('defaults'));
    assert.equal(job.spec?.completions, 1);
    assert.equal(job.spec?.parallelism, 1);
    assert.equal(job.spec?.backoffLimit, 6);
    assert.equal(job.spec?.completionMode, 'NonIndexed');
    assert.equal(job.spec?.suspend, false);
    const [pod] = await h.until(async () => {
      const p = await h.pods(NS, 'defaults');
      return p.length === 1 ? p : undefined;
    }, 'one pod');
    const uid = job.metadata!.uid!;
    assert.deepEqual(
      { ...pod!.metadata!.labels },
      { app: 'defaults', 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'defaults', 'controller-uid': uid, 'job-name': 'defaults' },
    );
    assert.deepEqual(pod!.metadata!.finalizers, [JOB_TRACKING_FINALIZER]);
    const ref = pod!.metadata!.ownerReferences![0]!;
    assert.deepEqual({ ...ref }, { apiVersion: 'batch/v1', kind: 'Job', name: 'defaults', uid, controller: true, blockOwnerDeletion: true });
    const running = await h.until(async () => {
      const j = await h.job(NS, 'defaults');
      return j.status?.active === 1 ? j : undefined;
    }, 'active 1');
    assert.equal(running.status?.ready, 0);
    assert.equal(running.status?.terminating, 0);
    assert.ok(running.status?.startTime);
    await h.run(pod!);
    await h.until(async () => (await h.job(NS, 'defaults')).status?.ready === 1, 'ready 1');
    await h.finish(pod!, 0);
    await h.until(async () => cond(await h.job(NS, 'defaults'), 'Complete'), 'Complete');
    const after = await h.client.pods(NS).get(pod!.metadata!.name!);
    assert.deepEqual(after.metadata?.finalizers ?? [], [], 'finished pod kept, without the finalizer');
  });
});

test('scenario 29: exit 1 with backoffLimit 2 — 3 failed pods, recreated after 10 s then 20 s, then BackoffLimitExceeded', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('fail', { backoffLimit: 2 }));
    const created: number[] = [];
    for (let n = 1; n <= 3; n++) {
      const pods = await h.until(async () => {
        const p = await h.pods(NS, 'fail');
        return p.length === n ? p : undefined;
      }, `${n} pods`);
      created.push(h.clock.now());
      const failedAt = h.clock.now();
      await h.finish(active(pods)[0]!, 1);
      if (n === 3) break;
      // The controller parks the Job until the back-off ends instead of polling.
      const backoff = 10_000 * 2 ** (n - 1);
      await h.until(() => h.clock.nextTimerAt() === failedAt + backoff, `requeue at +${backoff} ms`);
      assert.equal((await h.pods(NS, 'fail')).length, n, 'no replacement during the back-off');
      await h.advance(backoff);
    }
    assert.deepEqual([created[1]! - created[0]!, created[2]! - created[1]!], [10_000, 20_000]);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'fail');
      return cond(j, 'Failed') ? j : undefined;
    }, 'Failed');
    assert.equal((await h.pods(NS, 'fail')).length, 3);
    assert.equal(job.status?.failed, 3);
    assert.equal(job.status?.completionTime, undefined);
    assert.deepEqual(
      job.status!.conditions!.map((c) => [c.type, c.status, c.reason, c.message]),
      [
        ['FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
        ['Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ],
    );
    const ev = await h.until(async () => (await h.events(NS, 'fail')).find((e) => e.reason === 'BackoffLimitExceeded'), 'Warning event');
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, 'Job has reached the specified backoff limit');
  });
});

test('scenario 30: activeDeadlineSeconds 10 — at the deadline the pod is deleted and the Job fails with DeadlineExceeded', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('slow', { activeDeadlineSeconds: 10 }));
    const [pod] = await h.until(async () => {
      const p = await h.pods(NS, 'slow');
      return p.length === 1 ? p : undefined;
    }, 'pod');
    await h.run(pod!);
    const start = Date.parse((await h.until(async () => (await h.job(NS, 'slow')).status?.startTime, 'startTime'))!);
    await h.until(() => h.clock.nextTimerAt() === start + 10_000, 'requeue at the deadline');
    await h.advance(9_999);
    assert.equal(cond(await h.job(NS, 'slow'), 'FailureTarget'), undefined);
    await h.advance(1);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'slow');
      return cond(j, 'Failed') ? j : undefined;
    }, 'Failed');
    assert.equal(cond(job, 'Failed')!.reason, 'DeadlineExceeded');
    assert.equal(cond(job, 'Failed')!.message, 'Job was active longer than specified deadline');
    assert.equal(cond(job, 'FailureTarget')!.reason, 'DeadlineExceeded');
    assert.equal(job.status?.failed, 1);
    assert.equal(job.status?.active ?? 0, 0);
    assert.equal(job.status?.completionTime, undefined);
    assert.equal((await h.pods(NS, 'slow')).length, 0, 'the pod was deleted');
    const events = await h.until(async () => {
      const ev = await h.events(NS, 'slow');
      return ev.some((e) => e.reason === 'DeadlineExceeded') ? ev : undefined;
    }, 'DeadlineExceeded event');
    assert.ok(events.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted pod: ${pod!.metadata!.name}`));
    assert.equal(events.find((e) => e.reason === 'DeadlineExceeded')!.type, 'Warning');
  });
});

test('scenario 31: Indexed completions 3 — per-index names, env, hostnames, labels, completedIndexes', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    const pods = await h.until(async () => {
      const p = await h.pods(NS, 'idx');
      return p.length === 3 ? p : undefined;
    }, '3 pods');
    const byIndex = new Map(pods.map((p) => [p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']!, p]));
    assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
    for (const [ix, p] of byIndex) {
      assert.match(p.metadata!.name!, new RegExp(`^idx-${ix}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.equal(p.metadata!.labels!['batch.kubernetes.io/job-completion-index'], ix);
      assert.equal(p.spec!.hostname, `idx-${ix}`);
      assert.deepEqual(
        p.spec!.containers[0]!.env!.find((e) => e.name === 'JOB_COMPLETION_INDEX'),
        { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } },
      );
    }
    await h.finish(byIndex.get('2')!, 0);
    await h.finish(byIndex.get('0')!, 0);
    await h.until(async () => (await h.job(NS, 'idx')).status?.completedIndexes === '0,2', 'completedIndexes 0,2');
    await h.finish(byIndex.get('1')!, 0);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'idx');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete');
    assert.equal(job.status?.completedIndexes, '0-2');
    assert.equal(job.status?.succeeded, 3);
  });
});

test('scenario 32: created suspended — no pods, no startTime; resumed — pods, startTime, Suspended=False JobResumed', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('later', { suspend: true, activeDeadlineSeconds: 600 }));
    const suspended = await h.until(async () => {
      const j = await h.job(NS, 'later');
      return cond(j, 'Suspended') ? j : undefined;
    }, 'Suspended');
    assert.deepEqual([cond(suspended, 'Suspended')!.status, cond(suspended, 'Suspended')!.reason, cond(suspended, 'Suspended')!.message], ['True', 'JobSuspended', 'Job suspended']);
    assert.equal(suspended.status?.startTime, undefined);
    assert.equal((await h.pods(NS, 'later')).length, 0);
    await h.advance(5_000);
    await h.client.jobs(NS).patch('later', 'merge', { spec: { suspend: false } });
    const resumed = await h.until(async () => {
      const j = await h.job(NS, 'later');
      return cond(j, 'Suspended')?.status === 'False' ? j : undefined;
    }, 'resumed');
    assert.equal(cond(resumed, 'Suspended')!.reason, 'JobResumed');
    assert.equal(cond(resumed, 'Suspended')!.message, 'Job resumed');
    assert.equal(Date.parse(resumed.status!.startTime!), h.clock.now(), 'startTime is the resume time');
    await h.until(async () => (await h.pods(NS, 'later')).length === 1, 'pod created');
    const events = await h.until(async () => {
      const ev = await h.events(NS, 'later');
      return ev.some((e) => e.reason === 'Resumed') ? ev : undefined;
    }, 'Resumed event');
    assert.ok(events.some((e) => e.reason === 'Suspended' && e.message === 'Job suspended'));
    assert.ok(events.some((e) => e.reason === 'Resumed' && e.message === 'Job resumed'));
    // Suspending a running Job deletes its pods without counting them as failed.
    await h.client.jobs(NS).patch('later', 'merge', { spec: { suspend: true } });
    await h.until(async () => (await h.pods(NS, 'later')).length === 0, 'pods removed');
    const again = await h.until(async () => {
      const j = await h.job(NS, 'later');
      return cond(j, 'Suspended')?.status === 'True' && (j.status?.active ?? 0) === 0 ? j : undefined;
    }, 'suspended again');
    assert.equal(again.status?.failed ?? 0, 0);
  });
});

test('scenario 33: podFailurePolicy FailJob on exit code 42 fails the Job at the first failure', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(
      newJob('pfp', {
        parallelism: 2,
        completions: 2,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
      }),
    );
    const pods = await h.until(async () => {
      const p = await h.pods(NS, 'pfp');
      return p.length === 2 ? p : undefined;
    }, '2 pods');
    await h.run(pods[1]!);
    await h.finish(pods[0]!, 42);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'pfp');
      return cond(j, 'Failed') ? j : undefined;
    }, 'Failed');
    const msg = `Container main for pod default/${pods[0]!.metadata!.name} failed with exit code 42 matching FailJob rule at index 0`;
    assert.deepEqual([cond(job, 'FailureTarget')!.reason, cond(job, 'FailureTarget')!.message], ['PodFailurePolicy', msg]);
    assert.deepEqual([cond(job, 'Failed')!.reason, cond(job, 'Failed')!.message], ['PodFailurePolicy', msg]);
    // The other pod was killed because the Job failed: it counts as failed too.
    assert.equal(job.status?.failed, 2);
    assert.equal(job.spec?.backoffLimit, 6);
  });
});

test('scenario 35: DELETE without propagationPolicy orphans the pods and strips their tracking finalizer', async () => {
  await withHarness(
    async (h) => {
      await h.client.jobs(NS).create(newJob('orphan', { parallelism: 2, completions: 2 }));
      const pods = await h.until(async () => {
        const p = await h.pods(NS, 'orphan');
        return p.length === 2 ? p : undefined;
      }, '2 pods');
      await h.run(pods[0]!);
      // A raw API DELETE: Jobs default to orphaning their pods (kubectl would send Background).
      const deleting = await h.client.jobs(NS).delete('orphan');
      assert.deepEqual((deleting as Job).metadata?.finalizers, ['orphan']);
      await h.until(async () => (await h.client.jobs(NS).list()).items.length === 0, 'job gone');
      const left = await h.until(async () => {
        const p = await h.pods(NS, 'orphan');
        return p.every((x) => !x.metadata?.ownerReferences && !x.metadata?.finalizers) ? p : undefined;
      }, 'pods orphaned, finalizers stripped');
      assert.deepEqual(left.map((p) => p.metadata!.name).sort(), pods.map((p) => p.metadata!.name).sort(), 'pods remain');
      assert.equal(active(left).length, 2, 'still running');
    },
    { gc: true },
  );
});

test('changing parallelism on a running Job takes effect; scale-down deletes pods without counting them', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('scale', { completions: 10, parallelism: 1 }));
    await h.until(async () => active(await h.pods(NS, 'scale')).length === 1, '1 pod');
    await h.client.jobs(NS).patch('scale', 'merge', { spec: { parallelism: 4 } });
    const four = await h.until(async () => {
      const a = active(await h.pods(NS, 'scale'));
      return a.length === 4 ? a : undefined;
    }, '4 pods');
    await h.run(four[0]!);
    await h.client.jobs(NS).patch('scale', 'merge', { spec: { parallelism: 2 } });
    await h.until(async () => (await h.pods(NS, 'scale')).length === 2, '2 pods left');
    const job = await h.until(async () => {
      const j = await h.job(NS, 'scale');
      return j.status?.active === 2 ? j : undefined;
    }, 'active 2');
    assert.equal(job.status?.failed ?? 0, 0, 'scaled-down pods are not failures');
    const left = await h.pods(NS, 'scale');
    assert.ok(left.some((p) => p.metadata!.name === four[0]!.metadata!.name), 'the running pod is kept; pending ones go first');
    await h.until(async () => (await h.events(NS, 'scale')).filter((e) => e.reason === 'SuccessfulDelete').length === 2, '2 SuccessfulDelete events');
  });
});

test('work queue (completions unset): done once one pod succeeded and the rest ended; no new pods after a success', async () => {
  await withHarness(async (h) => {
    const created = await h.client.jobs(NS).create(newJob('queue', { parallelism: 3 }));
    assert.equal(created.spec?.completions, undefined);
    const pods = await h.until(async () => {
      const p = await h.pods(NS, 'queue');
      return p.length === 3 ? p : undefined;
    }, '3 pods');
    await h.finish(pods[0]!, 0);
    await h.until(async () => (await h.job(NS, 'queue')).status?.succeeded === 1, 'succeeded 1');
    assert.equal(cond(await h.job(NS, 'queue'), 'Complete'), undefined, 'others still running');
    await h.finish(pods[1]!, 0);
    await h.finish(pods[2]!, 0);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'queue');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete');
    assert.equal(job.status?.succeeded, 3);
    assert.equal((await h.pods(NS, 'queue')).length, 3, 'no pod created after the first success');
  });
});

test('restartPolicy OnFailure: restarts adding up to backoffLimit fail the Job and the pod is counted as failed', async () => {
  await withHarness(async (h) => {
    const job0 = newJob('restarts', { backoffLimit: 2 });
    job0.spec!.template.spec!.restartPolicy = 'OnFailure';
    await h.client.jobs(NS).create(job0);
    const [pod] = await h.until(async () => {
      const p = await h.pods(NS, 'restarts');
      return p.length === 1 ? p : undefined;
    }, 'pod');
    await h.run(pod!, { restarts: 1 });
    await h.until(async () => (await h.job(NS, 'restarts')).status?.active === 1, 'active');
    assert.equal(cond(await h.job(NS, 'restarts'), 'FailureTarget'), undefined);
    await h.run(pod!, { restarts: 2 });
    const job = await h.until(async () => {
      const j = await h.job(NS, 'restarts');
      return cond(j, 'Failed') ? j : undefined;
    }, 'Failed');
    assert.equal(cond(job, 'Failed')!.reason, 'BackoffLimitExceeded');
    assert.equal(job.status?.failed, 1);
    assert.equal((await h.pods(NS, 'restarts')).length, 0);
  });
});

test('backoffLimitPerIndex: an index failing past its limit is listed in failedIndexes and fails the Job at the end', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('perindex', { completions: 2, parallelism: 2, completionMode: 'Indexed', backoffLimitPerIndex: 1 }));
    const created = await h.client.jobs(NS).get('perindex');
    assert.equal(created.spec?.backoffLimit, 2147483647);
    const byIx = async () => {
      const m = new Map<string, Pod>();
      for (const p of active(await h.pods(NS, 'perindex'))) m.set(p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']!, p);
      return m;
    };
    const first = await h.until(async () => ((await byIx()).size === 2 ? byIx() : undefined), 'both indexes');
    assert.equal(first.get('0')!.metadata!.annotations!['batch.kubernetes.io/job-index-failure-count'], '0');
    await h.finish(first.get('1')!, 0);
    const failedAt = h.clock.now();
    await h.finish(first.get('0')!, 1);
    await h.until(() => h.clock.nextTimerAt() === failedAt + 10_000, 'per-index back-off');
    await h.advance(10_000);
    const retry = await h.until(async () => (await byIx()).get('0'), 'index 0 retried');
    assert.equal(retry.metadata!.annotations!['batch.kubernetes.io/job-index-failure-count'], '1');
    await h.finish(retry, 1);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'perindex');
      return cond(j, 'Failed') ? j : undefined;
    }, 'Failed');
    assert.equal(job.status?.failedIndexes, '0');
    assert.equal(job.status?.completedIndexes, '1');
    assert.equal(cond(job, 'Failed')!.reason, 'FailedIndexes');
    assert.equal(cond(job, 'Failed')!.message, 'Job has failed indexes');
    assert.equal(job.status?.failed, 2);
  });
});

test('successPolicy: the matching index ends the Job early; lingering pods are removed without counting as failed', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(
      newJob('leader', { completions: 3, parallelism: 3, completionMode: 'Indexed', successPolicy: { rules: [{ succeededIndexes: '0' }] } }),
    );
    const pods = await h.until(async () => {
      const p = await h.pods(NS, 'leader');
      return p.length === 3 ? p : undefined;
    }, '3 pods');
    const leader = pods.find((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'] === '0')!;
    await h.finish(leader, 0);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'leader');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete');
    assert.deepEqual([cond(job, 'SuccessCriteriaMet')!.reason, cond(job, 'SuccessCriteriaMet')!.message], ['SuccessPolicy', 'Matched rules at index 0']);
    assert.deepEqual([cond(job, 'Complete')!.reason, cond(job, 'Complete')!.message], ['SuccessPolicy', 'Matched rules at index 0']);
    assert.equal(job.status?.failed ?? 0, 0);
    assert.equal(job.status?.succeeded, 1);
    assert.equal(job.status?.completedIndexes, '0');
    assert.deepEqual((await h.pods(NS, 'leader')).map((p) => p.metadata!.name), [leader.metadata!.name]);
  });
});

test('podFailurePolicy Ignore: a matching failure is replaced but not counted', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(
      newJob('ignore', { backoffLimit: 0, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] } }),
    );
    const [pod] = await h.until(async () => {
      const p = await h.pods(NS, 'ignore');
      return p.length === 1 ? p : undefined;
    }, 'pod');
    await h.finish(pod!, 137, { conditions: [{ type: 'DisruptionTarget', status: 'True' }] });
    // Ignored failures are not counted, but still delay the replacement (failure back-off).
    await h.until(() => h.clock.pendingTimers() > 0, 'back-off requeue');
    await h.advance(10_000);
    const replacement = await h.until(async () => active(await h.pods(NS, 'ignore'))[0], 'replacement');
    await h.finish(replacement, 0);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'ignore');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete despite backoffLimit 0');
    assert.equal(job.status?.failed ?? 0, 0);
  });
});

test('podFailurePolicy matches init container exit codes', async () => {
  await withHarness(async (h) => {
    const j = newJob('initfail', { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'setup', operator: 'In', values: [3] } }] } });
    j.spec!.template.spec!.initContainers = [{ name: 'setup', image: 'busybox', command: ['false'] }];
    await h.client.jobs(NS).create(j);
    const [pod] = await h.until(async () => {
      const p = await h.pods(NS, 'initfail');
      return p.length === 1 ? p : undefined;
    }, 'pod');
    await h.finish(pod!, 3, { containers: [{ name: 'setup', exitCode: 3, init: true }] });
    const job = await h.until(async () => {
      const x = await h.job(NS, 'initfail');
      return cond(x, 'Failed') ? x : undefined;
    }, 'Failed');
    assert.equal(cond(job, 'Failed')!.message, `Container setup for pod default/${pod!.metadata!.name} failed with exit code 3 matching FailJob rule at index 0`);
  });
});

test('podReplacementPolicy: TerminatingOrFailed replaces a deleted pod at once, Failed waits until it is terminal', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('eager', { completions: 2 }));
    await h.client.jobs(NS).create(newJob('patient', { completions: 2, podReplacementPolicy: 'Failed' }));
    for (const name of ['eager', 'patient']) await h.until(async () => (await h.pods(NS, name)).length === 1, `${name} pod`);
    const [eager] = await h.pods(NS, 'eager');
    const [patient] = await h.pods(NS, 'patient');
    await h.client.pods(NS).delete(eager!.metadata!.name!);
    await h.client.pods(NS).delete(patient!.metadata!.name!);
    // The deleted pod counts as a failure, so the usual failure back-off applies.
    await h.until(async () => (await h.job(NS, 'eager')).status?.failed === 1 && h.clock.pendingTimers() > 0, 'eager pod counted, back-off parked');
    await h.advance(10_000);
    await h.until(async () => active(await h.pods(NS, 'eager')).length === 1, 'eager replacement');
    await h.until(async () => {
      const j = await h.job(NS, 'eager');
      return j.status?.failed === 1 && j.status.active === 1;
    }, 'deleted pod counted as failed, replacement active');
    const waiting = await h.until(async () => {
      const j = await h.job(NS, 'patient');
      return j.status?.terminating === 1 ? j : undefined;
    }, 'terminating 1');
    assert.equal(waiting.status?.active ?? 0, 0);
    assert.equal(active(await h.pods(NS, 'patient')).length, 0, 'no replacement while terminating');
    await h.finish(patient!, 137);
    await h.until(async () => (await h.job(NS, 'patient')).status?.failed === 1, 'counted once Failed');
    await h.advance(10_000);
    await h.until(async () => active(await h.pods(NS, 'patient')).length === 1, 'replacement once Failed');
    assert.equal((await h.job(NS, 'patient')).status?.failed, 1);
  });
});

test('Jobs managed by another controller are left alone', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('external', { managedBy: 'example.com/batch' }));
    await h.client.jobs(NS).create(newJob('builtin', { managedBy: 'kubernetes.io/job-controller' }));
    await h.until(async () => (await h.pods(NS, 'builtin')).length === 1, 'built-in Job runs');
    const job = await h.job(NS, 'external');
    assert.equal(job.status?.startTime, undefined);
    assert.equal((await h.pods(NS, 'external')).length, 0);
  });
});

test('orphans matching a manual selector are adopted with the tracking finalizer', async () => {
  await withHarness(async (h) => {
    const bare = await h.client.pods(NS).create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bare', namespace: NS, labels: { role: 'worker' } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
    });
    const j = newJob('adopter', { manualSelector: true, selector: { matchLabels: { role: 'worker' } } });
    j.spec!.template.metadata!.labels = { role: 'worker' };
    const job = await h.client.jobs(NS).create(j);
    const adopted = await h.until(async () => {
      const p = await h.client.pods(NS).get('bare');
      return p.metadata?.ownerReferences?.[0]?.uid === job.metadata!.uid ? p : undefined;
    }, 'adopted');
    assert.deepEqual(adopted.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
    await h.until(async () => (await h.job(NS, 'adopter')).status?.active === 1, 'counted as active');
    assert.equal((await h.client.pods(NS).list()).items.length, 1, 'no extra pod');
    await h.finish(bare, 0);
    await h.until(async () => cond(await h.job(NS, 'adopter'), 'Complete'), 'Complete');
  });
});

test('pods of a Job deleted in the background lose their tracking finalizer', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('gone', { parallelism: 2, completions: 2 }));
    await h.until(async () => (await h.pods(NS, 'gone')).length === 2, '2 pods');
    await h.client.jobs(NS).delete('gone', { propagationPolicy: 'Background' });
    await h.until(async () => (await h.pods(NS, 'gone')).every((p) => !p.metadata?.finalizers?.length), 'finalizers stripped by the orphan worker');
  });
});

test('a controller restart between the accounting steps neither loses nor double-counts a pod', async () => {
  const h = await startHarness();
  try {
    await h.start([new JobController({ batchPeriodMs: 0 })]);
    await h.client.jobs(NS).create(newJob('exact', { completions: 5, parallelism: 5 }));
    const pods = await h.until(async () => {
      const p = await h.pods(NS, 'exact');
      return p.length === 5 ? p : undefined;
    }, '5 pods');
    await h.stopControllers();
    const [a, b, c] = pods;
    for (const p of [a!, b!, c!]) await h.finish(p, 0);
    // As if the previous leader recorded a and b as uncounted, then removed a's finalizer only.
    const job = await h.job(NS, 'exact');
    (job as { status: Job['status'] }).status = { ...job.status, uncountedTerminatedPods: { succeeded: [a!.metadata!.uid!, b!.metadata!.uid!] } };
    await h.client.jobs(NS).updateStatus(job);
    await h.client.pods(NS).patch(a!.metadata!.name!, 'strategic', { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } });

    await h.start([new JobController({ batchPeriodMs: 0 })]);
    const counted = await h.until(async () => {
      const j = await h.job(NS, 'exact');
      return j.status?.succeeded === 3 && !j.status.uncountedTerminatedPods?.succeeded?.length ? j : undefined;
    }, 'succeeded 3');
    assert.equal(counted.status?.active, 2);
    await h.stopControllers();
    await h.start([new JobController({ batchPeriodMs: 0 })]);
    for (const p of pods.slice(3)) await h.finish(p, 0);
    const done = await h.until(async () => {
      const j = await h.job(NS, 'exact');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete');
    assert.equal(done.status?.succeeded, 5);
    assert.equal((await h.pods(NS, 'exact')).length, 5, 'no extra pod was created');
    const events = await h.events(NS, 'exact');
    assert.equal(events.filter((e) => e.reason === 'TooManySucceededPods').length, 0);
  } finally {
    await h.stop();
  }
});

test('batching: pod events within the batch period make one sync', async () => {
  await withHarness(
    async (h) => {
      await h.client.jobs(NS).create(newJob('batch', { completions: 2, parallelism: 2 }));
      const pods = await h.until(async () => {
        const p = await h.pods(NS, 'batch');
        return p.length === 2 ? p : undefined;
      }, '2 pods');
      await h.finish(pods[0]!, 0);
      await h.finish(pods[1]!, 0);
      await h.until(() => h.clock.pendingTimers() > 0, 'batched sync parked');
      assert.equal((await h.job(NS, 'batch')).status?.succeeded ?? 0, 0);
      await h.advance(1000);
      await h.until(async () => cond(await h.job(NS, 'batch'), 'Complete'), 'Complete');
    },
    { batchPeriodMs: 1000 },
  );
});

test('docs example: backoffLimitPerIndex 1, maxFailedIndexes 5 — even indexes fail twice, odd succeed', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(
      newJob('job-backoff-limit-per-index-example', { completions: 10, parallelism: 3, completionMode: 'Indexed', backoffLimitPerIndex: 1, maxFailedIndexes: 5 }),
    );
    const ix = (p: Pod) => Number(p.metadata!.annotations!['batch.kubernetes.io/job-completion-index']);
    // Play the node agent: even indexes exit 1, odd ones succeed; advance through the back-offs.
    for (let guard = 0; guard < 200; guard++) {
      const j = await h.job(NS, 'job-backoff-limit-per-index-example');
      if (j.status?.conditions?.some((c) => c.type === 'Failed')) break;
      const running = active(await h.pods(NS, 'job-backoff-limit-per-index-example'));
      if (running.length === 0) {
        await h.advance(1_000);
        await new Promise((r) => setImmediate(r));
        continue;
      }
      for (const p of running) await h.finish(p, ix(p) % 2 === 0 ? 1 : 0);
      await h.until(async () => active(await h.pods(NS, 'job-backoff-limit-per-index-example')).every((p) => !running.some((r) => r.metadata!.uid === p.metadata!.uid)), 'finished pods seen');
    }
    const job = await h.until(async () => {
      const j = await h.job(NS, 'job-backoff-limit-per-index-example');
      return j.status?.conditions?.some((c) => c.type === 'Failed') ? j : undefined;
    }, 'Failed');
    assert.equal(job.status?.failedIndexes, '0,2,4,6,8');
    assert.equal(job.status?.completedIndexes, '1,3,5,7,9');
    assert.equal(job.status?.failed, 10);
    assert.equal(job.status?.succeeded, 5);
    assert.deepEqual(
      job.status!.conditions!.filter((c) => c.type !== 'Suspended').map((c) => [c.type, c.reason, c.message]),
      [
        ['FailureTarget', 'FailedIndexes', 'Job has failed indexes'],
        ['Failed', 'FailedIndexes', 'Job has failed indexes'],
      ],
    );
  });
});

test('elastic Indexed Job: lowering completions and parallelism together removes the out-of-range indexes', async () => {
  await withHarness(async (h) => {
    await h.client.jobs(NS).create(newJob('elastic', { completions: 4, parallelism: 4, completionMode: 'Indexed' }));
    const pods = await h.until(async () => {
      const p = await h.pods(NS, 'elastic');
      return p.length === 4 ? p : undefined;
    }, '4 pods');
    const byIx = (i: string) => pods.find((p) => p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'] === i)!;
    await h.finish(byIx('0'), 0);
    await h.until(async () => (await h.job(NS, 'elastic')).status?.completedIndexes === '0', 'index 0 done');
    await h.client.jobs(NS).patch('elastic', 'merge', { spec: { completions: 2, parallelism: 2 } });
    await h.until(async () => active(await h.pods(NS, 'elastic')).length === 1, 'indexes 2 and 3 removed');
    assert.equal(active(await h.pods(NS, 'elastic'))[0]!.metadata!.annotations!['batch.kubernetes.io/job-completion-index'], '1');
    await h.finish(byIx('1'), 0);
    const job = await h.until(async () => {
      const j = await h.job(NS, 'elastic');
      return cond(j, 'Complete') ? j : undefined;
    }, 'Complete');
    assert.equal(job.status?.completedIndexes, '0,1');
    assert.equal(job.status?.succeeded, 2);
    assert.equal(job.status?.failed ?? 0, 0);
  });
});
