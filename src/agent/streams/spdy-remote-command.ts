/**
 * exec/attach over SPDY (kubectl ≤ 1.29, and newer ones when WebSockets are refused): after the
 * upgrade the client opens one stream per channel, each tagged with a `streamType` header; the
 * kubelet waits for as many as the request's stdin/stdout/stderr/tty flags call for (error always;
 * resize with a tty from protocol v3 on) before starting the command. v4 and v5 write a JSON
 * Status on the error stream; v2/v3 write only a failure's message, as text.
 */
import type { Duplex } from 'node:stream';
import { SpdySession, type SpdyStream } from '../../api/streams/spdy/session.js';
import { STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V2, STREAM_PROTOCOL_V1, HEADER_STREAM_TYPE, type StreamStatus } from '../../api/streams/protocol.js';
import type { CommandStreams } from './remote-command.js';

/** How long the client has to open its streams (the kubelet's streamCreationTimeout). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;
/** After the status is written, how long the client has to hang up before the session is cut. */
export const SESSION_LINGER_MS = 10_000;

export interface StreamRequest {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * Runs the SPDY side of a remote command on an upgraded socket: resolves with the command's
 * streams once the client has opened them all, or rejects (and drops the session) on timeout.
 */
export function acceptSpdyCommandStreams(socket: Duplex, protocol: string, req: StreamRequest, timeoutMs = STREAM_CREATION_TIMEOUT_MS): Promise<CommandStreams> {
  const supportsResize = protocol !== STREAM_PROTOCOL_V2 && protocol !== STREAM_PROTOCOL_V1;
  const expected = 1 + Number(req.stdin) + Number(req.stdout) + Number(req.stderr) + Number(req.tty && supportsResize);
  const got = new Map<string, SpdyStream>();
  const goneCallbacks: Array<() => void> = [];
  let ended = false;
  return new Promise((resolve, reject) => {
    const session = new SpdySession(socket, {
      role: 'server',
      onStream(stream) {
        const type = stream.header(HEADER_STREAM_TYPE) ?? '';
        if (!['error', 'stdin', 'stdout', 'stderr', 'resize'].includes(type) || got.has(type)) return false;
        got.set(type, stream);
        if (got.size === expected) {
          clearTimeout(timer);
          resolve(commandStreams(session, got, protocol, goneCallbacks, () => ended, () => (ended = true)));
        }
        return true;
      },
      onClose() {
        clearTimeout(timer);
        if (!ended) for (const cb of goneCallbacks) cb();
        reject(new Error('the client closed the connection before opening its streams'));
      },
    });
    const timer = setTimeout(() => {
      session.close(true);
      socket.destroy();
      reject(new Error('timed out waiting for client to create streams'));
    }, timeoutMs);
  });
}

function commandStreams(session: SpdySession, got: Map<string, SpdyStream>, protocol: string, gone: Array<() => void>, isEnded: () => boolean, markEnded: () => void): CommandStreams {
  const errorStream = got.get('error')!;
  const json = protocol === STREAM_PROTOCOL_V4 || protocol === STREAM_PROTOCOL_V5;
  return {
    stdin: got.get('stdin') ?? null,
    stdout: got.get('stdout') ?? null,
    stderr: got.get('stderr') ?? null,
    resize: got.get('resize') ?? null,
    writeStatus(status: StreamStatus) {
      const body = json ? JSON.stringify(status) : status.status === 'Success' ? '' : (status.message ?? 'unknown error');
      return new Promise((resolve, reject) => {
        if (!body) return resolve();
        errorStream.write(body, (err) => (err ? reject(err) : resolve()));
      });
    },
    close() {
      markEnded();
      // FIN every stream we write to, then GOAWAY: the client sees EOF on stdout/stderr/error,
      // returns, and hangs up; a client that does not is cut off after a while.
      for (const s of got.values()) if (!s.writableEnded) s.end();
      session.close();
      setTimeout(() => session.close(true), SESSION_LINGER_MS).unref();
    },
    onClientGone(cb) {
      gone.push(cb);
      if (session.isClosed && !isEnded()) cb();
    },
  };
}
