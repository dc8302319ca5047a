/**
 * The API server's request handler, independent of HTTP: authentication check, health and version
 * endpoints, discovery, OpenAPI, then authorization and the REST handlers for resources. The
 * HTTPS front end and the in-process transport both call this.
 */
import type { ApiHandler, ApiRequest, ApiResponse } from '../api/http.js';
import { notFoundPath, tooManyRequests, unauthorized, methodNotAllowed } from '../api/errors.js';
import { parseRequestInfo } from './request-info.js';
import { authorize, type AuthzLookups } from './auth/authz.js';
import { ANONYMOUS } from './auth/authn.js';
import {
  AGGREGATED_V2,
  AGGREGATED_V2BETA1,
  aggregatedDiscovery,
  aggregatedVersionFor,
  legacyAPIGroup,
  legacyAPIGroupList,
  legacyAPIResourceList,
  legacyAPIVersions,
} from './discovery.js';
import { errorResponse, jsonResponse } from './handlers/respond.js';
import { handleResource } from './handlers/resources.js';
import { subresourceHandlers, type PodStreamProvider } from './handlers/subresources.js';
import type { ProtobufDecoder } from './handlers/body.js';
import type { Registry } from './registry/registry.js';

/** Kubernetes version Skiff reports and is compatible with. */
export const KUBE_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0' };

/** Most watches served at once; more get 429 so one client cannot exhaust the server. */
export const DEFAULT_MAX_WATCHES = 20_000;

export interface OpenAPIServer {
  /** Serves `/openapi/v2`, `/openapi/v3` and `/openapi/v3/<gv>`; undefined when the path is unknown. */
  handle(req: ApiRequest): ApiResponse | undefined;
}

export interface HandlerOptions {
  registry: Registry;
  version: string;
  /** Address advertised in legacy discovery (`host:port`). */
  serverAddress: string;
  openapi?: OpenAPIServer;
  protobuf?: ProtobufDecoder;
  podStreams?: PodStreamProvider;
  maxWatches?: number;
  /** Set once the server may answer /readyz with ok. */
  isReady?: () => boolean;
  /** The cluster CA (PEM), served unauthenticated at /cacerts for joining agents (they check it against their join token). */
  caPem?: string;
  log?: (msg: string) => void;
}

const HEALTH = new Set(['/healthz', '/livez', '/readyz', '/healthz/ping', '/livez/ping', '/readyz/ping']);

export function createApiHandler(opts: HandlerOptions): ApiHandler {
  const registry = opts.registry;
  let watches = 0;
  const maxWatches = opts.maxWatches ?? DEFAULT_MAX_WATCHES;
  const admitWatch = () => {
    if (watches >= maxWatches) throw tooManyRequests(`too many watches open (limit ${maxWatches}); retry later`, 1);
    watches++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        watches--;
      }
    };
  };
  const lookups: AuthzLookups = {
    pod: (ns, name) => registry.cache.get('pods', `/registry/pods/${ns}/${name}`)?.obj,
    persistentVolume: (name) => registry.cache.get('persistentvolumes', `/registry/persistentvolumes/${name}`)?.obj,
    node: (name) => registry.cache.get('nodes', `/registry/nodes/${name}`)?.obj,
    *podsOnNode(node) {
      for (const e of registry.cache.scan('pods', '')) {
        if ((e.obj as { spec?: { nodeName?: string } }).spec?.nodeName === node) yield e.obj;
      }
    },
  };
  const subresources = subresourceHandlers({
    registry,
    ...(opts.protobuf ? { protobuf: opts.protobuf } : {}),
    ...(opts.podStreams ? { podStreams: opts.podStreams } : {}),
  });
  const resourceDeps = { registry, subresources, admitWatch, ...(opts.protobuf ? { protobuf: opts.protobuf } : {}) };
  const versionInfo = {
    ...KUBE_VERSION,
    gitVersion: `${KUBE_VERSION.gitVersion}-skiff.${opts.version}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'skiff',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };

  return async (req: ApiRequest): Promise<ApiResponse> => {
    try {
      const path = req.path.length > 1 && req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
      if (HEALTH.has(path)) {
        if (path.startsWith('/readyz') && opts.isReady && !opts.isReady()) {
          return { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '[-]informer-sync failed: not ready\nreadyz check failed\n' };
        }
        return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'ok' };
      }
      if (path === '/version') return jsonResponse(200, versionInfo);
      // Public by design: the CA certificate is no secret; an agent trusts it only if its SHA-256
      // matches the hash in its join token (node-agent contract).
      if (path === '/cacerts' && opts.caPem) {
        if (req.method !== 'GET') throw methodNotAllowed(req.method, path);
        return { status: 200, headers: { 'content-type': 'application/x-pem-file' }, body: opts.caPem };
      }
      if (req.user === ANONYMOUS || req.user.name === ANONYMOUS.name) throw unauthorized();

      if (path === '/api' || path === '/apis') {
        if (req.method !== 'GET') throw methodNotAllowed(req.method, path);
        const root = path === '/api' ? 'api' : 'apis';
        const v = aggregatedVersionFor(req.headers.accept);
        if (v) {
          return jsonResponse(200, aggregatedDiscovery(root, v), { 'content-type': v === 'v2' ? AGGREGATED_V2 : AGGREGATED_V2BETA1 });
        }
        return jsonResponse(200, root === 'api' ? legacyAPIVersions(opts.serverAddress) : legacyAPIGroupList());
      }
      if (path.startsWith('/openapi/') || path === '/swagger-2.0.0.pb-v1') {
        const res = opts.openapi?.handle({ ...req, path });
        if (res) return res;
        throw notFoundPath();
      }
      const ri = parseRequestInfo(req.method, path, req.query);
      if (ri.kind === 'nonresource') {
        const parts = path.split('/').filter(Boolean);
        if (parts[0] === 'api' && parts.length === 2) {
          const list = legacyAPIResourceList('', parts[1]!);
          if (list) return jsonResponse(200, list);
        } else if (parts[0] === 'apis' && parts.length === 2) {
          const g = legacyAPIGroup(parts[1]!);
          if (g) return jsonResponse(200, g);
        } else if (parts[0] === 'apis' && parts.length === 3) {
          const list = legacyAPIResourceList(parts[1]!, parts[2]!);
          if (list) return jsonResponse(200, list);
        }
        throw notFoundPath();
      }
      authorize(req.user, ri, lookups);
      return await handleResource(resourceDeps, req, ri);
    } catch (err) {
      return errorResponse(err, opts.log);
    }
  };
}
