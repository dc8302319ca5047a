/**
 * SPDY header-block compression. Each direction of a session is ONE zlib stream primed with the
 * SPDY/3 dictionary; every header block is a chunk of it ended with a sync flush, so a block can
 * be decoded only after all earlier blocks of that direction. That needs a zlib context that
 * keeps state between synchronous calls: Node's zlib offers state only through asynchronous
 * streams (which would force frame handling through promise chains and let data frames overtake
 * the SYN_STREAM that opens their stream), so the pure-JS `pako` port is used here instead.
 */
import { Deflate, Inflate, Z_SYNC_FLUSH, Z_DEFAULT_STRATEGY } from 'pako';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Compresses outgoing header blocks for one session. */
export class HeaderCompressor {
  private readonly deflate: Deflate;
  private out: Uint8Array[] = [];

  constructor() {
    // Go's framer uses BestCompression; any level decodes the same.
    this.deflate = new Deflate({ level: 6, strategy: Z_DEFAULT_STRATEGY, dictionary: SPDY3_DICTIONARY });
    this.deflate.onData = (chunk) => {
      this.out.push(chunk);
    };
  }

  compress(block: Uint8Array): Buffer {
    this.out = [];
    if (!this.deflate.push(block, Z_SYNC_FLUSH) || this.deflate.err) {
      throw new Error(`header compression failed: ${this.deflate.msg || this.deflate.err}`);
    }
    return Buffer.concat(this.out);
  }
}

/** Decompresses incoming header blocks for one session. */
export class HeaderDecompressor {
  private readonly inflate: Inflate;
  private out: Uint8Array[] = [];

  constructor() {
    this.inflate = new Inflate({ dictionary: SPDY3_DICTIONARY });
    this.inflate.onData = (chunk) => {
      this.out.push(chunk);
    };
  }

  decompress(chunk: Uint8Array): Buffer {
    this.out = [];
    // An empty chunk yields an empty block; pako treats it as a no-op push.
    if (chunk.length > 0) {
      const ok = this.inflate.push(chunk, Z_SYNC_FLUSH);
      if (!ok || this.inflate.err) {
        throw new SpdyProtocolError(`invalid compressed header block: ${this.inflate.msg || this.inflate.err}`);
      }
    }
    return Buffer.concat(this.out);
  }
}
