import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket, type Server } from 'node:net';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { SpdySession, SpdyStream } from './session.js';
import { FrameReader, decodeHeaderBlock, encodeHeaderBlock, encodeDataFrame, encodePing, FrameType, SpdyProtocolError } from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-codec.js';
import { SPDY3_DICTIONARY } from './dictionary.js';

async function socketPair(): Promise<{ a: Socket; b: Socket; server: Server }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const a = connect(port, '127.0.0.1');
  await once(a, 'connect');
  const [b] = await accepted;
  return { a, b, server };
}

/** Reads a stream to its end without destroying it (a `for await` would, resetting the stream). */
function readAll(s: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}

test('dictionary is the 1423-byte SPDY/3 dictionary', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(Buffer.from(SPDY3_DICTIONARY.subarray(0, 11)).toString('latin1'), '\0\0\0\x07options');
  assert.ok(Buffer.from(SPDY3_DICTIONARY).toString('latin1').endsWith(',*,enq=0.'));
});

test('header blocks round-trip, keep NUL-joined values and reject duplicates', () => {
  const block = encodeHeaderBlock(new Map([['StreamType', ['error']], ['x', ['a', 'b']]]));
  const back = decodeHeaderBlock(block);
  assert.deepEqual([...back], [['streamtype', ['error']], ['x', ['a', 'b']]]);
  const dup = Buffer.concat([Buffer.from([0, 0, 0, 2]), block.subarray(4, 4 + 4 + 10 + 4 + 5), block.subarray(4, 4 + 4 + 10 + 4 + 5)]);
  assert.throws(() => decodeHeaderBlock(dup), SpdyProtocolError);
});

test('header compression shares one zlib stream per direction and reads a zlib peer', async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  for (const text of ['streamtype', 'streamtype', 'x'.repeat(70_000)]) assert.equal(d.decompress(c.compress(Buffer.from(text))).toString(), text);
  // A peer using zlib with the dictionary and a sync flush per block, as Go's framer does.
  const z = zlib.createDeflate({ dictionary: Buffer.from(SPDY3_DICTIONARY) });
  const peer = new HeaderDecompressor();
  const got: string[] = [];
  z.on('data', (b: Buffer) => got.push(peer.decompress(b).toString()));
  for (const text of ['port', 'requestid']) {
    z.write(text);
    await new Promise<void>((r) => z.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
  }
  assert.equal(got.join(''), 'portrequestid');
  z.close();
});

test('frame reader reassembles frames split at any byte', () => {
  const bytes = Buffer.concat([encodeDataFrame(1, Buffer.from('hello'), false), encodePing(7), encodeDataFrame(3, Buffer.alloc(0), true)]);
  const r = new FrameReader();
  const frames = [];
  for (const b of bytes) frames.push(...r.push(Buffer.from([b])));
  assert.equal(frames.length, 3);
  assert.deepEqual(frames[0], { kind: 'data', streamId: 1, flags: 0, data: Buffer.from('hello') });
  assert.equal(frames[1]!.kind === 'control' && frames[1]!.type, FrameType.Ping);
  assert.equal(frames[2]!.kind === 'data' && frames[2]!.flags, 1);
  assert.equal(r.pending, 0);
});

test('streams carry data both ways with half-close, pings are echoed, GOAWAY ends the session', async () => {
  const { a, b, server } = await socketPair();
  const seen: Array<string | undefined> = [];
  let serverClosed!: () => void;
  const serverDone = new Promise<void>((r) => (serverClosed = r));
  const srv = new SpdySession(b, {
    role: 'server',
    onStream(stream: SpdyStream) {
      seen.push(stream.header('streamType'));
      void readAll(stream).then((text) => stream.end(text.toUpperCase()));
    },
    onClose: () => serverClosed(),
  });
  let clientClosed!: () => void;
  const clientDone = new Promise<void>((r) => (clientClosed = r));
  const cli = new SpdySession(a, { role: 'client', onClose: () => clientClosed() });
  await cli.ping();
  const s1 = await cli.createStream({ streamType: 'stdin' });
  const s2 = await cli.createStream({ streamType: 'stdout' });
  s1.end('hello ');
  s2.write(Buffer.alloc(100_000, 'a'));
  s2.end();
  assert.equal(await readAll(s1), 'HELLO ');
  assert.equal((await readAll(s2)).length, 100_000);
  assert.deepEqual(seen, ['stdin', 'stdout']);
  srv.close();
  await Promise.all([serverDone, clientDone]);
  assert.equal(cli.isClosed, true);
  server.close();
});

test('a reset stream ends its reader and tells the peer; refused streams are reset', async () => {
  const { a, b, server } = await socketPair();
  const resets: number[] = [];
  const srv = new SpdySession(b, {
    role: 'server',
    onStream(stream) {
      if (stream.header('streamtype') === 'bad') return false;
      stream.on('reset', (status: number) => resets.push(status));
      return true;
    },
  });
  const cli = new SpdySession(a, { role: 'client' });
  await assert.rejects(cli.createStream({ streamtype: 'bad' }), /reset/);
  const s = await cli.createStream({ streamtype: 'data' });
  s.reset();
  await assert.doesNotReject(readAll(s));
  await cli.ping(); // the RST has been processed by the server when the echo returns
  assert.deepEqual(resets, [5]);
  assert.equal(srv.streamCount, 0);
  cli.destroy();
  srv.destroy();
  server.close();
});
