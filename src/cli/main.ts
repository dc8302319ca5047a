/**
 * The `skiff` command: `skiff server`, `skiff agent`, `skiff kubeconfig`, `skiff version`. Flags follow Kubernetes' names where Kubernetes has one.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultDataDir, runServer } from './server.js';
import { SKIFF_VERSION } from './version.js';
import { agentCommand } from './agent.js';
import { datastoreCommand } from './datastore.js';
import { createLogger, type LogLevel } from '../client/log.js';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'];

const USAGE = `Skiff ${SKIFF_VERSION}: Kubernetes semantics, pods as local processes.

Usage:
  skiff server [flags]     start the control plane (API server on an embedded SQLite store)
  skiff agent [flags]      join this machine to a cluster as a node ('skiff agent --help')
  skiff kubeconfig         print the admin kubeconfig of a data dir
  skiff datastore migrate  copy a cluster's state between SQLite and etcd ('skiff datastore --help')
  skiff version            print the version

Server flags:
  --data-dir DIR           state, credentials and kubeconfig (default ~/.skiff, or $SKIFF_DATA_DIR)
  --port N                 HTTPS port of the API server (default 6443; 0 picks a free port)
  --bind-address ADDR      address to listen on (default 127.0.0.1)
  --tls-san NAME           extra name or IP for the serving certificate (repeatable)
  --nodes N                local node agents to run in this process, node-1 … node-N (default 1; 0 = control plane only;
                           with an etcd datastore the default is 0 and the names carry the server's id)
  --runtime KIND           runtime of the local nodes: process (pods run as local processes, default) or
                           simulated (pods run nothing; for scale tests)
  --leave-pods-running     on SIGTERM/SIGINT, exit without stopping the local nodes' pods (re-adopted on restart)
  --log-level LEVEL        debug, info, warn or error (default info)
  --cluster-cidr CIDR      pod addresses, a /24 per node (default 10.244.0.0/16, or the next free /16 when the machine
                           uses it); refused when it overlaps the machine's networks
  --service-cidr CIDR      Service cluster IPs (default 10.96.0.0/12, or the next free range); the first address is the
                           kubernetes Service's, the tenth the cluster DNS's
  --proxy-mode MODE        service proxy of the local nodes: nftables (default where pods get network namespaces: root,
                           iproute2, nftables) or userspace (listeners in the server process; cluster IPs are bound on a
                           dummy link as root, and not reachable without root, where NodePorts still answer)
  --node-monitor-grace-period DURATION
                           how long a node may go without a heartbeat before it is NotReady (default 50s)
  --default-not-ready-toleration-seconds N, --default-unreachable-toleration-seconds N
                           how long pods tolerate a not-ready/unreachable node by default (default 300)
  --terminated-pod-gc-threshold N
                           terminated pods kept before the oldest are deleted (default 12500; 0 = never)

Datastore flags (several servers on one etcd form one cluster):
  --datastore-endpoint URL etcd to store everything in: http://HOST:2379[,http://HOST2:2379...] (https:// for
                           TLS), or sqlite:PATH; default: SQLite in the data dir
  --datastore-cafile FILE, --datastore-certfile FILE, --datastore-keyfile FILE
                           TLS to etcd: its CA, and a client certificate and key
  --token TOKEN            the cluster token: every server on one etcd gets the same one (or $SKIFF_TOKEN; the
                           first server writes a generated one to <data-dir>/token when none is given)
  Moving a cluster between SQLite and etcd: 'skiff datastore migrate --help'.
`;

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\nRun 'skiff --help' for usage.\n`);
  process.exit(2);
}

function intFlag(v: string | undefined, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v)) fail(`--${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) fail(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A Go-style duration (`50s`, `1m30s`, `500ms`, `2h`) in milliseconds. */
function durationFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(v) ? v.match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g) : null;
  if (!parts) fail(`--${name} must be a duration such as 40s, 1m30s or 500ms; got "${v}"`);
  let ms = 0;
  for (const p of parts) {
    const [, num, unit] = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(p) as RegExpExecArray;
    ms += Number(num) * (units[unit as string] as number);
  }
  if (ms <= 0) fail(`--${name} must be positive; got "${v}"`);
  return Math.round(ms);
}

function runtimeFlag(v: string | undefined): 'process' | 'simulated' {
  if (v === undefined) return 'process';
  if (v !== 'process' && v !== 'simulated') fail(`--runtime must be process or simulated, got "${v}"`);
  return v;
}

async function serverCommand(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        'bind-address': { type: 'string' },
        'tls-san': { type: 'string', multiple: true },
        nodes: { type: 'string' },
        runtime: { type: 'string' },
        'leave-pods-running': { type: 'boolean' },
        'log-level': { type: 'string' },
        'node-monitor-grace-period': { type: 'string' },
        'default-not-ready-toleration-seconds': { type: 'string' },
        'default-unreachable-toleration-seconds': { type: 'string' },
        'terminated-pod-gc-threshold': { type: 'string' },
        'datastore-endpoint': { type: 'string' },
        'datastore-cafile': { type: 'string' },
        'datastore-certfile': { type: 'string' },
        'datastore-keyfile': { type: 'string' },
        token: { type: 'string' },
        'cluster-cidr': { type: 'string' },
        'service-cidr': { type: 'string' },
        'proxy-mode': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values;
  const gracePeriodMs = durationFlag(v['node-monitor-grace-period'], 'node-monitor-grace-period');
  const controllers = {
    ...(gracePeriodMs !== undefined ? { nodeMonitorGracePeriodMs: gracePeriodMs } : {}),
    defaultNotReadyTolerationSeconds: intFlag(v['default-not-ready-toleration-seconds'], 'default-not-ready-toleration-seconds', 300),
    defaultUnreachableTolerationSeconds: intFlag(v['default-unreachable-toleration-seconds'], 'default-unreachable-toleration-seconds', 300),
    ...(v['terminated-pod-gc-threshold'] !== undefined ? { terminatedPodGCThreshold: intFlag(v['terminated-pod-gc-threshold'], 'terminated-pod-gc-threshold', 12_500) } : {}),
  };
  if (v.help) {
    process.stdout.write(USAGE);
    return;
  }
  const logLevel = v['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) fail(`--log-level must be one of debug, info, warn, error; got "${logLevel}"`);
  const log = createLogger({ level: logLevel as LogLevel });
  const proxyMode = v['proxy-mode'];
  if (proxyMode !== undefined && proxyMode !== 'nftables' && proxyMode !== 'userspace') fail(`--proxy-mode must be nftables or userspace, got "${proxyMode}"`);
  const flags = {
    dataDir: v['data-dir'] ?? defaultDataDir(),
    port: intFlag(v.port, 'port', 6443, 0, 65535),
    bindAddress: v['bind-address'] ?? '127.0.0.1',
    // With etcd, a server is control plane only unless asked: nodes join with `skiff agent`.
    nodes: intFlag(v.nodes, 'nodes', v['datastore-endpoint'] && !v['datastore-endpoint'].trim().startsWith('sqlite:') ? 0 : 1, 0, 100_000),
    runtime: runtimeFlag(v.runtime),
    leavePodsRunning: v['leave-pods-running'] ?? false,
    logLevel,
    advertiseNames: v['tls-san'] ?? [],
    controllers,
    ...(v['datastore-endpoint'] ? { datastoreEndpoint: v['datastore-endpoint'] } : {}),
    datastoreTls: { cafile: v['datastore-cafile'], certfile: v['datastore-certfile'], keyfile: v['datastore-keyfile'] },
    ...((v.token ?? process.env.SKIFF_TOKEN) !== undefined ? { token: v.token ?? process.env.SKIFF_TOKEN } : {}),
    ...(v['cluster-cidr'] ? { clusterCidr: v['cluster-cidr'] } : {}),
    ...(v['service-cidr'] ? { serviceCidr: v['service-cidr'] } : {}),
    ...(proxyMode ? { proxyMode: proxyMode as 'nftables' | 'userspace' } : {}),
  };
  let server;
  try {
    server = await runServer(flags, log);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') fail(`port ${flags.port} on ${flags.bindAddress} is already in use; stop the other server or pass --port`);
    if (e.code === 'EACCES') fail(`cannot listen on ${flags.bindAddress}:${flags.port}: permission denied; pick a port above 1024`);
    // Datastore set-up problems the user fixes with flags: say so without a stack trace.
    if (e.name === 'BootstrapTokenError' || /^(cannot reach etcd|datastore endpoint|--token|--datastore-|cannot read the datastore|--cluster-cidr|--service-cidr|--proxy-mode|every default)/.test(e.message)) fail(e.message);
    throw err;
  }
  process.stdout.write(`Skiff is running at ${server.url}\nexport KUBECONFIG=${server.kubeconfigPath}\n`);
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) {
      log.warn(`second ${signal}: exiting now`);
      process.exit(1);
    }
    shuttingDown = true;
    log.info(`${signal} received: shutting down`);
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`shutdown failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function kubeconfigCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' } }, strict: true });
  const path = join(values['data-dir'] ?? defaultDataDir(), 'kubeconfig.yaml');
  try {
    process.stdout.write(await readFile(path, 'utf8'));
  } catch {
    fail(`no kubeconfig at ${path}: start 'skiff server' with this data dir first`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'server':
      return serverCommand(rest);
    case 'kubeconfig':
      return kubeconfigCommand(rest);
    case 'agent':
      return agentCommand(rest);
    case 'datastore':
      return datastoreCommand(rest);
    case 'version':
    case '--version':
      process.stdout.write(`skiff ${SKIFF_VERSION}\n`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      fail(`unknown command "${cmd}"`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
