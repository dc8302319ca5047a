/**
 * The root CA certificate publisher (Kubernetes' certificates/rootcacertpublisher): every
 * namespace gets a ConfigMap `kube-root-ca.crt` whose `ca.crt` holds the cluster CA bundle, so
 * pods can verify the API server. A deleted or edited copy is put back.
 *
 * Wiring: namespace adds and updates of active namespaces, and updates or deletes of a
 * `kube-root-ca.crt` ConfigMap, queue the namespace name.
 * sync(namespace): read the ConfigMap from the cache; missing → create it (a namespace that is
 * gone or terminating is not an error); data or description annotation wrong → update it.
 */
import type { ConfigMap, Namespace } from 'kubernetes-types/core/v1.js';
import { isNotFound, StatusError } from '../../api/errors.js';
import { WorkQueue } from '../../client/work-queue.js';
import { runWorkers, type SyncResult } from '../../client/workers.js';
import type { Controller, ControllerContext } from '../controller.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const ROOT_CA_KEY = 'ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

/** The create was refused because the namespace is being deleted (cause NamespaceTerminating). */
function namespaceTerminating(err: unknown): boolean {
  return err instanceof StatusError && (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

export class RootCACertPublisher implements Controller {
  readonly name = 'root-ca-cert-publisher';

  /** `rootCA`: the PEM bundle to publish (the cluster CA certificate). */
  constructor(private readonly rootCA: string) {}

  async run(ctx: ControllerContext, signal: AbortSignal): Promise<void> {
    const queue = new WorkQueue({ name: 'root_ca_cert_publisher', clock: ctx.clock });
    const namespaces = ctx.informers.namespaces();
    const configMaps = ctx.informers.configMaps();
    const onConfigMap = (cm: ConfigMap): void => {
      if (cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) queue.add(cm.metadata.namespace);
    };
    configMaps.addEventHandler({ onUpdate: (_old, cm) => onConfigMap(cm), onDelete: onConfigMap });
    namespaces.addEventHandler({
      onAdd: (ns) => queue.add(ns.metadata!.name!),
      onUpdate: (_old, ns: Namespace) => {
        if (ns.status?.phase === 'Active') queue.add(ns.metadata!.name!);
      },
    });
    if (!(await ctx.informers.waitForCacheSync(signal))) return;

    const data = { [ROOT_CA_KEY]: this.rootCA };
    const sync = async (ns: string): Promise<SyncResult> => {
      const cm = configMaps.store.getByName(ns, ROOT_CA_CONFIGMAP);
      if (!cm) {
        try {
          await ctx.client.configMaps(ns).create({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: ROOT_CA_CONFIGMAP, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
            data,
          });
        } catch (err) {
          // Don't retry for a namespace that is gone or being deleted.
          if (isNotFound(err) || namespaceTerminating(err)) return;
          throw err;
        }
        return;
      }
      const current = cm.data ?? {};
      const sameData = Object.keys(current).length === 1 && current[ROOT_CA_KEY] === this.rootCA;
      if (sameData && cm.metadata?.annotations?.[DESCRIPTION_ANNOTATION]) return;
      await ctx.client.configMaps(ns).update({
        ...cm,
        metadata: { ...cm.metadata, annotations: { ...cm.metadata?.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
        data,
      });
    };
    await runWorkers(queue, ctx.workers, sync, signal, { logger: ctx.logger.child({ controller: this.name }) });
  }
}
