/**
 * `npm run bench`: Skiff's figures against Kubernetes' published ones (issue 8). Each scenario
 * starts its own fresh `skiff server` (temporary data dir, free port), runs as often as its
 * `runs` says, and the suite reports the median of each figure over the runs; percentiles inside
 * a run are over that run's samples. Figures are reported, never asserted: shared machines are
 * noisy, so the output also records the machine's load.
 *
 *   npm run bench [-- --quick] [--out FILE] [--only a,b] [--skip a,b] [--markdown]
 *
 * Prints a table on stdout (progress on stderr); with --out writes JSON: every figure nested by
 * its dotted key (`serverStart.readyMs` is `json.serverStart.readyMs`), plus `runs` (each run's
 * values), `notes` and `meta` (machine, load, commit, quick or full). See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { FIGURES, nest, renderTable } from './lib/figures.js';
import type { Scenario, ScenarioContext } from './lib/scenario.js';
import { median } from './lib/stats.js';
import { api } from './scenarios/api.js';
import { cron } from './scenarios/cron.js';
import { idle } from './scenarios/idle.js';
import { podStartup } from './scenarios/pod-startup.js';
import { proxy } from './scenarios/proxy.js';
import { rsScale } from './scenarios/rs-scale.js';
import { scale } from './scenarios/scale.js';
import { scheduler } from './scenarios/scheduler.js';
import { serverStart } from './scenarios/server-start.js';

/**
 * Scenarios in the order they run; the scenarios of one group run side by side. idle and cron
 * share a group: both mostly wait (30 s of idleness, the next minute boundary), each on its own
 * server process, and idle's CPU is read per process, so neither disturbs the other's figure.
 */
export const GROUPS: Scenario[][] = [[serverStart], [podStartup], [scheduler], [rsScale], [api], [idle, cron], [scale], [proxy]];

const USAGE = `Usage: npm run bench [-- --quick] [--out FILE] [--only a,b] [--skip a,b] [--markdown]

  --quick      smaller sizes and single runs: the whole suite in under 5 minutes on 2 cores
               (scale is not grown: its figures come from the scheduler scenario's cluster)
  --out FILE   write the figures as JSON
  --only LIST  run only these scenarios; --skip LIST: all but these
  --markdown   also print the table as Markdown (the README's Benchmarks section)

Scenarios:
${GROUPS.flat()
  .map((s) => `  ${s.name.padEnd(12)} ${s.description}`)
  .join('\n')}
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string' },
      skip: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const skip = new Set(values.skip ? values.skip.split(',') : []);
  const known = new Set(GROUPS.flat().map((s) => s.name));
  for (const n of [...(only ?? []), ...skip]) if (!known.has(n)) throw new Error(`unknown scenario "${n}"; known: ${[...known].join(', ')}`);
  const selected = (s: Scenario) => (!only || only.has(s.name)) && !skip.has(s.name) && !(values.quick && s === scale);

  const started = Date.now();
  const ctx: ScenarioContext = { quick: values.quick, log: (m) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`) };
  const runs: Record<string, Array<Record<string, number>>> = {};
  const notes: string[] = [];
  const failures: string[] = [];
  const load0 = loadavg();

  for (const group of GROUPS) {
    await Promise.all(
      group.filter(selected).map(async (s) => {
        const n = s.runs(ctx);
        for (let i = 0; i < n; i++) {
          ctx.log(`${s.name}: run ${i + 1} of ${n}`);
          try {
            const r = await s.run(ctx, i);
            (runs[s.name] ??= []).push(r.figures);
            for (const note of r.notes ?? []) if (!notes.includes(note)) notes.push(note);
            ctx.log(`${s.name}: ${Object.entries(r.figures).map(([k, v]) => `${k}=${Number.isFinite(v) ? Math.round(v * 100) / 100 : v}`).join(' ')}`);
          } catch (err) {
            const msg = `${s.name} run ${i + 1} failed: ${(err as Error).stack ?? String(err)}`;
            ctx.log(msg);
            failures.push(msg);
          }
        }
      }),
    );
  }

  // Median over runs, per figure.
  const figures: Record<string, number> = {};
  for (const list of Object.values(runs)) {
    const keys = new Set(list.flatMap((r) => Object.keys(r)));
    for (const k of keys) figures[k] = median(list.map((r) => r[k]).filter((v): v is number => v !== undefined && Number.isFinite(v)));
  }
  if (values.quick && selected(scheduler) && figures['scheduler.nodes'] !== undefined) {
    // --quick does not grow a cluster to its limit: report the one the scheduler scenario built.
    figures['scale.nodes'] = figures['scheduler.nodes'];
    figures['scale.pods'] = 10_000;
    figures['scale.rssMb'] = figures['scheduler.rssMb'] ?? NaN;
    figures['scale.apiP99Ms'] = figures['scheduler.apiP99Ms'] ?? NaN;
    notes.push(`scale: --quick does not grow the cluster; these are the scheduler scenario's ${figures['scheduler.nodes']} nodes and 10,000 pods (API p99 ${Math.round(figures['scheduler.apiP99Ms'] ?? NaN)} ms), a lower bound`);
  }

  // Every figure of a scenario that ran is shown (n/a when it could not be measured).
  const ran = new Set(GROUPS.flat().filter(selected).map((s) => s.name));
  const display: Record<string, number | undefined> = {};
  for (const d of FIGURES) if (d.key in figures || ran.has(d.key.split('.')[0] as string)) display[d.key] = figures[d.key];
  process.stdout.write(`\n${renderTable(display, false)}\n`);
  if (values.markdown) process.stdout.write(`\n${renderTable(display, true)}\n`);
  if (notes.length) process.stdout.write(`\nNotes:\n${notes.map((n) => `  - ${n}`).join('\n')}\n`);
  if (failures.length) process.stdout.write(`\nFailed:\n${failures.map((n) => `  - ${n.split('\n')[0]}`).join('\n')}\n`);

  if (values.out) {
    const flat: Record<string, number | null> = {};
    for (const k of Object.keys(display)) flat[k] = null;
    for (const [k, v] of Object.entries(figures)) flat[k] = Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null;
    const out = {
      ...nest(flat),
      runs,
      notes,
      failures,
      meta: {
        date: new Date(started).toISOString(),
        quick: values.quick,
        durationS: Math.round((Date.now() - started) / 1000),
        commit: gitCommit(),
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? '',
        memoryGb: Math.round(totalmem() / 1e9),
        loadAverageBefore: load0.map((l) => Math.round(l * 100) / 100),
        loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100),
      },
    };
    await writeFile(values.out, JSON.stringify(out, null, 2) + '\n');
    ctx.log(`wrote ${values.out}`);
  }
  if (failures.length) process.exitCode = 1;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
