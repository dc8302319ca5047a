/**
 * Human-readable durations and ages exactly as Kubernetes prints them
 * (`k8s.io/apimachinery/pkg/util/duration.HumanDuration` and the printers'
 * `translateTimestampSince`): AGE, LAST SEEN, DURATION, LAST SCHEDULE and `(5m ago)` cells.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Go's `time.Time{}` (year 1, UTC): Kubernetes treats it as "no time", like an absent field. */
const GO_ZERO_TIME_MS = -62135596800000; // Date.parse('0001-01-01T00:00:00Z')

/**
 * A succinct duration with about 2–3 significant figures, as `duration.HumanDuration`:
 * `119s`, `3m10s`, `70m`, `3h1m`, `47h`, `2d1h`, `8d`, `2y1d`, `8y`. A negative duration of up
 * to (excluding) 2 s is tolerated as clock skew and printed `0s`; beyond that `<invalid>`.
 * Every division truncates toward zero, like Go's integer conversions.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/**
 * Parses a Kubernetes `Time`/`MicroTime` (RFC 3339, optional fraction) into epoch ms.
 * Returns undefined for an absent, unparsable or Go-zero time, which Kubernetes treats as unset.
 */
export function parseTime(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined;
  const ms = Date.parse(ts);
  if (Number.isNaN(ms) || ms === GO_ZERO_TIME_MS) return undefined;
  return ms;
}

/** The age of a time already parsed to epoch ms (undefined = unset → `<unknown>`). */
export function ageSince(ms: number | undefined, nowMs: number): string {
  return ms === undefined ? '<unknown>' : humanDuration(nowMs - ms);
}

/**
 * The elapsed time since a timestamp, as Kubernetes' `translateTimestampSince`: `<unknown>`
 * for an unset time, otherwise {@link humanDuration} of now − timestamp.
 */
export function translateTimestampSince(ts: string | null | undefined, now: Date | number): string {
  return ageSince(parseTime(ts), typeof now === 'number' ? now : now.getTime());
}

/** The AGE cell of an object: the age of `metadata.creationTimestamp`. */
export function objectAge(obj: { metadata?: { creationTimestamp?: string } }, nowMs: number): string {
  return ageSince(parseTime(obj.metadata?.creationTimestamp), nowMs);
}
