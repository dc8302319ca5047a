/**
 * proxy: HTTP requests per second from the host through a Service's ClusterIP against straight
 * to the pod's IP, side by side in one run (alternating rounds with the same client, so machine
 * noise hits both alike). The pod is a small Node HTTP server on one process-runtime node; the
 * service proxy is whatever `skiff server` picks on this machine (nftables as root, else the
 * userspace proxy). When the ClusterIP cannot be reached from the host (no root: cluster IPs are
 * not routable) the figure is skipped with the reason.
 */
import { Agent, request } from 'node:http';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { startBenchServer, waitForReadyNodes, type BenchServer } from '../lib/bench-server.js';
import type { RunResult, Scenario } from '../lib/scenario.js';
import { median, until } from '../lib/stats.js';

/** Requests in flight per measurement. */
export const PROXY_CONCURRENCY = 16;
const ECHO_PORT = 8080;
const SERVER_JS = `require('http').createServer((q, s) => s.end('ok')).listen(${ECHO_PORT})`;

export const proxy: Scenario = {
  name: 'proxy',
  description: 'HTTP requests/s through a ClusterIP vs straight to the pod, alternating rounds',
  runs: () => 1,
  async run(ctx): Promise<RunResult> {
    const server = await startBenchServer({ nodes: 1, runtime: 'process' });
    try {
      await waitForReadyNodes(server.client, 1, 30_000);
      const target = await deployEcho(server);
      if ('skip' in target) return { figures: {}, notes: [`proxy: skipped — ${target.skip}`] };
      const rounds = ctx.quick ? 3 : 6;
      const ms = ctx.quick ? 1500 : 3000;
      const direct: number[] = [];
      const viaService: number[] = [];
      for (let i = 0; i < rounds; i++) {
        direct.push(await requestsPerSecond(`http://${target.podIP}:${ECHO_PORT}/`, ms));
        viaService.push(await requestsPerSecond(`http://${target.clusterIP}:80/`, ms));
      }
      const d = median(direct);
      const c = median(viaService);
      return {
        figures: { 'proxy.throughputRatio': c / d, 'proxy.directRps': d, 'proxy.clusterIpRps': c },
        notes: [`proxy: ${rounds} alternating rounds of ${ms} ms, ${PROXY_CONCURRENCY} keep-alive requests in flight, from the host to pod ${target.podIP} and ClusterIP ${target.clusterIP}`],
      };
    } finally {
      await server.stop();
    }
  },
};

async function deployEcho(server: BenchServer): Promise<{ podIP: string; clusterIP: string } | { skip: string }> {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'echo', labels: { app: 'echo' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'echo',
          image: 'node',
          command: [process.execPath, '-e', SERVER_JS],
          ports: [{ containerPort: ECHO_PORT }],
          readinessProbe: { httpGet: { path: '/', port: ECHO_PORT }, periodSeconds: 1 },
        },
      ],
    },
  };
  const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' }, spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: ECHO_PORT }] } };
  await server.client.pods('default').create(pod);
  const created = await server.client.services('default').create(svc);
  const clusterIP = created.spec?.clusterIP;
  if (!clusterIP || clusterIP === 'None') return { skip: 'the Service got no cluster IP' };
  const podIP = await until(
    'the echo pod Ready',
    async () => {
      const p = await server.client.pods('default').get('echo');
      return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p.status.podIP : undefined;
    },
    60_000,
    100,
  );
  await until(
    'the echo endpoints',
    async () => ((await server.client.endpoints('default').get('echo').catch(() => undefined)) as Endpoints | undefined)?.subsets?.some((s) => (s.addresses?.length ?? 0) > 0) || undefined,
    30_000,
    100,
  );
  for (const [what, url] of [
    ['the pod IP', `http://${podIP}:${ECHO_PORT}/`],
    ['the ClusterIP', `http://${clusterIP}:80/`],
  ] as const) {
    const ok = await until(`${what} to answer`, () => get(url, 1000).then((r) => r || undefined), 10_000, 200).catch(() => false);
    if (!ok) return { skip: `${what} (${url}) does not answer from the host (service proxy mode or privileges; see skiff server --help)` };
  }
  return { podIP, clusterIP };
}

function get(url: string, timeoutMs: number, agent?: Agent): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { agent: agent ?? false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Completed GETs per second with PROXY_CONCURRENCY keep-alive requests in flight for `ms`. */
async function requestsPerSecond(url: string, ms: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: PROXY_CONCURRENCY });
  let done = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: PROXY_CONCURRENCY }, async () => {
      while (performance.now() < end) if (await get(url, 5000, agent)) done++;
    }),
  );
  const rate = (done * 1000) / (performance.now() - t0);
  agent.destroy();
  return rate;
}
