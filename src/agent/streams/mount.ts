/**
 * Mounts the pod-streams endpoints (logs, exec, attach, port-forward) on an agent's kubelet
 * server; `skiff` registers it with `setStreamsMount` so every agent it starts serves them.
 */
import type { KubeletServer } from '../kubelet-server.js';
import type { StreamsBackend } from '../streams-backend.js';
import type { Logger } from '../../client/log.js';
import { createStreamsHandler } from './streams-handler.js';

export function mountPodStreams(server: KubeletServer, backend: StreamsBackend, logger: Logger): void {
  const log = logger.child({ component: 'pod-streams' });
  server.setStreams(createStreamsHandler(backend, { log: (msg) => log.warn(msg) }));
}
