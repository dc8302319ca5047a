import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isGone } from '../api/errors.js';
import { decodeWatchStream, splitObjects, WatchDecodeError } from './watch-decoder.js';
import type { ObjectLike, WatchEvent } from './types.js';

async function* chunks(...parts: Array<string | Uint8Array>): AsyncGenerator<string | Uint8Array> {
  for (const p of parts) yield p;
}

async function collect(src: AsyncIterable<string | Uint8Array>): Promise<Array<WatchEvent<ObjectLike>>> {
  const out: Array<WatchEvent<ObjectLike>> = [];
  for await (const ev of decodeWatchStream(src)) out.push(ev);
  return out;
}

const ev = (type: string, name: string, rv: string): string => JSON.stringify({ type, object: { kind: 'Pod', apiVersion: 'v1', metadata: { name, resourceVersion: rv } } });

test('events split anywhere across chunks, including inside a multi-byte character', async () => {
  const text = `${ev('ADDED', 'café-ü', '1')}\n${ev('MODIFIED', 'b', '2')}\n`;
  const bytes = Buffer.from(text);
  const cut = bytes.indexOf(Buffer.from('é')) + 1; // between the two bytes of é
  const events = await collect(chunks(bytes.subarray(0, cut), bytes.subarray(cut, cut + 7), bytes.subarray(cut + 7)));
  assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED café-ü', 'MODIFIED b']);
});

test('objects written back to back without newlines are decoded too', async () => {
  const events = await collect(chunks(ev('ADDED', 'a', '1') + ev('ADDED', 'b', '2'), ev('DELETED', 'a', '3').slice(0, 10), ev('DELETED', 'a', '3').slice(10)));
  assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED a', 'ADDED b', 'DELETED a']);
  assert.deepEqual(splitObjects('{"a":"}{"} {"b":{"c":1}} {"x'), { objects: ['{"a":"}{"}', '{"b":{"c":1}}'], rest: ' {"x' });
});

test('bookmarks are events; an ERROR event ends the stream with its StatusError', async () => {
  const err = JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 } });
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const e of decodeWatchStream(chunks(`${ev('BOOKMARK', '', '4')}\n${err}\n${ev('ADDED', 'never', '6')}\n`))) seen.push(e.type);
  }, (e: unknown) => isGone(e) && (e as Error).message === 'too old resource version: 1 (5)');
  assert.deepEqual(seen, ['BOOKMARK']);
});

test('anything that is not a well-formed event is a WatchDecodeError, never skipped', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}\nnot json\n', /malformed JSON/],
    ['{"type":"UPSERTED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}\n', /unknown type "UPSERTED"/],
    ['{"type":"ADDED"}\n', /has no object/],
    ['{"type":"ADDED","object":{"metadata":{}}}\n', /no metadata.resourceVersion/],
    ['{"type":"MODIFIED","object":{"metadata":{"resourceVersion":"3"}}}\n', /no metadata.name/],
    ['{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}}', /.*/], // fine: complete at end of stream
    ['{"type":"ADDED","object":{"metadata":', /malformed JSON/],
    ['[1,2]\n', /not an object/],
  ];
  for (const [body, msg] of cases) {
    const run = collect(chunks(body));
    if (body.endsWith('}}}')) {
      assert.equal((await run).length, 1);
      continue;
    }
    await assert.rejects(run, (e: unknown) => e instanceof WatchDecodeError && msg.test((e as Error).message), body);
  }
});
