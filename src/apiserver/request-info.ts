/**
 * Parses a request path into what it addresses, like apiserver's RequestInfoFactory:
 * `/api/v1/namespaces/default/pods/web-0/status` → core v1, namespace default, pods, web-0, status.
 */
import { findResource, type ResourceInfo } from '../api/resources.js';
import type { HttpMethod } from '../api/http.js';

export type ResourceVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection';

export interface ResourceRequest {
  kind: 'resource';
  verb: ResourceVerb;
  group: string;
  version: string;
  /** Undefined when the group/version/resource is not served. */
  info: ResourceInfo | undefined;
  resource: string;
  namespace: string;
  name: string;
  subresource: string;
  /** Path segments beyond the subresource (e.g. proxy paths); usually empty. */
  rest: string[];
}

export interface NonResourceRequest {
  kind: 'nonresource';
  path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

/** Splits and URI-decodes a path. Returns undefined for malformed escapes. */
function segments(path: string): string[] | undefined {
  const out: string[] = [];
  for (const s of path.split('/')) {
    if (s === '') continue;
    try {
      out.push(decodeURIComponent(s));
    } catch {
      return undefined;
    }
  }
  return out;
}

export function parseRequestInfo(method: HttpMethod, path: string, query: URLSearchParams): RequestInfo {
  const parts = segments(path);
  if (!parts || parts.length < 3) return { kind: 'nonresource', path };
  let i: number;
  let group: string;
  let version: string;
  if (parts[0] === 'api') {
    group = '';
    version = parts[1]!;
    i = 2;
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    i = 3;
  } else {
    return { kind: 'nonresource', path };
  }
  let namespace = '';
  // `namespaces/{ns}/{resource}` addresses a namespaced resource; `namespaces/{ns}` alone (or
  // with a subresource like `status`/`finalize`) addresses the Namespace object itself.
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    const maybeResource = parts[i + 2]!;
    const isNamespaceSub = group === '' && (maybeResource === 'status' || maybeResource === 'finalize') && parts.length === i + 3;
    if (!isNamespaceSub) {
      namespace = parts[i + 1]!;
      i += 2;
    }
  }
  const resource = parts[i] ?? '';
  const name = parts[i + 1] ?? '';
  const subresource = parts[i + 2] ?? '';
  const rest = parts.slice(i + 3);
  const info = findResource(group, version, resource);
  return {
    kind: 'resource',
    verb: verbFor(method, name, query),
    group,
    version,
    info,
    resource,
    namespace,
    name,
    subresource,
    rest,
  };
}

function verbFor(method: HttpMethod, name: string, query: URLSearchParams): ResourceVerb {
  const watch = query.get('watch');
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch === 'true' || watch === '1') return 'watch';
      return name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return 'get';
  }
}
