/**
 * The WebSocket side of `channel.k8s.io` (wsstream, and the v5 server the API server runs since
 * Kubernetes 1.30): every binary message is one channel byte followed by data; the base64
 * variants send text messages of an ASCII channel digit and base64 data. In v5 a message
 * `[255, n]` means the client closed its side of channel n (stdin EOF). Readers apply
 * back-pressure by pausing the socket; writers complete when the message has been flushed.
 */
import { Readable, Writable } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { CHANNEL_CLOSE, STREAM_PROTOCOL_V5, BASE64_CHANNEL_PROTOCOL, V4_BASE64_CHANNEL_PROTOCOL } from '../../api/streams/protocol.js';

/** WebSocket close code for a normal end: kubectl treats it as EOF on every channel. */
export const WS_NORMAL_CLOSURE = 1000;

export class ChannelWebSocket {
  readonly base64: boolean;
  readonly supportsClose: boolean;
  private readonly readers = new Map<number, Readable>();
  private paused = 0;
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly protocol: string,
  ) {
    this.base64 = protocol === BASE64_CHANNEL_PROTOCOL || protocol === V4_BASE64_CHANNEL_PROTOCOL;
    this.supportsClose = protocol === STREAM_PROTOCOL_V5;
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(toBuffer(data), isBinary));
    ws.on('close', () => this.onClosed());
    ws.on('error', () => this.onClosed());
  }

  /** A readable for data the client sends on `channel` (stdin, resize). */
  reader(channel: number): Readable {
    let r = this.readers.get(channel);
    if (!r) {
      let blocked = false;
      r = new Readable({
        read: () => {
          if (blocked) {
            blocked = false;
            if (--this.paused === 0 && !this.closed) this.ws.resume();
          }
        },
      });
      (r as Readable & { block: () => void }).block = () => {
        if (blocked) return;
        blocked = true;
        if (this.paused++ === 0) this.ws.pause();
      };
      this.readers.set(channel, r);
      if (this.closed) r.push(null);
    }
    return r;
  }

  /** A writable whose writes become messages on `channel`. Ending it writes nothing. */
  writer(channel: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.send(channel, chunk).then(() => cb(), cb);
      },
    });
  }

  /** Sends one message on `channel`; resolves once it has been written to the socket. */
  send(channel: number, data: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('websocket is closed'));
    const msg = this.base64
      ? String.fromCharCode(48 + channel) + Buffer.from(data).toString('base64')
      : Buffer.concat([Buffer.from([channel]), data]);
    return new Promise((resolve, reject) => this.ws.send(msg, { binary: !this.base64 }, (err) => (err ? reject(err) : resolve())));
  }

  /** Ends the session with a normal closure (kubectl reads EOF on every channel). */
  close(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(WS_NORMAL_CLOSURE);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    let channel: number;
    let payload: Buffer;
    if (this.base64) {
      if (isBinary || data.length === 0) return;
      channel = data[0]! - 48;
      payload = Buffer.from(data.subarray(1).toString('latin1'), 'base64');
    } else {
      if (data.length === 0) return;
      channel = data[0]!;
      payload = data.subarray(1);
    }
    if (channel === CHANNEL_CLOSE && this.supportsClose) {
      const target = payload[0];
      if (target !== undefined) this.readers.get(target)?.push(null);
      return;
    }
    const r = this.readers.get(channel);
    // Data for a channel nobody reads is dropped, as wsstream does for ignored channels.
    if (!r || r.readableEnded) return;
    if (payload.length > 0 && !r.push(payload)) (r as Readable & { block: () => void }).block();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.readers.values()) r.push(null);
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
