/**
 * Printer for core/v1 Nodes, as Kubernetes' `printNode`: STATUS from the Ready condition plus
 * `SchedulingDisabled`, ROLES from role labels, and the wide address and system-info columns.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { objectAge } from './duration.js';
import { AGE_COLUMN, NAME_COLUMN, NONE, column, compareStrings } from './format.js';
import type { ResourcePrinter } from './types.js';

/** Label prefix whose suffix names a node role: `node-role.kubernetes.io/control-plane`. */
export const NODE_ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
/** Legacy label whose value names a node role. */
export const NODE_ROLE_LABEL = 'kubernetes.io/role';

/**
 * The STATUS cell: `Ready` when the Ready condition is True, `NotReady` when it is False or
 * Unknown, `Unknown` without one; `,SchedulingDisabled` is appended for a cordoned node.
 */
export function nodeStatus(node: Node): string {
  let status = 'Unknown';
  const conditions = node.status?.conditions;
  if (conditions) {
    // Later duplicates win, as in Kubernetes' condition map.
    for (const c of conditions) if (c.type === 'Ready') status = c.status === 'True' ? 'Ready' : 'NotReady';
  }
  return node.spec?.unschedulable ? `${status},SchedulingDisabled` : status;
}

/** The node's roles, sorted and de-duplicated (`findNodeRoles`). */
export function nodeRoles(node: Node): string[] {
  const labels = node.metadata?.labels;
  if (!labels) return [];
  const roles = new Set<string>();
  for (const k of Object.keys(labels)) {
    if (k.startsWith(NODE_ROLE_LABEL_PREFIX)) {
      const role = k.slice(NODE_ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_ROLE_LABEL && labels[k]) {
      roles.add(labels[k] as string);
    }
  }
  return [...roles].sort(compareStrings);
}

function nodeAddress(node: Node, type: string): string {
  for (const a of node.status?.addresses ?? []) if (a.type === type) return a.address;
  return NONE;
}

/** Printer for core/v1 Nodes. */
export const nodePrinter: ResourcePrinter<Node> = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', { text: 'The status of the node' }),
    column('Roles', 'string', { text: 'The roles of the node' }),
    AGE_COLUMN,
    column('Version', 'string', 'NodeSystemInfo.kubeletVersion'),
    column('Internal-IP', 'string', 'NodeStatus.addresses', { priority: 1 }),
    column('External-IP', 'string', 'NodeStatus.addresses', { priority: 1 }),
    column('OS-Image', 'string', 'NodeSystemInfo.osImage', { priority: 1 }),
    column('Kernel-Version', 'string', 'NodeSystemInfo.kernelVersion', { priority: 1 }),
    column('Container-Runtime', 'string', 'NodeSystemInfo.containerRuntimeVersion', { priority: 1 }),
  ],
  cells(node, ctx) {
    const info = node.status?.nodeInfo;
    const roles = nodeRoles(node);
    return [
      node.metadata?.name ?? '',
      nodeStatus(node),
      roles.length === 0 ? NONE : roles.join(','),
      objectAge(node, ctx.nowMs),
      info?.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};
