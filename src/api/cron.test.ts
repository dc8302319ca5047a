import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCronSchedule, CronParseError, timeZoneError, parseGoDuration, zonedDate, wallTime } from './cron.js';

const iso = (ms: number | undefined) => (ms === undefined ? 'none' : new Date(ms).toISOString());
const at = (s: string) => Date.parse(s);

/** Runs `n` successive Next() calls from `from`. */
function nextN(spec: string, from: string, n: number, zone = 'UTC'): string[] {
  const s = parseCronSchedule(spec);
  const out: string[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = s.next(t, zone);
    out.push(iso(t));
  }
  return out;
}

test('standard schedules, names, steps and macros (UTC)', () => {
  const cases: Array<[string, string, string[]]> = [
    ['*/15 * * * *', '2024-01-01T00:07:00Z', ['2024-01-01T00:15:00.000Z', '2024-01-01T00:30:00.000Z']],
    ['0 9 * * MON-FRI', '2024-01-05T10:00:00Z', ['2024-01-08T09:00:00.000Z', '2024-01-09T09:00:00.000Z']],
    ['0 0 1 jan,jul ?', '2024-02-01T00:00:00Z', ['2024-07-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']],
    ['5/20 * * * *', '2024-01-01T00:00:00Z', ['2024-01-01T00:05:00.000Z', '2024-01-01T00:25:00.000Z', '2024-01-01T00:45:00.000Z', '2024-01-01T01:05:00.000Z']],
    ['@hourly', '2024-01-01T00:00:00Z', ['2024-01-01T01:00:00.000Z']],
    ['@daily', '2024-01-01T12:00:00Z', ['2024-01-02T00:00:00.000Z']],
    ['@weekly', '2024-01-01T12:00:00Z', ['2024-01-07T00:00:00.000Z']],
    ['@monthly', '2024-01-15T00:00:00Z', ['2024-02-01T00:00:00.000Z']],
    ['@yearly', '2024-01-15T00:00:00Z', ['2025-01-01T00:00:00.000Z']],
    ['@every 90s', '2024-01-01T00:00:00.400Z', ['2024-01-01T00:01:30.000Z', '2024-01-01T00:03:00.000Z']],
    // Both day fields restricted: either may match (1st of the month OR a Monday).
    ['0 0 1 * MON', '2024-01-02T00:00:00Z', ['2024-01-08T00:00:00.000Z', '2024-01-15T00:00:00.000Z', '2024-01-22T00:00:00.000Z', '2024-01-29T00:00:00.000Z', '2024-02-01T00:00:00.000Z']],
    // A `*` day-of-month keeps the AND rule: only Mondays.
    ['0 0 * * 1', '2024-01-02T00:00:00Z', ['2024-01-08T00:00:00.000Z']],
    // `*/2` clears robfig's star bit, so the rule becomes OR: odd days or Mondays.
    ['0 0 */2 * 1', '2024-01-01T12:00:00Z', ['2024-01-03T00:00:00.000Z', '2024-01-05T00:00:00.000Z', '2024-01-07T00:00:00.000Z', '2024-01-08T00:00:00.000Z']],
    ['0 0 30 2 *', '2024-01-01T00:00:00Z', ['none']],
    ['TZ=Asia/Tokyo 0 9 * * *', '2024-01-01T01:00:00Z', ['2024-01-02T00:00:00.000Z']],
    ['CRON_TZ=UTC 0 9 * * *', '2024-01-01T01:00:00Z', ['2024-01-01T09:00:00.000Z']],
  ];
  for (const [spec, from, want] of cases) assert.deepEqual(nextN(spec, from, want.length), want, spec);
});

test('time zones: a schedule follows the zone wall clock', () => {
  assert.deepEqual(nextN('0 9 * * *', '2024-01-01T00:00:00Z', 1, 'America/New_York'), ['2024-01-01T14:00:00.000Z']);
  assert.deepEqual(nextN('0 9 * * *', '2024-07-01T00:00:00Z', 1, 'America/New_York'), ['2024-07-01T13:00:00.000Z']);
  assert.deepEqual(nextN('0 0 * * *', '2024-01-01T00:00:00Z', 1, 'Asia/Kolkata'), ['2024-01-01T18:30:00.000Z']);
});

test('DST: a job in the skipped local hour does not run that day', () => {
  // America/New_York springs forward at 2024-03-10 02:00 EST -> 03:00 EDT.
  assert.deepEqual(nextN('30 2 * * *', '2024-03-09T00:00:00Z', 3, 'America/New_York'), [
    '2024-03-09T07:30:00.000Z', // 02:30 EST on the 9th
    '2024-03-11T06:30:00.000Z', // no 02:30 on the 10th; 02:30 EDT on the 11th
    '2024-03-12T06:30:00.000Z',
  ]);
  // An hourly job simply has one run fewer.
  assert.deepEqual(nextN('0 * * * *', '2024-03-10T05:30:00Z', 3, 'America/New_York'), ['2024-03-10T06:00:00.000Z', '2024-03-10T07:00:00.000Z', '2024-03-10T08:00:00.000Z']);
  assert.equal(wallTime(at('2024-03-10T07:00:00Z'), 'America/New_York').hour, 3);
});

test('DST: a job in the repeated local hour runs in both occurrences', () => {
  // America/New_York falls back at 2024-11-03 02:00 EDT -> 01:00 EST.
  assert.deepEqual(nextN('30 1 * * *', '2024-11-03T00:00:00Z', 3, 'America/New_York'), [
    '2024-11-03T05:30:00.000Z', // 01:30 EDT
    '2024-11-03T06:30:00.000Z', // 01:30 EST
    '2024-11-04T06:30:00.000Z',
  ]);
  assert.deepEqual(nextN('0 * * * *', '2024-11-03T04:30:00Z', 3, 'America/New_York'), ['2024-11-03T05:00:00.000Z', '2024-11-03T06:00:00.000Z', '2024-11-03T07:00:00.000Z']);
  // Midnight jobs are not disturbed by either transition.
  assert.deepEqual(nextN('0 0 * * *', '2024-11-02T12:00:00Z', 2, 'America/New_York'), ['2024-11-03T04:00:00.000Z', '2024-11-04T05:00:00.000Z']);
});

test('zonedDate resolves gaps and overlaps like Go time.Date', () => {
  assert.equal(iso(zonedDate(2024, 3, 10, 2, 30, 0, 'America/New_York')), '2024-03-10T06:30:00.000Z');
  assert.equal(iso(zonedDate(2024, 11, 3, 1, 30, 0, 'America/New_York')), '2024-11-03T05:30:00.000Z');
  assert.equal(iso(zonedDate(2024, 13, 1, 0, 0, 0, 'UTC')), '2025-01-01T00:00:00.000Z');
});

test('parse errors are robfig/cron texts', () => {
  const cases: Array<[string, string]> = [
    ['', 'empty spec string'],
    ['foo', 'expected exactly 5 fields, found 1: [foo]'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['5-3 * * * *', 'beginning of range (5) beyond end of range (3): 5-3'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['* * * foo *', 'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax'],
    ['@foo', 'unrecognized descriptor: @foo'],
    ['@every x', 'failed to parse duration @every x: time: invalid duration "x"'],
    ['@every 5', 'failed to parse duration @every 5: time: missing unit in duration "5"'],
    ['TZ=Mars/Base * * * * *', 'provided bad location Mars/Base: unknown time zone Mars/Base'],
  ];
  for (const [spec, msg] of cases) {
    assert.throws(() => parseCronSchedule(spec), (e: unknown) => e instanceof CronParseError && e.message === msg, spec);
  }
});

test('timeZoneError follows CronJob validation', () => {
  assert.equal(timeZoneError('America/New_York'), undefined);
  assert.equal(timeZoneError('UTC'), undefined);
  assert.equal(timeZoneError('Etc/UTC'), undefined);
  assert.equal(timeZoneError('Local'), 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
  assert.equal(timeZoneError(''), 'timeZone must be nil or non-empty string');
  assert.equal(timeZoneError('Foo/Bar'), 'unknown time zone Foo/Bar');
  assert.equal(timeZoneError('america/new_york'), 'unknown time zone america/new_york');
  assert.equal(timeZoneError('../etc/passwd'), 'unknown time zone ../etc/passwd');
  assert.equal(timeZoneError('+05:00'), 'unknown time zone +05:00');
});

test('parseGoDuration', () => {
  assert.equal(parseGoDuration('1h30m'), 5400e9);
  assert.equal(parseGoDuration('1.5s'), 1.5e9);
  assert.equal(parseGoDuration('0'), 0);
  assert.throws(() => parseGoDuration('5y'), /time: unknown unit "y" in duration "5y"/);
});
