/**
 * A tiny read-only API server for driving the real kubectl against the printers: aggregated
 * discovery built from the served-resource table, and `GET` lists (namespaced or across all
 * namespaces) answered with `buildTable` when kubectl asks for a Table. Test-only; the real API
 * server lives elsewhere.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../../api/object.js';
import { RESOURCES, apiGroups, groupVersion, type ResourceInfo } from '../../../api/resources.js';
import { buildTable } from '../print-table.js';
import type { IncludeObjectPolicy } from '../types.js';

const DISCOVERY_TYPE = (v: string) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`;

function discovery(root: 'api' | 'apis', version: 'v2' | 'v2beta1'): unknown {
  const groups = apiGroups().filter((g) => (root === 'api' ? g.group === '' : g.group !== ''));
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: { name: g.group },
      versions: g.versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: RESOURCES.filter((r) => r.group === g.group && r.version === v).map((r) => ({
          resource: r.resource,
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singular,
          verbs: r.verbs,
          ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
          ...(r.categories.length ? { categories: r.categories } : {}),
        })),
      })),
    })),
  };
}

/** Objects to serve, by `<group>/<resource>`, and the clock the tables are printed with. */
export interface TableServerOptions {
  objects: ReadonlyMap<string, readonly KubeObject[]>;
  now: Date;
}

/** A running table server. */
export interface TableServer {
  url: string;
  /** `METHOD path?query` of every request, in order. */
  requests: string[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  res.writeHead(status, { 'Content-Type': contentType });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, what: string): void {
  send(res, 404, 'application/json', { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${what} not found`, reason: 'NotFound', code: 404 });
}

/** Splits `/api/v1/...` or `/apis/<g>/<v>/...` into the resource and an optional namespace. */
function route(path: string): { info: ResourceInfo; namespace?: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  let group: string;
  let version: string;
  if (parts[0] === 'api') {
    group = '';
    version = parts[1] ?? '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1] ?? '';
    version = parts[2] ?? '';
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length === 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length !== 1) return undefined;
  const info = RESOURCES.find((r) => r.group === group && r.version === version && r.resource === rest[0]);
  return info ? { info, ...(namespace !== undefined ? { namespace } : {}) } : undefined;
}

function handle(opts: TableServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const accept = req.headers.accept ?? '';
  if (url.pathname === '/version') {
    send(res, 200, 'application/json', { major: '1', minor: '32', gitVersion: 'v1.32.0-skiff', platform: 'linux/amd64' });
    return;
  }
  if (url.pathname === '/api' || url.pathname === '/apis') {
    const root = url.pathname === '/api' ? 'api' : 'apis';
    const version = accept.includes('v=v2;') ? 'v2' : accept.includes('v=v2beta1;') ? 'v2beta1' : undefined;
    if (!version) {
      notFound(res, 'legacy discovery');
      return;
    }
    send(res, 200, DISCOVERY_TYPE(version), discovery(root, version));
    return;
  }
  const r = route(url.pathname);
  if (!r || req.method !== 'GET') {
    notFound(res, url.pathname);
    return;
  }
  const all = opts.objects.get(`${r.info.group}/${r.info.resource}`) ?? [];
  const items = r.namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === r.namespace);
  if (accept.includes('as=Table')) {
    const includeObject = (url.searchParams.get('includeObject') ?? 'Metadata') as IncludeObjectPolicy;
    send(res, 200, 'application/json', buildTable(r.info, items, { now: opts.now, includeObject, listMeta: { resourceVersion: '100' } }));
    return;
  }
  send(res, 200, 'application/json', { kind: r.info.listKind, apiVersion: groupVersion(r.info), metadata: { resourceVersion: '100' }, items });
}

/** Starts a table server on 127.0.0.1 with an ephemeral port. */
export async function startTableServer(opts: TableServerOptions): Promise<TableServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handle(opts, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
