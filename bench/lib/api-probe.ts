/**
 * API latency as Kubernetes' SLO measures it, on a cluster under whatever load it carries: the
 * SLO covers single-object mutating and read-only calls (p99 ≤ 1 s), so the probe times creates,
 * gets and patches of small objects and reads of a pod, a few at a time, and reports p50/p99.
 */
import type { BenchServer } from './bench-server.js';
import { percentile, pool } from './stats.js';

export interface ProbeResult {
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

/** `rounds` × (create, get, patch of a ConfigMap; get of a pod, when `podPath` names one), 4 in flight. */
export async function probeApi(server: BenchServer, rounds: number, podPath?: string): Promise<ProbeResult> {
  const stamp = Date.now().toString(36);
  const lat: number[] = [];
  const ns = '/api/v1/namespaces/default/configmaps';
  await pool(rounds, 4, async (i) => {
    const name = `probe-${stamp}-${i}`;
    lat.push((await server.raw.must('POST', ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } }, 201)).ms);
    lat.push((await server.raw.must('GET', `${ns}/${name}`, undefined, 200)).ms);
    lat.push((await server.raw.must('PATCH', `${ns}/${name}`, { data: { touched: 'yes' } }, 200)).ms);
    if (podPath) lat.push((await server.raw.must('GET', podPath, undefined, 200)).ms);
  });
  return { p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), calls: lat.length };
}
