/**
 * Object builders for scheduler and node-lifecycle tests: Nodes as a node agent registers them and
 * Pods as users and controllers create them. Test-only helpers, kept beside the code they serve.
 */
import type { Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';

export interface NodeSpecInput {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** Ready condition status (default True). */
  ready?: 'True' | 'False' | 'Unknown';
}

export function makeNode(name: string, o: NodeSpecInput = {}): Node {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      capacity: alloc,
      allocatable: alloc,
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    },
  };
}

export interface PodInput {
  namespace?: string;
  cpu?: string;
  memory?: string;
  spec?: Partial<PodSpec>;
  labels?: Record<string, string>;
  owner?: { kind: string; name: string; uid: string };
}

export function makePod(name: string, o: PodInput = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner.kind, name: o.owner.name, uid: o.owner.uid, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], ...(Object.keys(requests).length ? { resources: { requests } } : {}) }],
      ...(o.spec ?? {}),
    },
  };
}
