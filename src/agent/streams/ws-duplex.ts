/**
 * A WebSocket as a byte stream, for the SPDY tunnel kubectl ≥ 1.30 uses for port-forward
 * (`SPDY/3.1+portforward.k8s.io`): each write is one binary message and incoming binary
 * messages are concatenated, as client-go's TunnelingConnection reads them. Ending the stream
 * closes the WebSocket with a normal closure, which the tunnel reads as EOF.
 */
import { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { WS_NORMAL_CLOSURE } from './ws-channels.js';

export class WebSocketDuplex extends Duplex {
  private blocked = false;

  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        this.destroy(new Error('text message on a SPDY tunnel'));
        return;
      }
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (!this.push(buf) && !this.blocked) {
        this.blocked = true;
        ws.pause();
      }
    });
    ws.on('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    if (this.blocked) {
      this.blocked = false;
      this.ws.resume();
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      cb(new Error('websocket is closed'));
      return;
    }
    this.ws.send(chunk, { binary: true }, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(WS_NORMAL_CLOSURE);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(WS_NORMAL_CLOSURE);
    cb(err);
  }
}
