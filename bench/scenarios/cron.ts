/**
 * cron: CronJobs on a per-minute schedule; each Job's lateness is the time from its scheduled
 * minute (the `batch.kubernetes.io/cronjob-scheduled-timestamp` it carries) to the Job's ADDED
 * event reaching a watcher. A Job's creationTimestamp has one-second resolution, too coarse for a
 * 250 ms goal, so the watch event's arrival (same machine, same clock) stands in for it: an upper
 * bound that includes watch delivery. Kubernetes' controller, and Skiff's, requeue 100 ms after
 * the schedule time (nextScheduleDelta) to absorb clock skew, so 100 ms is the floor.
 *
 * Ten CronJobs fire together each minute (as many users' jobs do at the top of the minute);
 * --quick samples one minute, the full run several.
 */
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import { startBenchServer, waitForReadyNodes } from '../lib/bench-server.js';
import type { Scenario } from '../lib/scenario.js';
import { percentile, withTimeout } from '../lib/stats.js';

export const CRONJOBS = 10;
/** CronJobs must exist this long before a minute for it to be sampled. */
const LEAD_MS = 5000;

export const cron: Scenario = {
  name: 'cron',
  description: `${CRONJOBS} per-minute CronJobs: Job created after its scheduled minute (1 minute quick, 4 full)`,
  runs: () => 1,
  async run(ctx) {
    const minutes = ctx.quick ? 1 : 4;
    const server = await startBenchServer({ nodes: 1, runtime: 'simulated' });
    try {
      await waitForReadyNodes(server.client, 1, 30_000);
      const lateness: number[] = [];
      let jobs = 0;
      let allSeen: () => void = () => undefined;
      const done = new Promise<void>((r) => (allSeen = r));
      await server.raw.watchLines('/apis/batch/v1/namespaces/default/jobs?watch=true', (line) => {
        const now = Date.now();
        const ev = JSON.parse(line) as { type: string; object: Job };
        if (ev.type !== 'ADDED') return;
        const scheduled = ev.object.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
        if (!scheduled) return;
        lateness.push(now - Date.parse(scheduled));
        if (++jobs === minutes * CRONJOBS) allSeen();
      });
      // Create the CronJobs early enough that the coming minute is the first sampled one.
      const msToMinute = 60_000 - (Date.now() % 60_000);
      if (msToMinute < LEAD_MS) await new Promise((r) => setTimeout(r, msToMinute + 500));
      for (let i = 0; i < CRONJOBS; i++) await server.client.cronJobs('default').create(cronJob(`tick-${i}`));
      ctx.log(`cron: sampling ${minutes} minute(s) from ${new Date(Date.now() + (60_000 - (Date.now() % 60_000))).toISOString()}`);
      await withTimeout(done, (minutes + 1) * 60_000 + 10_000, () => `${minutes * CRONJOBS} Jobs (${jobs} seen)`);
      return {
        figures: { 'cron.latenessP50Ms': percentile(lateness, 50), 'cron.latenessP99Ms': percentile(lateness, 99), 'cron.samples': lateness.length },
        notes: [`cron: ${CRONJOBS} per-minute CronJobs over ${minutes} minute(s), ${lateness.length} Jobs; lateness to the Job's watch event`],
      };
    } finally {
      await server.stop();
    }
  },
};

function cronJob(name: string): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      successfulJobsHistoryLimit: 1,
      jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } } },
    },
  };
}
