/**
 * Worker-thread side of the userspace proxy (userspace-proxy-thread.ts): the listeners and every
 * proxied connection live here, so copying bytes never competes with the API server and
 * controllers on the main event loop (and their garbage collection never pauses the copying) —
 * what kube-proxy gets from being a process of its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../client/log.js';
import { UserspaceProxier } from './userspace-proxier.js';
import { ClusterIPBinder } from './cluster-ip-binder.js';
import type { UserspaceWorkerData, UserspaceWorkerRequest, UserspaceWorkerResponse } from './userspace-proxy-thread.js';

const port = parentPort;
if (!port) throw new Error('userspace-worker must run as a worker thread');

const data = workerData as UserspaceWorkerData;
const reply = (msg: UserspaceWorkerResponse): void => port.postMessage(msg);
const logger = createLogger({ level: data.logLevel, sink: (entry) => reply({ type: 'log', entry }) });
const proxier = new UserspaceProxier({
  logger,
  ...(data.clusterIPs ? { clusterIPs: new ClusterIPBinder({ ...data.clusterIPs, logger }) } : {}),
});

// One request at a time, in order: a sync must not race the previous one's binds.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: UserspaceWorkerRequest) => {
  queue = queue.then(async () => {
    try {
      if (msg.type === 'sync') {
        const failed = await proxier.sync(msg.ports, msg.hostPorts);
        reply({ type: 'done', id: msg.id, failed, listening: proxier.listening() });
      } else {
        await (msg.type === 'stop' ? proxier.stop() : proxier.close());
        reply({ type: 'done', id: msg.id, failed: 0, listening: [] });
        port.close();
      }
    } catch (err) {
      reply({ type: 'failed', id: msg.id, message: (err as Error).message });
    }
  });
});
