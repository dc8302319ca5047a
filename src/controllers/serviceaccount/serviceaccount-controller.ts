/**
 * The ServiceAccounts controller (Kubernetes' serviceaccounts-controller): every active namespace
 * has a `default` ServiceAccount; one deleted by hand comes back.
 *
 * Wiring: namespace adds/updates and service-account deletes enqueue the namespace name.
 * sync(namespace): if the namespace is active and has no `default` ServiceAccount in the cache,
 * create it; AlreadyExists means the cache lagged, which is fine.
 */
import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import { isAlreadyExists, isNotFound, isStatus } from '../../api/errors.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: this.name, clock: ctx.clock });
    const namespaces = ctx.informers.namespaces();
    const accounts = ctx.informers.serviceAccounts();
    namespaces.addEventHandler({
      onAdd: (ns) => queue.add(ns.metadata!.name!),
      onUpdate: (_old, ns) => queue.add(ns.metadata!.name!),
    });
    accounts.addEventHandler({
      onDelete: (sa) => {
        if (sa.metadata?.name === DEFAULT_SERVICE_ACCOUNT && sa.metadata.namespace) queue.add(sa.metadata.namespace);
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    const sync = async (nsName: string): Promise<SyncResult> => {
      const ns = namespaces.store.get(nsName) as Namespace | undefined;
      if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return;
      if (accounts.store.get(`${nsName}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
      const sa: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace: nsName } };
      try {
        await ctx.client.serviceAccounts(nsName).create(sa);
      } catch (err) {
        // The namespace may be going away, or the account already exists (cache lag): both fine.
        if (isAlreadyExists(err) || isNotFound(err) || (isStatus(err, 403) && String((err as Error).message).includes('being terminated'))) return;
        throw err;
      }
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger: ctx.logger.child({ controller: this.name }) });
  }
}
