/**
 * `containerPort.hostPort`: the node's port mapped to the pod (what the CNI `portmap` plugin does
 * for kubelet). The pod network registers a pod's mappings when it sets the pod's network up and
 * drops them when it tears it down; the service proxy turns them into DNAT rules (or, where pods
 * share the host's network, into userspace listeners when the host port differs from the
 * container port).
 *
 * The scheduler keeps host ports apart per node (NodePorts filter). Skiff's local nodes share one
 * machine and its addresses, so two of them cannot both hold port 8080 of it: the second pod's
 * sandbox fails with a message saying who holds the port, as portmap fails when a port is taken,
 * and is retried until the holder goes.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';

export type HostPortProtocol = 'tcp' | 'udp' | 'sctp';

export interface HostPortMapping {
  protocol: HostPortProtocol;
  hostPort: number;
  /** `hostIP` of the container port; undefined (or 0.0.0.0): every address of the machine. */
  hostIP: string | undefined;
  containerPort: number;
}

export interface PodHostPorts {
  podUid: string;
  /** `namespace/name` (messages). */
  pod: string;
  node: string;
  /** The pod's own address; undefined: it shares the host's network. */
  podIP: string | undefined;
  mappings: HostPortMapping[];
}

export class HostPortConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostPortConflictError';
  }
}

/**
 * The host ports a pod asks for: ports with a `hostPort` of its containers and of its sidecars
 * (restartable init containers), as kubelet collects them. A hostNetwork pod binds its ports on
 * the host itself (validation makes hostPort equal containerPort), so it maps nothing.
 */
export function hostPortsOf(pod: Pod): HostPortMapping[] {
  if (pod.spec?.hostNetwork) return [];
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  const out: HostPortMapping[] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const hostIP = p.hostIP && p.hostIP !== '0.0.0.0' ? p.hostIP : undefined;
      out.push({ protocol: (p.protocol ?? 'TCP').toLowerCase() as HostPortProtocol, hostPort: p.hostPort, hostIP, containerPort: p.containerPort });
    }
  }
  return out;
}

const overlaps = (a: HostPortMapping, b: HostPortMapping): boolean => a.protocol === b.protocol && a.hostPort === b.hostPort && (!a.hostIP || !b.hostIP || a.hostIP === b.hostIP);

/** The host port mappings of the pods on this machine. */
export class HostPortRegistry {
  private readonly byPod = new Map<string, PodHostPorts>();
  private readonly listeners = new Set<() => void>();

  /** Records a pod's mappings (replacing earlier ones); throws HostPortConflictError when another pod holds one. */
  set(entry: PodHostPorts): void {
    for (const m of entry.mappings) {
      for (const other of this.byPod.values()) {
        if (other.podUid === entry.podUid) continue;
        const held = other.mappings.find((o) => overlaps(o, m));
        if (held) {
          throw new HostPortConflictError(
            `cannot open hostPort ${m.hostIP ?? '0.0.0.0'}:${m.hostPort}/${m.protocol.toUpperCase()} for pod ${entry.pod}: it is mapped to pod ${other.pod}` +
              (other.node !== entry.node ? ` on node ${other.node}, which shares this machine's addresses` : ''),
          );
        }
      }
    }
    if (entry.mappings.length === 0 && !this.byPod.has(entry.podUid)) return;
    this.byPod.set(entry.podUid, entry);
    this.changed();
  }

  delete(podUid: string): void {
    if (this.byPod.delete(podUid)) this.changed();
  }

  list(): PodHostPorts[] {
    return [...this.byPod.values()].sort((a, b) => a.podUid.localeCompare(b.podUid));
  }

  /** Calls `cb` after every change. */
  onChange(cb: () => void): void {
    this.listeners.add(cb);
  }

  private changed(): void {
    for (const cb of this.listeners) cb();
  }
}
