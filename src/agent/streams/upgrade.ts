/**
 * HTTP upgrade plumbing for the kubelet endpoints: telling WebSocket requests from SPDY ones,
 * the SPDY protocol handshake (httpstream.Handshake: the first protocol in the client's
 * `X-Stream-Protocol-Version` list the server supports; 403 with the accepted list otherwise),
 * the 101 response the SPDY upgrader writes, and plain error responses on a raw socket.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { HEADER_ACCEPTED_STREAM_PROTOCOLS, HEADER_STREAM_PROTOCOL_VERSION, SPDY_UPGRADE } from '../../api/streams/protocol.js';

function headerList(value: string | string[] | undefined): string[] {
  const all = Array.isArray(value) ? value : value ? [value] : [];
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** A WebSocket upgrade: `Upgrade: websocket` and `Connection` containing `upgrade`. */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket' && headerList(req.headers.connection).some((c) => c.toLowerCase() === 'upgrade');
}

/** A SPDY upgrade: `Upgrade` containing `SPDY/3.1` and `Connection` containing `upgrade`. */
export function isSpdyRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase().includes(SPDY_UPGRADE.toLowerCase()) && headerList(req.headers.connection).some((c) => c.toLowerCase() === 'upgrade');
}

/** The client's WebSocket subprotocols in its order of preference. */
export function webSocketProtocols(req: IncomingMessage): string[] {
  return headerList(req.headers['sec-websocket-protocol']);
}

export type SpdyHandshake = { ok: true; protocol: string } | { ok: false; status: number; message: string; headers: Record<string, string> };

/** Negotiates the SPDY stream protocol like httpstream.Handshake. */
export function negotiateSpdyProtocol(req: IncomingMessage, serverProtocols: string[]): SpdyHandshake {
  const client = headerList(req.headers[HEADER_STREAM_PROTOCOL_VERSION]);
  if (client.length === 0) {
    return { ok: false, status: 400, message: `unable to upgrade: ${HEADER_STREAM_PROTOCOL_VERSION} is required`, headers: {} };
  }
  const chosen = client.find((p) => serverProtocols.includes(p));
  if (!chosen) {
    return {
      ok: false,
      status: 403,
      message: `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${serverProtocols.join(' ')}]`,
      headers: { [HEADER_ACCEPTED_STREAM_PROTOCOLS]: serverProtocols.join(', ') },
    };
  }
  return { ok: true, protocol: chosen };
}

/** Completes a SPDY upgrade on the raw socket (spdy.ResponseUpgrader's 101). */
export function writeSpdyUpgrade(socket: Duplex, protocol: string): void {
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
}

/** Answers an upgrade request with an ordinary HTTP response and closes the socket. */
export function writeHttpResponse(socket: Duplex, status: number, body: string, contentType = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  const payload = Buffer.from(body);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${payload.length}\r\n${extra}Connection: close\r\n\r\n${payload.toString()}`,
  );
}
