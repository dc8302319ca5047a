import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, parseTime, translateTimestampSince } from './duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

// The boundary table of apimachinery's duration_test.go (HumanDuration).
const cases: Array<[number, string]> = [
  [-2 * S, '<invalid>'],
  [-2 * S + 1, '0s'],
  [-1 * S, '0s'],
  [0, '0s'],
  [S - 1, '0s'],
  [S, '1s'],
  [70 * S, '70s'],
  [2 * M - 1, '119s'],
  [2 * M, '2m'],
  [2 * M + S, '2m1s'],
  [190 * S, '3m10s'],
  [10 * M - 1, '9m59s'],
  [10 * M, '10m'],
  [10 * M + S, '10m'],
  [70 * M, '70m'],
  [3 * H - 1, '179m'],
  [3 * H, '3h'],
  [3 * H + M, '3h1m'],
  [8 * H - 1, '7h59m'],
  [8 * H, '8h'],
  [8 * H + 59 * M, '8h'],
  [47 * H, '47h'],
  [2 * D - 1, '47h'],
  [2 * D, '2d'],
  [49 * H, '2d1h'],
  [8 * D - 1, '7d23h'],
  [8 * D, '8d'],
  [8 * D + 23 * H, '8d'],
  [367 * D, '367d'],
  [2 * 365 * D - 1, '729d'],
  [2 * 365 * D, '2y'],
  [2 * 365 * D + 24 * H - 1, '2y'],
  [2 * 365 * D + 24 * H, '2y1d'],
  [2 * 365 * D + 25 * H, '2y1d'],
  [7 * 365 * D, '7y'],
  [8 * 365 * D - 1, '7y364d'],
  [8 * 365 * D, '8y'],
  [8 * 365 * D + 364 * D, '8y'],
  [9 * 365 * D, '9y'],
];

test('humanDuration follows apimachinery HumanDuration at every boundary', () => {
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `humanDuration(${ms})`);
});

test('translateTimestampSince: unset and Go zero times are <unknown>, future beyond skew is <invalid>', () => {
  const now = new Date('2026-01-10T12:00:00Z');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince(null, now), '<unknown>');
  assert.equal(translateTimestampSince('', now), '<unknown>');
  assert.equal(translateTimestampSince('not a time', now), '<unknown>');
  assert.equal(translateTimestampSince('0001-01-01T00:00:00Z', now), '<unknown>');
  assert.equal(translateTimestampSince('2026-01-10T11:59:15Z', now), '45s');
  assert.equal(translateTimestampSince('2026-01-10T11:59:15.999999Z', now.getTime()), '44s');
  assert.equal(translateTimestampSince('2026-01-10T13:00:00+01:00', now), '0s');
  assert.equal(translateTimestampSince('2026-01-10T12:00:01Z', now), '0s');
  assert.equal(translateTimestampSince('2026-01-10T12:00:02Z', now), '<invalid>');
  assert.equal(translateTimestampSince('2025-01-10T12:00:00Z', now), '365d');
});

test('parseTime reads RFC 3339 with fractions and offsets', () => {
  assert.equal(parseTime('2026-01-10T12:00:00Z'), Date.UTC(2026, 0, 10, 12));
  assert.equal(parseTime('2026-01-10T12:00:00.123456Z'), Date.UTC(2026, 0, 10, 12, 0, 0, 123));
  assert.equal(parseTime('2026-01-10T14:00:00+02:00'), Date.UTC(2026, 0, 10, 12));
});
