/**
 * The kubelet's streaming endpoints on the agent's HTTPS port, mounted on the agent's
 * KubeletServer (which has already checked the API server's bearer):
 *   GET /containerLogs/{ns}/{pod}/{container}      → text/plain (chunked, kept open with follow)
 *   /exec/{ns}/{pod}/{container}?command=…          → WebSocket (v5/v4/base64/channel.k8s.io)
 *   /attach/{ns}/{pod}/{container}                     or SPDY/3.1 (v5…v2) upgrade
 *   /portForward/{ns}/{pod}                         → SPDY/3.1, or SPDY tunnelled in a WebSocket
 * The API server proxies kubectl's upgrade to these endpoints unchanged, so whatever kubectl
 * speaks (WebSocket from 1.30, SPDY before) is spoken here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Pod, Container, ContainerStatus } from 'kubernetes-types/core/v1.js';
import type { StreamsBackend } from '../streams-backend.js';
import type { KubeletStreamsHandler } from '../kubelet-server.js';
import {
  BASE64_CHANNEL_PROTOCOL,
  CHANNEL_ERROR,
  CHANNEL_RESIZE,
  CHANNEL_STDERR,
  CHANNEL_STDIN,
  CHANNEL_STDOUT,
  PORT_FORWARD_PROTOCOL,
  PORT_FORWARD_TUNNEL_PROTOCOL,
  SPDY_REMOTE_COMMAND_PROTOCOLS,
  STREAM_PROTOCOL_V1,
  STREAM_PROTOCOL_V4,
  STREAM_PROTOCOL_V5,
  V4_BASE64_CHANNEL_PROTOCOL,
  queryFlag,
  type StreamStatus,
} from '../../api/streams/protocol.js';
import { ChannelWebSocket } from './ws-channels.js';
import { WebSocketDuplex } from './ws-duplex.js';
import { serveRemoteCommand, type CommandStreams, type WindowSize } from './remote-command.js';
import { acceptSpdyCommandStreams, type StreamRequest } from './spdy-remote-command.js';
import { servePortForward } from './port-forward.js';
import { isSpdyRequest, isWebSocketRequest, negotiateSpdyProtocol, webSocketProtocols, writeHttpResponse, writeSpdyUpgrade } from './upgrade.js';
import { parseContainerLogOptions, writeContainerLogs } from './container-logs.js';

/** WebSocket subprotocols for exec/attach, in the order the server prefers them. */
export const WEBSOCKET_REMOTE_COMMAND_PROTOCOLS = [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4, V4_BASE64_CHANNEL_PROTOCOL, STREAM_PROTOCOL_V1, BASE64_CHANNEL_PROTOCOL];

export interface StreamsHandlerOptions {
  log?: (msg: string) => void;
  now?: () => number;
  /** How long a client has to open its SPDY streams (default 30 s, as the kubelet). */
  streamCreationTimeoutMs?: number;
}

export interface PodStreamsHandler extends KubeletStreamsHandler {
  /** Ends every open session (agent shutdown). */
  close(): void;
}

interface LogsRoute {
  kind: 'logs';
  namespace: string;
  pod: string;
  container: string;
}
interface CommandRoute {
  kind: 'exec' | 'attach';
  namespace: string;
  pod: string;
  container: string;
}
interface PortForwardRoute {
  kind: 'portforward';
  namespace: string;
  pod: string;
}
type Route = LogsRoute | CommandRoute | PortForwardRoute;

function route(url: URL): Route | undefined {
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [head, ns, pod, container] = parts;
  if (!ns || !pod) return undefined;
  switch (head) {
    case 'containerLogs':
      return parts.length === 4 ? { kind: 'logs', namespace: ns, pod, container: container! } : undefined;
    case 'exec':
    case 'attach':
      // The kubelet also accepts /{ns}/{pod}/{uid}/{container}; the uid is not needed here.
      if (parts.length === 4) return { kind: head, namespace: ns, pod, container: container! };
      if (parts.length === 5) return { kind: head, namespace: ns, pod, container: parts[4]! };
      return undefined;
    case 'portForward':
      return parts.length === 3 || parts.length === 4 ? { kind: 'portforward', namespace: ns, pod } : undefined;
  }
  return undefined;
}

function specContainer(pod: Pod, name: string): Container | undefined {
  const s = pod.spec;
  return [...(s?.containers ?? []), ...(s?.initContainers ?? []), ...((s?.ephemeralContainers ?? []) as Container[])].find((c) => c.name === name);
}

function containerStatus(pod: Pod, name: string): ContainerStatus | undefined {
  const st = pod.status;
  return [...(st?.containerStatuses ?? []), ...(st?.initContainerStatuses ?? []), ...(st?.ephemeralContainerStatuses ?? [])].find((c) => c.name === name);
}

/**
 * Whether logs can be read, in the kubelet's words (validateContainerLogStatus); undefined = yes.
 */
export function containerLogStatusError(pod: Pod, container: string, previous: boolean): string | undefined {
  const podName = pod.metadata?.name ?? '';
  const cs = containerStatus(pod, container);
  if (!cs) return `container "${container}" in pod "${podName}" is not available`;
  const last = cs.lastState?.terminated;
  const { waiting, running, terminated } = cs.state ?? {};
  if (previous) {
    return last?.containerID ? undefined : `previous terminated container "${container}" in pod "${podName}" not found`;
  }
  if (running) return undefined;
  if (terminated) return terminated.containerID || last?.containerID ? undefined : `container "${container}" in pod "${podName}" is terminated`;
  if (last) return last.containerID ? undefined : `container "${container}" in pod "${podName}" is terminated`;
  if (waiting) {
    const reason = waiting.reason ?? '';
    if (reason === 'ErrImagePull') return `container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`;
    if (reason === 'ImagePullBackOff') return `container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`;
    return `container "${container}" in pod "${podName}" is waiting to start: ${reason}`;
  }
  return `container "${container}" in pod "${podName}" is waiting to start - no logs yet`;
}

function statusJson(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** Builds the handler the agent mounts with `KubeletServer.setStreams`. */
export function createStreamsHandler(backend: StreamsBackend, opts: StreamsHandlerOptions = {}): PodStreamsHandler {
  const log = opts.log ?? (() => undefined);
  const now = opts.now ?? Date.now;
  const sockets = new Set<Duplex>();
  const responses = new Set<ServerResponse>();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (protocols: Set<string>) => [...protocols][0] ?? false });

  async function serveLogs(r: LogsRoute, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fail = (code: number, reason: string, message: string) => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(statusJson(code, reason, message));
    };
    const pod = backend.pod(r.namespace, r.pod);
    if (!pod) return fail(404, 'NotFound', `pod "${r.pod}" does not exist`);
    if (!specContainer(pod, r.container)) return fail(404, 'NotFound', `container "${r.container}" not found in pod "${r.pod}"`);
    const parsed = parseContainerLogOptions(url.searchParams, now());
    if ('error' in parsed) return fail(400, 'BadRequest', parsed.error);
    const why = containerLogStatusError(pod, r.container, parsed.previous);
    if (why) return fail(400, 'BadRequest', why);
    const uid = pod.metadata?.uid ?? '';
    const files = () => backend.logFiles(uid, r.container, parsed.previous);
    if (parsed.previous && files().length === 0) return fail(400, 'BadRequest', `previous terminated container "${r.container}" in pod "${r.pod}" not found`);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    req.on('close', () => {
      if (res.writableEnded || res.destroyed) abort.abort();
    });
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private' });
    res.flushHeaders();
    responses.add(res);
    try {
      await writeContainerLogs(
        {
          files,
          // A previous instance is over: nothing to follow.
          running: () => !parsed.previous && backend.containerState(uid, r.container) === 'running',
          onStopped: (cb) => backend.onContainerStopped(uid, r.container, cb),
        },
        parsed,
        res,
        abort.signal,
      );
    } finally {
      responses.delete(res);
      res.end();
    }
  }

  function upgradeRemoteCommand(r: CommandRoute, url: URL, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pod = backend.pod(r.namespace, r.pod);
    if (!pod) return writeHttpResponse(socket, 404, 'pod does not exist');
    const spec = specContainer(pod, r.container);
    if (!spec) return writeHttpResponse(socket, 404, `container ${r.container} not found in pod ${r.pod}`);
    const q = url.searchParams;
    const command = q.getAll('command');
    // Attach's TTY is the container's: it cannot change once the process runs (kubelet GetAttach).
    const tty = r.kind === 'attach' ? spec.tty === true : queryFlag(q, 'tty');
    const request: StreamRequest = { stdin: queryFlag(q, 'stdin'), stdout: queryFlag(q, 'stdout'), stderr: queryFlag(q, 'stderr') && !tty, tty };
    if (r.kind === 'exec' && queryFlag(q, 'tty') && queryFlag(q, 'stderr')) request.stderr = false;
    if (!request.stdin && !request.stdout && !request.stderr) return writeHttpResponse(socket, 400, 'you must specify at least 1 of stdin, stdout, stderr');
    if (r.kind === 'exec' && command.length === 0) return writeHttpResponse(socket, 400, 'you must specify at least one command for the container');
    if (backend.containerState(pod.metadata?.uid ?? '', r.container) !== 'running') return writeHttpResponse(socket, 500, `container not found ("${r.container}")`);
    const start = (size: WindowSize | undefined) =>
      r.kind === 'exec'
        ? backend.exec(pod, r.container, command, { tty, stdin: request.stdin, ...(size ? { size } : {}) })
        : backend.attach(pod, r.container, { tty, stdin: request.stdin && spec.stdin === true, ...(size ? { size } : {}) });
    const serve = (streams: CommandStreams) => serveRemoteCommand(streams, { kind: r.kind, command, start, log });

    if (isWebSocketRequest(req)) {
      const offered = webSocketProtocols(req);
      const protocol = offered.length === 0 ? '' : offered.find((p) => WEBSOCKET_REMOTE_COMMAND_PROTOCOLS.includes(p));
      if (protocol === undefined) {
        return writeHttpResponse(socket, 400, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${WEBSOCKET_REMOTE_COMMAND_PROTOCOLS.join(' ')}]`);
      }
      track(socket);
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        void serve(webSocketCommandStreams(ws, protocol, request)).catch((err: Error) => log(`${r.kind} session failed: ${err.message}`));
      });
      return;
    }
    if (!isSpdyRequest(req)) return writeHttpResponse(socket, 400, 'Upgrade request required');
    const hs = negotiateSpdyProtocol(req, SPDY_REMOTE_COMMAND_PROTOCOLS);
    if (!hs.ok) return writeHttpResponse(socket, hs.status, hs.message, undefined, hs.headers);
    track(socket);
    writeSpdyUpgrade(socket, hs.protocol);
    if (head.length) socket.unshift(head);
    acceptSpdyCommandStreams(socket, hs.protocol, request, opts.streamCreationTimeoutMs).then(
      (streams) => serve(streams),
      (err: Error) => log(`${r.kind} for ${r.namespace}/${r.pod}: ${err.message}`),
    );
  }

  function upgradePortForward(r: PortForwardRoute, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const pod = backend.pod(r.namespace, r.pod);
    if (!pod) return writeHttpResponse(socket, 404, 'pod does not exist');
    const pfOpts = { pod, connect: (port: number) => backend.connect(pod, port), log, ...(opts.streamCreationTimeoutMs ? { streamCreationTimeoutMs: opts.streamCreationTimeoutMs } : {}) };
    if (isWebSocketRequest(req)) {
      // kubectl ≥ 1.30 (PortForwardWebsockets) tunnels the same SPDY session in a WebSocket.
      const offered = webSocketProtocols(req);
      if (!offered.includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
        return writeHttpResponse(socket, 400, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${PORT_FORWARD_TUNNEL_PROTOCOL}]`);
      }
      track(socket);
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        if (ws.protocol !== PORT_FORWARD_TUNNEL_PROTOCOL) {
          ws.close(1002);
          return;
        }
        servePortForward(new WebSocketDuplex(ws), pfOpts);
      });
      return;
    }
    if (!isSpdyRequest(req)) return writeHttpResponse(socket, 400, 'Upgrade request required');
    const hs = negotiateSpdyProtocol(req, [PORT_FORWARD_PROTOCOL]);
    if (!hs.ok) return writeHttpResponse(socket, hs.status, hs.message, undefined, hs.headers);
    track(socket);
    writeSpdyUpgrade(socket, hs.protocol);
    if (head.length) socket.unshift(head);
    servePortForward(socket, pfOpts);
  }

  function track(socket: Duplex): void {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  return {
    request(req, res) {
      const url = new URL(req.url ?? '/', 'https://kubelet');
      const r = route(url);
      if (!r) return false;
      if (r.kind !== 'logs') {
        res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Upgrade request required');
        return true;
      }
      if (req.method !== 'GET') {
        res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8' }).end('405: Method Not Allowed');
        return true;
      }
      return serveLogs(r, url, req, res).then(
        () => true,
        (err: Error) => {
          log(`logs for ${r.namespace}/${r.pod}/${r.container} failed: ${err.message}`);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
          res.end();
          return true;
        },
      );
    },
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'https://kubelet');
      const r = route(url);
      if (!r || r.kind === 'logs') return false;
      try {
        if (r.kind === 'portforward') upgradePortForward(r, req, socket, head);
        else upgradeRemoteCommand(r, url, req, socket, head);
      } catch (err) {
        log(`upgrade ${url.pathname} failed: ${(err as Error).message}`);
        if (socket.writable) writeHttpResponse(socket, 500, (err as Error).message);
      }
      return true;
    },
    close() {
      for (const s of sockets) s.destroy();
      for (const res of responses) res.destroy();
      wss.close();
    },
  };
}

/** Maps a negotiated WebSocket onto the command's streams (channels 0–4). */
function webSocketCommandStreams(ws: WebSocket, protocol: string, req: StreamRequest): CommandStreams {
  const conn = new ChannelWebSocket(ws, protocol);
  const v4 = protocol === STREAM_PROTOCOL_V5 || protocol === STREAM_PROTOCOL_V4 || protocol === V4_BASE64_CHANNEL_PROTOCOL;
  // Tell the client the connection is up: an empty message on the lowest channel it reads.
  void conn.send(req.stdout ? CHANNEL_STDOUT : req.stderr ? CHANNEL_STDERR : CHANNEL_ERROR, Buffer.alloc(0)).catch(() => undefined);
  return {
    stdin: req.stdin ? conn.reader(CHANNEL_STDIN) : null,
    stdout: req.stdout ? conn.writer(CHANNEL_STDOUT) : null,
    stderr: req.stderr ? conn.writer(CHANNEL_STDERR) : null,
    resize: req.tty ? conn.reader(CHANNEL_RESIZE) : null,
    async writeStatus(status: StreamStatus) {
      const body = v4 ? JSON.stringify(status) : status.status === 'Success' ? '' : (status.message ?? 'unknown error');
      if (body) await conn.send(CHANNEL_ERROR, Buffer.from(body));
    },
    close() {
      conn.close();
    },
    onClientGone(cb) {
      ws.once('close', () => cb());
      if (conn.isClosed) cb();
    },
  };
}
