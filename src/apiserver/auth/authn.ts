/**
 * Bearer-token authentication. The admin token maps to a cluster administrator
 * (group `system:masters`); node tokens (`node:<join secret>:<node name>`) map to
 * `system:node:<name>` in group `system:nodes`, like kubelet credentials. Anything else is
 * anonymous, which the handler turns into 401 except on the health and version endpoints.
 */
import { timingSafeEqual } from 'node:crypto';
import type { UserInfo } from '../../api/http.js';

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
export const ADMIN_GROUP = 'system:masters';
export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

export interface TokenCredentials {
  adminToken: string;
  /** The secret part of the node join token. */
  nodeSecret: string;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** The bearer a node agent sends: the join secret plus its own name. */
export function nodeBearer(secret: string, nodeName: string): string {
  return `node:${secret}:${nodeName}`;
}

export function authenticate(authorization: string | undefined, creds: TokenCredentials): UserInfo {
  if (!authorization) return ANONYMOUS;
  const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (!m) return ANONYMOUS;
  const token = m[1]!.trim();
  if (safeEqual(token, creds.adminToken)) return { name: 'admin', groups: [ADMIN_GROUP, 'system:authenticated'] };
  if (token.startsWith('node:')) {
    const rest = token.slice(5);
    const sep = rest.indexOf(':');
    if (sep > 0) {
      const secret = rest.slice(0, sep);
      const node = rest.slice(sep + 1);
      if (node && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node) && node.length <= 253 && safeEqual(secret, creds.nodeSecret)) {
        return { name: NODE_USER_PREFIX + node, groups: [NODES_GROUP, 'system:authenticated'] };
      }
    }
  }
  return ANONYMOUS;
}

/** The node name of a node user, or undefined. */
export function nodeNameOf(user: UserInfo): string | undefined {
  return user.groups.includes(NODES_GROUP) && user.name.startsWith(NODE_USER_PREFIX) ? user.name.slice(NODE_USER_PREFIX.length) : undefined;
}
