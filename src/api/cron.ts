/**
 * Cron schedules exactly as Kubernetes' CronJob controller reads them: robfig/cron v3's
 * `ParseStandard` (5 fields, names, `?`, steps, macros, `@every <duration>`, an optional
 * `TZ=`/`CRON_TZ=` prefix) and its `Next` algorithm, with IANA time zones from the runtime's ICU data.
 *
 * Why not a library: the current croner and cron-parser releases were evaluated against robfig and
 * neither matches it where users can see the difference through Kubernetes. For `30 2 * * *` in
 * America/New_York on the spring-forward day, croner runs at 03:00 EDT and cron-parser at 03:30 EDT;
 * robfig skips the day. For `30 1 * * *` on the fall-back day both run once; robfig runs in both
 * occurrences of 01:30. croner also accepts day-of-week 7 (robfig rejects it), and both report
 * errors in their own words while CronJob validation returns robfig's text verbatim. So this file
 * implements robfig's parser and its `Next` walk directly (only time-zone data comes from the
 * runtime's ICU), including its other quirks: the day-of-month/day-of-week rule (AND when either
 * field starts with `*` or `?`, except `*`/N with N>1; OR otherwise), `N/step` meaning
 * `N-max/step`, and the 5-year search limit. The documented DST rule, covered by tests:
 *   - a schedule whose local time falls in a skipped hour (spring forward) does not run that day;
 *   - a schedule whose local time falls in a repeated hour (fall back) runs in both occurrences.
 */

/** Thrown by {@link parseCronSchedule}; the message is robfig/cron's. */
export class CronParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronParseError';
  }
}

/** A parsed schedule. */
export interface CronSchedule {
  /**
   * The first activation strictly after `afterMs` (epoch ms), or undefined when there is none within
   * five years. `localZone` is the zone used when the spec has no `TZ=` prefix (robfig's time.Local:
   * the controller process's zone).
   */
  next(afterMs: number, localZone?: string): number | undefined;
  /** The zone from a `TZ=`/`CRON_TZ=` prefix, if any. */
  readonly timeZone: string | undefined;
}

const STAR_BIT = 1n << 63n;

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

function getBits(min: number, max: number, step: number): bigint {
  let bits = 0n;
  for (let i = min; i <= max; i += step) bits |= 1n << BigInt(i);
  return bits;
}

const all = (r: Bounds) => getBits(r.min, r.max, 1) | STAR_BIT;

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new CronParseError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const big = BigInt(s);
  if (big > 9223372036854775807n || big < -9223372036854775808n) {
    throw new CronParseError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  }
  return Number(big);
}

function mustParseInt(expr: string): number {
  const n = atoi(expr);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

function getRange(expr: string, r: Bounds): bigint {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let extra = 0n;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    extra = STAR_BIT;
  } else {
    start = parseIntOrName(lowAndHigh[0] ?? '', r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1] ?? '', r.names);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step: number;
  if (rangeAndStep.length === 1) step = 1;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1] ?? '');
    // "N/step" means "N-max/step".
    if (singleDigit) end = r.max;
    if (step > 1) extra = 0n;
  } else throw new CronParseError(`too many slashes: ${expr}`);
  if (start < r.min) throw new CronParseError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new CronParseError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  return getBits(start, end, step) | extra;
}

function getField(field: string, r: Bounds): bigint {
  let bits = 0n;
  for (const expr of field.split(',').filter((s) => s !== '')) bits |= getRange(expr, r);
  return bits;
}

// ---- Go durations (time.ParseDuration) ----

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds, with Go's error texts. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const quoted = JSON.stringify(orig);
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s.startsWith('-');
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (s !== '') {
    const m = /^([0-9]*)(\.[0-9]*)?/.exec(s);
    const intPart = m?.[1] ?? '';
    const frac = m?.[2] ?? '';
    if (intPart === '' && (frac === '' || frac === '.')) throw new Error(`time: invalid duration ${quoted}`);
    s = s.slice(intPart.length + frac.length);
    const u = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (u === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const unit = UNIT_NS[u];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(u)} in duration ${quoted}`);
    s = s.slice(u.length);
    total += Number(`${intPart || '0'}${frac === '.' ? '' : frac}`) * unit;
  }
  return neg ? -total : total;
}

// ---- time zones ----

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Wall-clock fields of an instant in a zone. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** The wall-clock reading of `ms` in `zone`, straight from ICU. */
function icuWallTime(ms: number, zone: string): WallTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) parts[p.type] = p.value;
  let year = Number(parts.year);
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
  return {
    year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday ?? 'Sun'] ?? 0,
  };
}

function icuOffset(ms: number, zone: string): number {
  const s = Math.floor(ms / 1000) * 1000;
  const w = icuWallTime(s, zone);
  const d = new Date(0);
  d.setUTCFullYear(w.year, w.month - 1, w.day);
  d.setUTCHours(w.hour, w.minute, w.second, 0);
  return d.getTime() - s;
}

/** Offsets are cached per zone and UTC day; a day containing a transition is resolved per instant. */
const BUCKET_MS = 86_400_000;
/** Entries kept per zone before its offset cache is dropped (bounds memory). */
export const ZONE_OFFSET_CACHE_LIMIT = 50_000;
const boundaryCache = new Map<string, Map<number, number>>();

function boundaryOffset(zone: string, k: number): number {
  let cache = boundaryCache.get(zone);
  if (!cache) boundaryCache.set(zone, (cache = new Map()));
  let v = cache.get(k);
  if (v === undefined) {
    if (cache.size >= ZONE_OFFSET_CACHE_LIMIT) cache.clear();
    v = icuOffset(k * BUCKET_MS, zone);
    cache.set(k, v);
  }
  return v;
}

/**
 * UTC offset (ms) in effect at instant `ms` in `zone`. When the offsets at both ends of the
 * instant's UTC day agree, the whole day has that offset (zones change offset at most once a day);
 * otherwise ICU is asked for the instant itself.
 */
export function zoneOffset(ms: number, zone: string): number {
  const k = Math.floor(ms / BUCKET_MS);
  const a = boundaryOffset(zone, k);
  return a === boundaryOffset(zone, k + 1) ? a : icuOffset(ms, zone);
}

/** The wall-clock reading of `ms` in `zone`. */
export function wallTime(ms: number, zone: string): WallTime {
  const d = new Date(Math.floor(ms / 1000) * 1000 + zoneOffset(ms, zone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/**
 * Go's time.Date(y, mo, d, h, mi, s, 0, loc): normalises overflowing fields, then resolves the
 * wall time the way Go does — for a skipped wall time, the offset in effect just after the gap's
 * start is used (02:30 on a spring-forward day in New York gives 01:30 EST); for a repeated wall
 * time, the first (daylight) occurrence.
 */
export function zonedDate(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: string): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const unix = d.getTime();
  let offset = zoneOffset(unix, zone);
  if (offset !== 0) {
    const utc = unix - offset;
    const at = zoneOffset(utc, zone);
    if (at !== offset) offset = at;
  }
  return unix - offset;
}

const validZonePart = /^[A-Za-z.\-_0-9+]{1,14}$/;

/**
 * Checks a CronJob `timeZone` as Kubernetes does (character rules, `Local` refused, then
 * time.LoadLocation). Returns the error detail, or undefined when valid.
 */
export function timeZoneError(tz: string): string | undefined {
  if (tz.length === 0) return 'timeZone must be nil or non-empty string';
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !validZonePart.test(part)) return `unknown time zone ${tz}`;
  }
  if (tz.toLowerCase() === 'local') return 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones';
  return loadLocationError(tz);
}

/** time.LoadLocation's verdict on a zone name: undefined when it loads. */
export function loadLocationError(tz: string): string | undefined {
  if (tz === '' || tz === 'UTC' || tz === 'Local') return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone ${tz}`;
  }
  // ICU matches names case-insensitively and accepts UTC offsets; Go reads zoneinfo files by exact
  // name, so wrong case and offsets are unknown zones.
  if (/^[+-]/.test(tz) || tz.includes(':') || (resolved.toLowerCase() === tz.toLowerCase() && resolved !== tz)) return `unknown time zone ${tz}`;
  return undefined;
}

/** The zone of this process (robfig's time.Local). */
export function localTimeZone(): string {
  return process.env.TZ && !loadLocationError(process.env.TZ) ? process.env.TZ : Intl.DateTimeFormat().resolvedOptions().timeZone;
}

// ---- schedules ----

class SpecSchedule implements CronSchedule {
  constructor(
    private readonly second: bigint,
    private readonly minute: bigint,
    private readonly hour: bigint,
    private readonly dom: bigint,
    private readonly month: bigint,
    private readonly dow: bigint,
    readonly timeZone: string | undefined,
  ) {}

  private dayMatches(w: WallTime): boolean {
    const domMatch = ((1n << BigInt(w.day)) & this.dom) > 0n;
    const dowMatch = ((1n << BigInt(w.weekday)) & this.dow) > 0n;
    if ((this.dom & STAR_BIT) > 0n || (this.dow & STAR_BIT) > 0n) return domMatch && dowMatch;
    return domMatch || dowMatch;
  }

  /** robfig/cron v3 SpecSchedule.Next, step for step. */
  next(afterMs: number, localZone: string = localTimeZone()): number | undefined {
    const loc = this.timeZone ?? localZone;
    const HOUR = 3_600_000;
    const MINUTE = 60_000;
    const has = (bits: bigint, v: number) => ((1n << BigInt(v)) & bits) > 0n;
    // Start at the earliest possible time (the upcoming second).
    let t = Math.floor(afterMs / 1000) * 1000 + 1000;
    let w = wallTime(t, loc);
    let added = false;
    const yearLimit = w.year + 5;
    wrap: for (;;) {
      w = wallTime(t, loc);
      if (w.year > yearLimit) return undefined;
      while (!has(this.month, w.month)) {
        if (!added) {
          added = true;
          t = zonedDate(w.year, w.month, 1, 0, 0, 0, loc);
          w = wallTime(t, loc);
        }
        t = zonedDate(w.year, w.month + 1, w.day, w.hour, w.minute, w.second, loc);
        w = wallTime(t, loc);
        if (w.month === 1) continue wrap;
      }
      while (!this.dayMatches(w)) {
        if (!added) {
          added = true;
          t = zonedDate(w.year, w.month, w.day, 0, 0, 0, loc);
          w = wallTime(t, loc);
        }
        t = zonedDate(w.year, w.month, w.day + 1, w.hour, w.minute, w.second, loc);
        w = wallTime(t, loc);
        // Notice if the hour is no longer midnight due to DST: add an hour if it's 23, subtract if 1.
        if (w.hour !== 0) {
          t += w.hour > 12 ? (24 - w.hour) * HOUR : -w.hour * HOUR;
          w = wallTime(t, loc);
        }
        if (w.day === 1) continue wrap;
      }
      while (!has(this.hour, w.hour)) {
        if (!added) {
          added = true;
          t = zonedDate(w.year, w.month, w.day, w.hour, 0, 0, loc);
        }
        t += HOUR;
        w = wallTime(t, loc);
        if (w.hour === 0) continue wrap;
      }
      while (!has(this.minute, w.minute)) {
        if (!added) {
          added = true;
          t = Math.floor(t / MINUTE) * MINUTE;
        }
        t += MINUTE;
        w = wallTime(t, loc);
        if (w.minute === 0) continue wrap;
      }
      while (!has(this.second, w.second)) {
        if (!added) {
          added = true;
          t = Math.floor(t / 1000) * 1000;
        }
        t += 1000;
        w = wallTime(t, loc);
        if (w.second === 0) continue wrap;
      }
      return t;
    }
  }
}

/** `@every <duration>`: fires every duration (whole seconds, at least one). */
class ConstantDelaySchedule implements CronSchedule {
  readonly timeZone = undefined;
  constructor(private readonly delayMs: number) {}
  next(afterMs: number): number {
    return afterMs - (((afterMs % 1000) + 1000) % 1000) + this.delayMs;
  }
}

function parseDescriptor(descriptor: string, tz: string | undefined): CronSchedule {
  const sec = 1n << BigInt(SECONDS.min);
  const min = 1n << BigInt(MINUTES.min);
  const hr = 1n << BigInt(HOURS.min);
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return new SpecSchedule(sec, min, hr, 1n << BigInt(DOM.min), 1n << BigInt(MONTHS.min), all(DOW), tz);
    case '@monthly':
      return new SpecSchedule(sec, min, hr, 1n << BigInt(DOM.min), all(MONTHS), all(DOW), tz);
    case '@weekly':
      return new SpecSchedule(sec, min, hr, all(DOM), all(MONTHS), 1n << BigInt(DOW.min), tz);
    case '@daily':
    case '@midnight':
      return new SpecSchedule(sec, min, hr, all(DOM), all(MONTHS), all(DOW), tz);
    case '@hourly':
      return new SpecSchedule(sec, min, all(HOURS), all(DOM), all(MONTHS), all(DOW), tz);
  }
  const every = '@every ';
  if (descriptor.startsWith(every)) {
    let ns: number;
    try {
      ns = parseGoDuration(descriptor.slice(every.length));
    } catch (e) {
      throw new CronParseError(`failed to parse duration ${descriptor}: ${(e as Error).message}`);
    }
    // robfig: at least one second, truncated to whole seconds.
    const ms = Math.max(ns, 1e9) / 1e6;
    return new ConstantDelaySchedule(ms - (ms % 1000));
  }
  throw new CronParseError(`unrecognized descriptor: ${descriptor}`);
}

/**
 * robfig/cron's ParseStandard. Throws {@link CronParseError} with robfig's message, e.g.
 * `expected exactly 5 fields, found 1: [foo]` or `end of range (60) above maximum (59): 60`.
 */
export function parseCronSchedule(spec: string): CronSchedule {
  if (spec.length === 0) throw new CronParseError('empty spec string');
  let tz: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const name = i < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, i);
    const err = loadLocationError(name);
    if (err) throw new CronParseError(`provided bad location ${name}: ${err}`);
    tz = name === '' || name === 'UTC' ? 'UTC' : name === 'Local' ? undefined : name;
    spec = i < 0 ? '' : spec.slice(i).trim();
  }
  if (spec.startsWith('@')) return parseDescriptor(spec, tz);
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [minute = '', hour = '', dom = '', month = '', dow = ''] = fields;
  return new SpecSchedule(1n << 0n, getField(minute, MINUTES), getField(hour, HOURS), getField(dom, DOM), getField(month, MONTHS), getField(dow, DOW), tz);
}
