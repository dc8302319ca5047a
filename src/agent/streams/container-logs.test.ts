import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { findTailStart, parseContainerLogOptions, parseCriLine, parseTimestamp, writeContainerLogs, type ContainerLogOptions } from './container-logs.js';

test('timestamps keep their nanoseconds and print with nine digits', () => {
  assert.deepEqual(parseTimestamp('2024-05-01T10:00:00.5Z'), { ms: Date.parse('2024-05-01T10:00:00Z') + 500, fixed: '2024-05-01T10:00:00.500000000Z' });
  assert.equal(parseTimestamp('2024-05-01T10:00:00+02:00')!.fixed, '2024-05-01T10:00:00.000000000+02:00');
  assert.equal(parseTimestamp('2024-05-01 10:00:00'), undefined);
});

test('CRI lines: stream, partial tag, content with its newline', () => {
  assert.equal(parseCriLine(Buffer.from('2024-05-01T10:00:00Z stdout F hi there\n'))!.content.toString(), 'hi there\n');
  assert.equal(parseCriLine(Buffer.from('2024-05-01T10:00:00Z stderr P part\n'))!.content.toString(), 'part');
  assert.equal(parseCriLine(Buffer.from('2024-05-01T10:00:00Z stdout F:x  spaced\n'))!.content.toString(), ' spaced\n');
  assert.equal(parseCriLine(Buffer.from('2024-05-01T10:00:00Z other F x\n')), undefined);
  assert.equal(parseCriLine(Buffer.from('2024-05-01T10:00:00.25Z stdout F x\n'))!.time()!.fixed, '2024-05-01T10:00:00.250000000Z');
  assert.equal(parseCriLine(Buffer.from('garbage\n')), undefined);
});

test('query options: kubelet validation, and the later of sinceSeconds and sinceTime wins', () => {
  const now = Date.parse('2024-05-01T10:00:00Z');
  assert.deepEqual(parseContainerLogOptions(new URLSearchParams('follow=true&tailLines=3&limitBytes=10&sinceSeconds=60'), now), {
    follow: true,
    previous: false,
    timestamps: false,
    tailLines: 3,
    limitBytes: 10,
    sinceMs: now - 60_000,
  });
  const both = parseContainerLogOptions(new URLSearchParams('sinceSeconds=60&sinceTime=2024-05-01T09:59:30Z'), now) as ContainerLogOptions;
  assert.equal(both.sinceMs, now - 30_000);
  assert.match((parseContainerLogOptions(new URLSearchParams('tailLines=x'), now) as { error: string }).error, /tailLines/);
  assert.match((parseContainerLogOptions(new URLSearchParams('limitBytes=0'), now) as { error: string }).error, /limitBytes/);
});

test('tail start spans files and ignores an incomplete last line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-tail-'));
  try {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeFile(a, 'l1\nl2\n');
    await writeFile(b, 'l3\nl4\nincompl');
    assert.deepEqual(await findTailStart([a, b], 0), { file: 1, offset: 6 });
    // Exactly two lines in the newest file: the start is the end of the older one.
    assert.deepEqual(await findTailStart([a, b], 2), { file: 0, offset: 6 });
    assert.deepEqual(await findTailStart([a, b], 3), { file: 0, offset: 3 });
    assert.deepEqual(await findTailStart([a, b], 10), { file: 0, offset: 0 });
    // Non-follow reading writes an incomplete last line too, as the kubelet does.
    const c = join(dir, 'c');
    await writeFile(c, '2024-05-01T10:00:00Z stdout F done\n2024-05-01T10:00:01Z stdout P no-newline');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    await writeContainerLogs({ files: () => [c], running: () => false, onStopped: () => () => undefined }, { follow: false, previous: false, timestamps: false }, out, new AbortController().signal);
    assert.equal(text, 'done\nno-newline');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
