/**
 * A DaemonSet rolling update's budgets (util.SurgeCount / UnavailableCount): `maxSurge` and
 * `maxUnavailable` as absolute numbers or percentages of the nodes that should run the pod,
 * percentages rounded up.
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';

type IntOrString = number | string;

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer as is; `"N%"` of `total`, rounded up or down.
 * Throws for a string that is not a percentage (the API server rejects those, so only a corrupt
 * object gets here).
 */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m) {
    if (/^-?\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

/** Extra pods allowed during an update (0 unless RollingUpdate with maxSurge). */
export function surgeCount(ds: DaemonSet, numberToSchedule: number): number {
  const strategy = ds.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate' || !strategy?.rollingUpdate) return 0;
  return scaledValue(strategy.rollingUpdate.maxSurge as IntOrString | undefined, numberToSchedule, true);
}

/** Nodes allowed to be without an available pod during an update. */
export function unavailableCount(ds: DaemonSet, numberToSchedule: number): number {
  const strategy = ds.spec?.updateStrategy;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate' || !strategy?.rollingUpdate) return 0;
  return scaledValue(strategy.rollingUpdate.maxUnavailable as IntOrString | undefined, numberToSchedule, true);
}

/** Whether the update surges (a new pod starts beside the old one): maxSurge > 0 for one node. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) > 0;
  } catch {
    return false;
  }
}
