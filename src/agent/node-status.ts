/**
 * The Node object a node agent registers and keeps current (kubelet's node status setters):
 * capacity and allocatable, addresses, daemon endpoint, nodeInfo, labels, and the four
 * conditions with kubelet's reasons and messages. Conditions keep their lastTransitionTime
 * while unchanged; lastHeartbeatTime moves on every status write (which happens only when
 * something changed or every NODE_STATUS_REPORT_MS — liveness is the Lease's job).
 */
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { formatTime } from '../client/clock.js';
import type { MachineInfo, PressureSignals } from './machine-info.js';

/** kubelet's nodeStatusReportFrequency. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;
/** kubelet's nodeStatusUpdateFrequency: how often status is computed. */
export const NODE_STATUS_UPDATE_MS = 10_000;
/** Pods per node (kubelet's maxPods default). */
export const DEFAULT_MAX_PODS = '110';
/** Annotation with the SHA-256 of the agent's serving certificate (pinned by the API server). */
export const SERVING_CERT_ANNOTATION = 'skiff.dev/kubelet-serving-cert-sha256';

export interface NodeIdentity {
  name: string;
  nodeIP: string;
  kubeletPort: number;
  servingCertSha256?: string;
  kubeletVersion: string;
  runtimeVersion: string;
  /** Overrides of capacity (cpu, memory, pods, ephemeral-storage), e.g. from the node config. */
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
}

export function nodeCapacity(info: MachineInfo, id: NodeIdentity): Record<string, string> {
  return {
    cpu: String(info.cpuCount),
    memory: `${Math.floor(info.memoryBytes / 1024)}Ki`,
    pods: DEFAULT_MAX_PODS,
    'ephemeral-storage': `${Math.floor(info.ephemeralStorageBytes / 1024)}Ki`,
    ...(id.capacity ?? {}),
  };
}

export function nodeLabels(info: MachineInfo, id: NodeIdentity): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': info.architecture,
    'beta.kubernetes.io/os': info.operatingSystem,
    'kubernetes.io/arch': info.architecture,
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': info.operatingSystem,
    ...(id.labels ?? {}),
  };
}

const CONDITION_TEXT = {
  MemoryPressure: { ok: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available'], bad: ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'] },
  DiskPressure: { ok: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure'], bad: ['KubeletHasDiskPressure', 'kubelet has disk pressure'] },
  PIDPressure: { ok: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available'], bad: ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'] },
} as const;

/** The four node conditions, keeping lastTransitionTime from `previous` where the status is unchanged. */
export function nodeConditions(signals: PressureSignals, previous: NodeCondition[] | undefined, now: number): NodeCondition[] {
  const ts = formatTime(now);
  const cond = (type: string, status: 'True' | 'False', reason: string, message: string): NodeCondition => {
    const old = previous?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: ts, lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : ts };
  };
  const out: NodeCondition[] = [];
  for (const [type, key] of [
    ['MemoryPressure', 'memory'],
    ['DiskPressure', 'disk'],
    ['PIDPressure', 'pid'],
  ] as const) {
    const [reason, message] = signals[key] ? CONDITION_TEXT[type].bad : CONDITION_TEXT[type].ok;
    out.push(cond(type, signals[key] ? 'True' : 'False', reason, message));
  }
  out.push(cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'));
  return out;
}

/** The Node as the agent registers it (status included, as kubelet's registration does). */
export function buildNode(info: MachineInfo, id: NodeIdentity, signals: PressureSignals, now: number): Node {
  const capacity = nodeCapacity(info, id);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: nodeLabels(info, id),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        ...(id.servingCertSha256 ? { [SERVING_CERT_ANNOTATION]: id.servingCertSha256 } : {}),
      },
    },
    spec: {},
    status: nodeStatus(info, id, signals, undefined, now, capacity),
  };
}

export function nodeStatus(info: MachineInfo, id: NodeIdentity, signals: PressureSignals, previous: NodeCondition[] | undefined, now: number, capacity = nodeCapacity(info, id)): NonNullable<Node['status']> {
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: nodeConditions(signals, previous, now),
    addresses: [
      { type: 'InternalIP', address: id.nodeIP },
      { type: 'Hostname', address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort } },
    nodeInfo: {
      machineID: info.machineID,
      systemUUID: info.machineID,
      bootID: info.bootID,
      kernelVersion: info.kernelVersion,
      osImage: info.osImage,
      containerRuntimeVersion: id.runtimeVersion,
      kubeletVersion: id.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: info.operatingSystem,
      architecture: info.architecture,
    },
  };
}
