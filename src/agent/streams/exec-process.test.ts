import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { exitCodeOf, ptyImplementation, spawnExecProcess } from './exec-process.js';

function collect(r: Readable | null): Promise<string> {
  if (!r) return Promise.resolve('');
  return new Promise((resolve) => {
    let s = '';
    r.on('data', (d: Buffer) => (s += d.toString()));
    r.on('end', () => resolve(s));
    r.on('close', () => resolve(s));
  });
}

test('without a tty: separate stdout and stderr, stdin EOF, exit code', async () => {
  const p = spawnExecProcess({ file: 'sh', args: ['-c', 'cat; echo err >&2; exit 4'], tty: false, stdin: true });
  p.stdin!.end('piped\n');
  const [out, err, exit] = await Promise.all([collect(p.stdout), collect(p.stderr), p.exited]);
  assert.equal(out, 'piped\n');
  assert.equal(err, 'err\n');
  assert.deepEqual(exit, { code: 4, signal: null });
});

test('a signal is reported as 128 + its number, as container runtimes do', async () => {
  const p = spawnExecProcess({ file: 'sleep', args: ['30'], tty: false, stdin: false });
  p.kill();
  const exit = await p.exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exitCodeOf(exit), 137);
  assert.equal(exitCodeOf({ code: 0, signal: null }), 0);
});

for (const impl of ['node-pty', 'script'] as const) {
  const skip = impl === 'node-pty' ? ptyImplementation() !== 'node-pty' && 'node-pty did not load here' : process.platform !== 'linux' && 'script fallback is Linux-only';
  test(`with a tty (${impl}): a terminal of the requested size that follows resizes, EOF as ^D`, { skip }, async () => {
    // The shell waits until the terminal has the new size (the script fallback applies it
    // asynchronously), then reports it; `cat` ends at the ^D that ending stdin sends.
    const cmd = 'tty; stty size; while [ "$(stty size)" != "40 120" ]; do :; done; stty size; cat; exit 9';
    const p = spawnExecProcess({ file: 'sh', args: ['-c', cmd], tty: true, stdin: true, cols: 100, rows: 30, ptyImplementation: impl });
    assert.equal(p.stderr, null);
    let out = '';
    const done = new Promise<void>((resolve) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('40 120') && !out.includes('typed')) {
          p.stdin!.write('typed\n');
          p.stdin!.end();
        }
      });
      p.stdout.on('end', () => resolve());
    });
    let resized = false;
    p.stdout.on('data', () => {
      if (!resized && out.includes('30 100')) {
        resized = true;
        p.resize(120, 40);
      }
    });
    const exit = await p.exited;
    await done;
    assert.match(out, /\/dev\/pts\/\d+\r\n/);
    assert.match(out, /30 100\r\n/);
    assert.match(out, /40 120\r\n/);
    assert.match(out, /typed\r\n/);
    assert.deepEqual(exit, { code: 9, signal: null });
  });
}
