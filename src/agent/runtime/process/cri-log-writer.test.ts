import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriLogWriter, MAX_LINE_BYTES, criTimestamp, rotatedFiles, utf8Boundary } from './cri-log-writer.js';

test('CRI records: F for whole lines, P for pieces of long or unfinished lines, per stream', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cri-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, '0.log');
  const w = new CriLogWriter(path, { now: () => Date.UTC(2024, 0, 1) + 0.5 });
  w.write('stdout', Buffer.from('a\nb'));
  w.write('stderr', Buffer.from('err\n'));
  w.write('stdout', Buffer.from('c\n'));
  w.write('stdout', Buffer.from('x'.repeat(MAX_LINE_BYTES + 10) + '\n'));
  w.write('stdout', Buffer.from('tail'));
  w.close();
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  assert.equal(lines[0], '2024-01-01T00:00:00.000500000Z stdout F a');
  assert.equal(lines[1], '2024-01-01T00:00:00.000500000Z stderr F err');
  assert.equal(lines[2], '2024-01-01T00:00:00.000500000Z stdout F bc');
  assert.equal(lines[3], `2024-01-01T00:00:00.000500000Z stdout P ${'x'.repeat(MAX_LINE_BYTES)}`);
  assert.equal(lines[4], `2024-01-01T00:00:00.000500000Z stdout F ${'x'.repeat(10)}`);
  assert.equal(lines[5], '2024-01-01T00:00:00.000500000Z stdout F tail');
});

test('size rotation keeps maxFiles files with increasing sequence numbers', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cri-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, '0.log');
  const w = new CriLogWriter(path, { maxBytes: 200, maxFiles: 3 });
  for (let i = 0; i < 40; i++) w.write('stdout', Buffer.from(`line ${i}\n`));
  w.close();
  const rotated = rotatedFiles(path);
  assert.equal(rotated.length, 2);
  const seqs = rotated.map((f) => Number(f.slice(path.length + 1)));
  assert.ok(seqs[0]! < seqs[1]!, 'oldest first');
  const all = [...rotated, path];
  const text = (await Promise.all(all.map((f) => readFile(f, 'utf8')))).join('');
  assert.match(text, /stdout F line 39\n$/, 'newest line in the live file, last');
  assert.ok(!text.includes('line 0\n'), 'oldest lines rotated away');
});

test('criTimestamp has nanosecond precision', () => {
  assert.equal(criTimestamp(Date.UTC(2024, 5, 1, 12, 0, 0, 5) + 0.5), '2024-06-01T12:00:00.005500000Z');
});

test('flushPartial (terminals): an unfinished line is written at once as P, never cut inside a character', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-cri-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, '0.log');
  const w = new CriLogWriter(path, { now: () => Date.UTC(2024, 0, 1), flushPartial: true });
  w.write('stdout', Buffer.from('/ # '));
  assert.equal(await readFile(path, 'utf8'), '2024-01-01T00:00:00.000000000Z stdout P / # \n', 'the prompt is in the log before its line ends');
  const euro = Buffer.from('€'); // three bytes
  w.write('stdout', Buffer.concat([Buffer.from('ls'), euro.subarray(0, 2)]));
  w.write('stdout', Buffer.concat([euro.subarray(2), Buffer.from('\r\n')]));
  w.close();
  const texts = (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => l.split(' ').slice(1).join(' '));
  assert.deepEqual(texts, ['stdout P / # ', 'stdout P ls', 'stdout F €\r']);
  assert.equal(utf8Boundary(Buffer.from('a€')), 4);
  assert.equal(utf8Boundary(Buffer.from('a€').subarray(0, 3)), 1);
  assert.equal(utf8Boundary(Buffer.from('😀').subarray(0, 3)), 0);
});
