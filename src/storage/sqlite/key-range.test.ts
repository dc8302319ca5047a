import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { compareCodePoints, keyRange, prefixRangeEnd } from './key-range.js';

describe('prefixRangeEnd', () => {
  const cases: Array<[string, string | undefined]> = [
    ['/registry/pods/', '/registry/pods0'],
    ['a', 'b'],
    ['', undefined],
    ['ab\u{10FFFF}', 'ac'],
    ['\u{10FFFF}', undefined],
    ['x\uD7FF', 'x\uE000'], // skips the surrogate block
    ['x\u{1F600}', 'x\u{1F601}'],
  ];
  for (const [prefix, end] of cases) {
    it(`${JSON.stringify(prefix)} -> ${JSON.stringify(end)}`, () => assert.equal(prefixRangeEnd(prefix), end));
  }

  it('bounds exactly the keys with the prefix in SQLite order', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE k (name TEXT PRIMARY KEY)');
    const keys = ['a', 'a/', 'a/b', 'a/\u{10FFFF}', 'a/\uFFFF', 'a/\u{1F600}', 'a0', 'a.', 'b', '', '\u00e9', 'a/\u00e9'];
    const insert = db.prepare('INSERT INTO k VALUES (?)');
    for (const k of keys) insert.run(k);
    for (const prefix of ['a/', 'a', '', '\u00e9', 'a/\u{1F600}']) {
      const end = prefixRangeEnd(prefix);
      const rows = (end === undefined
        ? db.prepare('SELECT name FROM k WHERE name >= ? ORDER BY name').pluck().all(prefix)
        : db.prepare('SELECT name FROM k WHERE name >= ? AND name < ? ORDER BY name').pluck().all(prefix, end)) as string[];
      const want = keys.filter((k) => k.startsWith(prefix)).sort(compareCodePoints);
      assert.deepEqual(rows, want, `prefix ${JSON.stringify(prefix)}`);
    }
    db.close();
  });
});

describe('keyRange', () => {
  it('starts after afterKey when it is inside the prefix, at the prefix otherwise', () => {
    assert.deepEqual(keyRange('/p/', '/p/m'), { from: '/p/m', fromExclusive: true, to: '/p0' });
    assert.deepEqual(keyRange('/p/', '/a'), { from: '/p/', fromExclusive: false, to: '/p0' });
    assert.deepEqual(keyRange('/p/'), { from: '/p/', fromExclusive: false, to: '/p0' });
    assert.deepEqual(keyRange('', 'k'), { from: 'k', fromExclusive: true, to: undefined });
  });
});

describe('compareCodePoints', () => {
  it('orders astral characters after every BMP character, as UTF-8 bytes do', () => {
    assert.ok(compareCodePoints('\u{1F600}', '\uFFFF') > 0);
    assert.ok('\u{1F600}' < '\uFFFF', 'UTF-16 order disagrees, which is why this exists');
    assert.ok(compareCodePoints('a', 'b') < 0);
    assert.equal(compareCodePoints('ab', 'ab'), 0);
    assert.ok(compareCodePoints('ab', 'a') > 0);
  });
});
