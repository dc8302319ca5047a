/**
 * When a CronJob should run (Kubernetes' cronjob utils.go, v1.21+ controller): the single most
 * recent unmet schedule time, the number of missed times as the controller estimates it, the
 * requeue delay to the next time, and the deterministic name of the Job for a scheduled time.
 *
 * Schedules use src/api/cron.ts (robfig/cron semantics, including its daylight-saving rule: a time
 * in a skipped local hour does not run that day; a time in a repeated hour runs in both).
 */
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import type { CronSchedule } from '../../api/cron.js';
import { loadLocationError, parseCronSchedule, wallTime, zoneOffset } from '../../api/cron.js';
import { timeMs } from '../job/job-util.js';

/** nextScheduleDelta: requeues land this long after the schedule time, absorbing clock skew. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed times than this raise the TooManyMissedTimes warning (the most recent still runs). */
export const MAX_MISSED_SCHEDULES = 100;
/** The zone of schedules without `spec.timeZone` (kube-controller-manager's local zone: UTC in practice). */
export const DEFAULT_CRONJOB_TIME_ZONE = 'UTC';

export type MissedSchedules = 'none' | 'few' | 'many';

/** A parsed schedule bound to the zone it is evaluated in. */
export interface ZonedSchedule {
  /** The first activation strictly after `ms`, or undefined when none within five years. */
  next(ms: number): number | undefined;
}

export function zoned(schedule: CronSchedule, defaultZone: string): ZonedSchedule {
  return { next: (ms) => schedule.next(ms, defaultZone) };
}

/**
 * The schedule string the controller parses (formatSchedule): `TZ=<spec.timeZone> <schedule>` when
 * the zone loads; a schedule already carrying TZ=/CRON_TZ= is used as is (its own zone wins), and
 * `onUnsupportedTZ` is told about it.
 */
export function formatSchedule(cj: CronJob, onUnsupportedTZ?: (schedule: string) => void): string {
  const schedule = cj.spec?.schedule ?? '';
  if (schedule.includes('TZ')) {
    onUnsupportedTZ?.(schedule);
    return schedule;
  }
  const tz = cj.spec?.timeZone;
  if (tz !== undefined && tz !== null) {
    if (loadLocationError(tz)) return schedule;
    return `TZ=${tz} ${schedule}`;
  }
  return schedule;
}

/** Parses the CronJob's effective schedule (throws CronParseError with robfig's message). */
export function parseCronJobSchedule(cj: CronJob, defaultZone: string, onUnsupportedTZ?: (schedule: string) => void): ZonedSchedule {
  return zoned(parseCronSchedule(formatSchedule(cj, onUnsupportedTZ)), defaultZone);
}

export interface MostRecent {
  /** lastScheduleTime, else creationTimestamp (moved up to now − startingDeadlineSeconds when asked). */
  earliestMs: number;
  /** The most recent schedule time in (earliest, now], if any. */
  mostRecentMs: number | undefined;
  missed: MissedSchedules;
}

/** Thrown for a schedule that parses but can never fire twice (e.g. `59 23 31 2 *`). */
export class InvalidScheduleError extends Error {}

/**
 * mostRecentScheduleTime. The number of missed times is estimated from the gap between the first
 * two times after `earliest` (no walk over every missed time), and only the most recent one is
 * returned: after downtime a CronJob runs once, not once per missed time.
 */
export function mostRecentScheduleTime(cj: CronJob, nowMs: number, schedule: ZonedSchedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = timeMs(cj.status?.lastScheduleTime) ?? timeMs(cj.metadata?.creationTimestamp) ?? nowMs;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    // Nothing older than the starting deadline can be started any more.
    const schedulingDeadline = nowMs - deadline * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = schedule.next(earliest);
  if (t1 === undefined) throw new InvalidScheduleError('time difference between two schedules is less than 1 second');
  if (nowMs < t1) return { earliestMs: earliest, mostRecentMs: undefined, missed: 'none' };
  const t2 = schedule.next(t1);
  if (t2 !== undefined && nowMs < t2) return { earliestMs: earliest, mostRecentMs: t1, missed: 'none' };
  const between = t2 === undefined ? 0 : goRoundSeconds(t2 - t1);
  if (between < 1) throw new InvalidScheduleError('time difference between two schedules is less than 1 second');
  const elapsed = Math.trunc((nowMs - t1) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  // Start two intervals before the estimated last one so irregular schedules are walked correctly.
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  let mostRecent: number | undefined;
  for (let t = schedule.next(potentialEarliest); t !== undefined && t <= nowMs; t = schedule.next(t)) mostRecent = t;
  const missed: MissedSchedules = missedCount > MAX_MISSED_SCHEDULES ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliestMs: earliest, mostRecentMs: mostRecent, missed };
}

/** Go's Duration.Round(time.Second).Seconds(), for a positive or negative duration in ms. */
function goRoundSeconds(ms: number): number {
  const s = Math.abs(ms) / 1000;
  const r = Math.floor(s + 0.5);
  return ms < 0 ? -r : r;
}

/**
 * nextScheduleTimeDuration: how long until the next schedule time after the most recent one
 * (plus NEXT_SCHEDULE_DELTA_MS); undefined when the schedule has no future time.
 */
export function nextScheduleDelay(cj: CronJob, nowMs: number, schedule: ZonedSchedule): number | undefined {
  let from: number;
  try {
    const r = mostRecentScheduleTime(cj, nowMs, schedule, false);
    if (r.mostRecentMs !== undefined) from = r.mostRecentMs;
    else from = r.missed === 'none' ? r.earliestMs : nowMs;
  } catch {
    // Requeue for the next slot from now anyway.
    from = nowMs;
  }
  const next = schedule.next(from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - nowMs;
}

/** `<cronjob>-<scheduled time in minutes since the epoch>`: one name per slot, a lock against duplicates. */
export function jobNameFor(cronJobName: string, scheduledMs: number): string {
  return `${cronJobName}-${Math.floor(Math.floor(scheduledMs / 1000) / 60)}`;
}

/** Go's time.Format(time.RFC3339) of `ms` in `zone`: `2024-03-10T09:00:00+09:00`, or `…Z` for UTC. */
export function formatRFC3339InZone(ms: number, zone: string): string {
  const w = wallTime(ms, zone);
  const p = (n: number, l = 2) => String(n).padStart(l, '0');
  const date = `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}`;
  const off = Math.round(zoneOffset(ms, zone) / 60_000);
  if (off === 0) return `${date}Z`;
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${date}${sign}${p(Math.floor(a / 60))}:${p(a % 60)}`;
}

/** Go's time.RFC1123Z in UTC: `Mon, 02 Jan 2006 15:04:05 +0000` (the MissSchedule message). */
export function formatRFC1123Z(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
