/**
 * proxy: requests per second through a Service's ClusterIP against straight to the pod, side by
 * side in one run. The service proxy (src/proxy, issue 6) has not landed yet; until it has, the
 * scenario reports that and measures nothing.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../lib/scenario.js';

/** True once src/proxy holds a (non-test) module. */
export function proxyAvailable(): boolean {
  try {
    const dir = fileURLToPath(new URL('../../src/proxy/', import.meta.url));
    return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.js') && !String(f).endsWith('.test.js'));
  } catch {
    return false;
  }
}

export const proxy: Scenario = {
  name: 'proxy',
  description: 'requests/s through a ClusterIP vs straight to the pod (once src/proxy lands)',
  runs: () => 1,
  run() {
    if (!proxyAvailable()) return Promise.resolve({ figures: {}, notes: ['proxy: skipped — the service proxy (src/proxy, issue 6) has not landed yet'] });
    return Promise.resolve({ figures: {}, notes: ['proxy: skipped — src/proxy exists but this bench has no scenario for it yet'] });
  },
};
