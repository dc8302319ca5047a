/**
 * Test clients that speak to the streams endpoints as kubectl does: a SPDY/3.1 upgrade
 * (POST with X-Stream-Protocol-Version, then a client session), a WebSocket channel session,
 * and a SPDY session tunnelled in a WebSocket.
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { SpdySession } from '../../../api/streams/spdy/session.js';
import { CHANNEL_ERROR, CHANNEL_STDERR, CHANNEL_STDOUT } from '../../../api/streams/protocol.js';
import { WebSocketDuplex } from '../ws-duplex.js';

export interface UpgradeResult {
  status: number;
  headers: Record<string, string>;
  /** The response body when the upgrade was refused. */
  body: string;
  session?: SpdySession;
  socket: TLSSocket;
}

/** Sends a SPDY upgrade request and, on 101, starts a client session on the connection. */
export function spdyUpgrade(port: number, path: string, protocols: string[], headers: Record<string, string> = {}): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const lines = [`POST ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: SPDY/3.1', 'Content-Length: 0', ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`), ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(lines.join('\r\n') + '\r\n\r\n');
    });
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const [statusLine, ...rest] = buf.subarray(0, end).toString().split('\r\n');
      const status = Number(statusLine!.split(' ')[1]);
      const hdrs: Record<string, string> = {};
      for (const l of rest) {
        const i = l.indexOf(':');
        hdrs[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
      }
      const tail = buf.subarray(end + 4);
      if (status !== 101) {
        let body = tail.toString();
        socket.on('data', (x: Buffer) => (body += x.toString()));
        socket.once('end', () => resolve({ status, headers: hdrs, body, socket }));
        return;
      }
      socket.pause();
      if (tail.length) socket.unshift(tail);
      const session = new SpdySession(socket, { role: 'client' });
      socket.resume();
      resolve({ status, headers: hdrs, body: '', session, socket });
    };
    socket.on('data', onData);
  });
}

export interface ChannelResult {
  protocol: string;
  stdout: string;
  stderr: string;
  error: string;
  closeCode: number;
}

/**
 * Runs a WebSocket channel session: sends `send` messages (each `[channel, data]`, or a raw
 * buffer) once open, collects output per channel until the server closes.
 */
export function webSocketSession(url: string, protocols: string[], authorization: string | undefined, send: Array<Buffer>, onOpen?: (ws: WebSocket) => void): Promise<ChannelResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { rejectUnauthorized: false, ...(authorization ? { headers: { authorization } } : {}) });
    const out: Record<number, Buffer[]> = { [CHANNEL_STDOUT]: [], [CHANNEL_STDERR]: [], [CHANNEL_ERROR]: [] };
    const base64 = protocols.some((p) => p.includes('base64'));
    ws.on('open', () => {
      for (const m of send) ws.send(base64 ? m : m, { binary: !base64 });
      onOpen?.(ws);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const ch = base64 && !isBinary ? data[0]! - 48 : data[0]!;
      const payload = base64 && !isBinary ? Buffer.from(data.subarray(1).toString(), 'base64') : data.subarray(1);
      (out[ch] ??= []).push(payload);
    });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('close', (code) =>
      resolve({
        protocol: ws.protocol,
        stdout: Buffer.concat(out[CHANNEL_STDOUT]!).toString(),
        stderr: Buffer.concat(out[CHANNEL_STDERR]!).toString(),
        error: Buffer.concat(out[CHANNEL_ERROR]!).toString(),
        closeCode: code,
      }),
    );
  });
}

/** Opens a SPDY client session tunnelled in a WebSocket (kubectl ≥ 1.30 port-forward). */
export function tunnelledSpdy(url: string, protocol: string, authorization?: string): Promise<SpdySession> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, [protocol], { rejectUnauthorized: false, ...(authorization ? { headers: { authorization } } : {}) });
    ws.once('open', () => resolve(new SpdySession(new WebSocketDuplex(ws), { role: 'client' })));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Reads a readable to its end without destroying it. */
export function readAll(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}
