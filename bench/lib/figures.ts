/**
 * The figures `npm run bench` reports: each one's key in the JSON output, what it measures, its
 * goal (issue 8) and the published figure it is compared with (its anchor). The table and the
 * README are generated from this list, so a figure, its goal and its anchor never drift apart.
 */

export interface FigureDef {
  /** Dotted key; the JSON output nests on the dots (`serverStart.readyMs`). */
  key: string;
  label: string;
  unit: string;
  /** Met when the value is at most (`<=`), below (`<`), or at least (`>=`) `goal`. */
  goal?: { op: '<=' | '<' | '>='; value: number };
  anchor: string;
  /** Decimals shown in the table. */
  digits?: number;
}

export const FIGURES: FigureDef[] = [
  { key: 'serverStart.readyMs', label: 'server start → node Ready + list', unit: 'ms', goal: { op: '<=', value: 1000 }, anchor: 'k3d 19.9 s, kind 33 s, minikube 50.8 s to a cluster' },
  { key: 'serverStart.servingMs', label: 'server start → serving HTTPS', unit: 'ms', anchor: '—' },
  { key: 'podStartup.p50Ms', label: 'pod create → Running (process), p50', unit: 'ms', anchor: 'Kubernetes pod startup SLO 5 s (p99)' },
  { key: 'podStartup.p99Ms', label: 'pod create → Running (process), p99', unit: 'ms', goal: { op: '<=', value: 50 }, anchor: 'Kubernetes pod startup SLO 5 s (p99)' },
  { key: 'scheduler.podsPerSecond', label: 'scheduler: pods bound per second', unit: 'pods/s', goal: { op: '>=', value: 2000 }, anchor: 'kube-scheduler 680–810 pods/s at 5,000 nodes (CI thresholds)', digits: 0 },
  { key: 'rsScale.allRunningMs', label: 'ReplicaSet 0 → 1,000 on 100 nodes, all Running', unit: 'ms', goal: { op: '<=', value: 2000 }, anchor: 'kwok: 1,000 pods within 120 s', digits: 0 },
  { key: 'api.createP50Ms', label: 'create at a steady 1,000/s, p50', unit: 'ms', anchor: 'Kubernetes API SLO 1 s (p99)', digits: 2 },
  { key: 'api.createP99Ms', label: 'create at a steady 1,000/s, p99', unit: 'ms', goal: { op: '<=', value: 10 }, anchor: 'Kubernetes API SLO 1 s (p99)', digits: 2 },
  { key: 'api.createsPerSecond', label: 'creates, maximum sustained', unit: '/s', anchor: '—', digits: 0 },
  { key: 'api.list10kPodsMs', label: 'list 10,000 pods as JSON', unit: 'ms', anchor: 'Kubernetes LIST SLO 5 s namespaced / 30 s cluster (p99)', digits: 0 },
  { key: 'api.list10kPodsTableMs', label: 'list 10,000 pods as a Table (kubectl get)', unit: 'ms', anchor: 'Kubernetes LIST SLO 5 s namespaced / 30 s cluster (p99)', digits: 0 },
  { key: 'watch.deliveryP50Ms', label: 'write → event at 100 watchers, p50', unit: 'ms', anchor: '—', digits: 2 },
  { key: 'watch.deliveryP99Ms', label: 'write → event at 100 watchers, p99', unit: 'ms', anchor: '—', digits: 2 },
  { key: 'cron.latenessP99Ms', label: 'CronJob Job created after its scheduled time, p99', unit: 'ms', goal: { op: '<=', value: 250 }, anchor: '—', digits: 0 },
  { key: 'idle.rssMb', label: 'idle server + 1 node, RSS', unit: 'MiB', goal: { op: '<=', value: 100 }, anchor: 'k3s 1.6 GB with a workload' },
  { key: 'idle.cpuPercent', label: 'idle server + 1 node, CPU', unit: '%', goal: { op: '<', value: 1 }, anchor: 'k3s: users report 20–40 % idle', digits: 2 },
  { key: 'scale.nodes', label: 'largest cluster with API p99 < 1 s: nodes', unit: 'nodes', goal: { op: '>=', value: 5000 }, anchor: 'Kubernetes scalability limit 5,000 nodes', digits: 0 },
  { key: 'scale.pods', label: '… pods', unit: 'pods', goal: { op: '>=', value: 150_000 }, anchor: 'Kubernetes scalability limit 150,000 pods', digits: 0 },
  { key: 'scale.rssMb', label: '… server RSS', unit: 'MiB', goal: { op: '<=', value: 8192 }, anchor: 'goal: under 8 GB', digits: 0 },
  { key: 'proxy.throughputRatio', label: 'requests/s via ClusterIP ÷ straight to the pod', unit: '×', goal: { op: '>=', value: 0.5 }, anchor: '—', digits: 2 },
];

/** Whether `value` meets the figure's goal (undefined when it has none or no value). */
export function meetsGoal(def: FigureDef, value: number | undefined): boolean | undefined {
  if (!def.goal || value === undefined || !Number.isFinite(value)) return undefined;
  const g = def.goal.value;
  return def.goal.op === '<=' ? value <= g : def.goal.op === '<' ? value < g : value >= g;
}

/** `≤ 1,000 ms` */
export function formatGoal(def: FigureDef): string {
  if (!def.goal) return '—';
  const op = def.goal.op === '<=' ? '≤' : def.goal.op === '>=' ? '≥' : '<';
  return `${op} ${def.goal.value.toLocaleString('en-US')} ${def.unit}`;
}

export function formatValue(def: FigureDef, value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return `${value.toLocaleString('en-US', { maximumFractionDigits: def.digits ?? 1, minimumFractionDigits: 0 })} ${def.unit}`;
}

/** Nests dotted keys: { 'a.b': 1 } → { a: { b: 1 } }. */
export function nest(flat: Record<string, number | null>): Record<string, Record<string, number | null>> {
  const out: Record<string, Record<string, number | null>> = {};
  for (const [k, v] of Object.entries(flat)) {
    const dot = k.indexOf('.');
    const group = k.slice(0, dot);
    (out[group] ??= {})[k.slice(dot + 1)] = v;
  }
  return out;
}

/** A plain-text table (the terminal) or a Markdown table (the README). */
export function renderTable(values: Record<string, number | undefined>, markdown: boolean): string {
  const rows = FIGURES.filter((d) => d.key in values).map((d) => {
    const v = values[d.key];
    const met = meetsGoal(d, v);
    return [d.key, d.label, formatValue(d, v), formatGoal(d), met === undefined ? '' : met ? 'met' : 'MISSED', d.anchor];
  });
  const head = ['key', 'figure', 'measured', 'goal', '', 'anchor'];
  if (markdown) {
    const line = (r: string[]) => `| ${r.join(' | ')} |`;
    return [line(['figure', 'measured', 'goal', 'anchor']), line(['---', '---:', '---', '---']), ...rows.map((r) => line([`${r[1]} (\`${r[0]}\`)`, r[2] as string, `${r[3]}${r[4] ? ` (${(r[4] as string).toLowerCase()})` : ''}`, r[5] as string]))].join('\n');
  }
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] as string).length)));
  return all.map((r) => r.map((c, i) => (i === 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ').trimEnd()).join('\n');
}
