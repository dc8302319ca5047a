/**
 * Port forwarding over SPDY (the kubelet's portforward/httpstream.go): for every local
 * connection kubectl opens an `error` and a `data` stream carrying `port` and `requestID`
 * headers; once both are there the agent dials the pod's port and copies bytes both ways. When
 * either direction ends, the other gets a second to finish (as containerd's forwarder does),
 * then both streams are closed — kubectl waits for the error stream's EOF before closing its
 * local connection. A failure is written to the error stream as the kubelet's JSON
 * `{closeConnection, message}`; kubectl then ends the whole port-forward, as it does against
 * Kubernetes.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { SpdySession, type SpdyStream } from '../../api/streams/spdy/session.js';
import { HEADER_PORT, HEADER_REQUEST_ID, HEADER_STREAM_TYPE } from '../../api/streams/protocol.js';
import { STREAM_CREATION_TIMEOUT_MS } from './spdy-remote-command.js';

/** How long the second direction may run on after the first one finished. */
export const HALF_CLOSE_GRACE_MS = 1_000;

export interface PortForwardOptions {
  pod: Pod;
  connect(port: number): Promise<Socket>;
  log?: (msg: string) => void;
  streamCreationTimeoutMs?: number;
}

interface Pair {
  requestId: string;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** Serves port-forward streams on a SPDY transport (upgraded socket or WebSocket tunnel). */
export function servePortForward(transport: Duplex, opts: PortForwardOptions): SpdySession {
  const pairs = new Map<string, Pair>();
  const sockets = new Set<Socket>();
  const timeout = opts.streamCreationTimeoutMs ?? STREAM_CREATION_TIMEOUT_MS;
  const session = new SpdySession(transport, {
    role: 'server',
    onStream(stream) {
      // httpStreamReceived: a valid port and stream type, or the stream is refused.
      const portText = stream.header(HEADER_PORT) ?? '';
      const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
      const type = stream.header(HEADER_STREAM_TYPE);
      if (!(port >= 1 && port <= 65535) || (type !== 'error' && type !== 'data')) return false;
      // Old clients send no request id: the kubelet derives it from the stream ids.
      const requestId = stream.header(HEADER_REQUEST_ID) ?? String(type === 'error' ? stream.id : stream.id - 2);
      let pair = pairs.get(requestId);
      if (!pair) {
        const p: Pair = {
          requestId,
          timer: setTimeout(() => {
            pairs.delete(requestId);
            const msg = `timed out waiting for streams for request ${requestId}`;
            p.error?.end(msg);
            p.data?.reset();
          }, timeout),
        };
        pair = p;
        pairs.set(requestId, pair);
      }
      if (pair[type]) {
        pair.error?.write(`error processing stream for request ${requestId}: ${type} stream already assigned`);
        return false;
      }
      pair[type] = stream;
      if (pair.data && pair.error) {
        clearTimeout(pair.timer);
        pairs.delete(requestId);
        void forward(pair.data, pair.error, port, opts, sockets);
      }
      return true;
    },
    onClose() {
      for (const p of pairs.values()) clearTimeout(p.timer);
      pairs.clear();
      for (const s of sockets) s.destroy();
    },
  });
  return session;
}

async function forward(data: SpdyStream, error: SpdyStream, port: number, opts: PortForwardOptions, sockets: Set<Socket>): Promise<void> {
  // The client never writes on the error stream (it half-closes it at once): drain it.
  error.resume();
  const podName = opts.pod.metadata?.name ?? '';
  const uid = opts.pod.metadata?.uid ?? '';
  const fail = (err: Error, closeConnection: boolean) => {
    const message = `error forwarding port ${port} to pod ${podName}, uid ${uid}: ${err.message}`;
    opts.log?.(message);
    if (!error.writableEnded && !error.destroyed) error.end(JSON.stringify({ closeConnection, message }) + '\n');
  };
  let socket: Socket;
  try {
    socket = await opts.connect(port);
  } catch (err) {
    fail(new Error(`failed to connect to localhost:${port} inside the pod: ${(err as Error).message}`), true);
    data.end();
    return;
  }
  sockets.add(socket);
  await new Promise<void>((resolve) => {
    let ended = 0;
    let grace: NodeJS.Timeout | undefined;
    const oneDone = () => {
      ended++;
      if (ended >= 2) finish();
      else grace ??= setTimeout(finish, HALF_CLOSE_GRACE_MS);
    };
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(grace);
      resolve();
    };
    // pod → client; the pod closing its side is a FIN on the data stream.
    socket.on('data', (chunk: Buffer) => {
      if (!data.write(chunk)) socket.pause();
    });
    data.on('drain', () => socket.resume());
    socket.once('end', () => {
      if (!data.writableEnded && !data.destroyed) data.end();
      oneDone();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // ECONNRESET and EPIPE mid-stream keep the port-forward alive (kubelet: closeConnection false).
      fail(err, !(err.code === 'ECONNRESET' || err.code === 'EPIPE'));
      finish();
    });
    socket.once('close', finish);
    // client → pod; the client's FIN half-closes the pod connection.
    data.on('data', (chunk: Buffer) => {
      if (!socket.write(chunk)) data.pause();
    });
    socket.on('drain', () => data.resume());
    data.once('end', () => {
      socket.end();
      oneDone();
    });
    data.once('reset', finish);
  });
  sockets.delete(socket);
  socket.destroy();
  // Whatever the client still sends on this stream is dropped. Left paused (the pod connection
  // pushed back, then closed), the stream would stop the session reading its connection, and
  // with it every other forwarded connection of this port-forward.
  data.removeAllListeners('data');
  data.resume();
  if (!data.writableEnded && !data.destroyed && data.resetStatus === undefined) data.end();
  if (!error.writableEnded && !error.destroyed && error.resetStatus === undefined) error.end();
}
