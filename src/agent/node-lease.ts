/**
 * The node's Lease in `kube-node-lease` (kubelet's node lease controller, the heartbeat since the
 * NodeLease KEP): holderIdentity = node name, leaseDurationSeconds 40, renewed every 10 s
 * (a quarter of the duration), owned by the Node so it goes when the Node does. On a conflict
 * or a missing lease it re-reads or re-creates; a failed renewal is retried sooner (kubelet
 * backs off from 200 ms up to 7 s).
 */
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isConflict, isNotFound } from '../api/errors.js';
import type { Client } from '../client/client.js';
import { formatMicroTime, type Clock } from '../client/clock.js';

export const LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
export const LEASE_RENEW_MS = 10_000;
export const LEASE_RETRY_MAX_MS = 7_000;

export class NodeLease {
  private lease: Lease | undefined;

  constructor(
    private readonly client: Client,
    private readonly clock: Clock,
    private readonly nodeName: string,
  ) {}

  /** Creates or renews the lease once. Throws on failure (the caller retries). */
  async renew(node: Pick<Node, 'metadata'>): Promise<void> {
    const leases = this.client.leases(LEASE_NAMESPACE);
    const now = formatMicroTime(this.clock.now());
    const owner = { apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: node.metadata?.uid ?? '' };
    if (!this.lease) {
      try {
        this.lease = await leases.get(this.nodeName);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        try {
          const lease: Lease = {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.nodeName, namespace: LEASE_NAMESPACE, ownerReferences: owner.uid ? [owner] : [] },
            spec: { holderIdentity: this.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now },
          };
          this.lease = await leases.create(lease, { readOnlyResult: true });
          return;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          this.lease = await leases.get(this.nodeName);
        }
      }
    }
    const cur = this.lease!;
    const next: Lease = {
      ...cur,
      metadata: { ...cur.metadata, ownerReferences: owner.uid ? [owner] : (cur.metadata?.ownerReferences ?? []) },
      spec: { ...cur.spec, holderIdentity: this.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now },
    };
    try {
      // Only read (spread into the next renewal): the server's frozen object will do.
      this.lease = await leases.update(next, { readOnlyResult: true });
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) this.lease = undefined; // re-read (or re-create) next time
      throw err;
    }
  }
}
