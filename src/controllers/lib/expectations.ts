/**
 * Controller expectations (Kubernetes' ControllerExpectations): after issuing N creates and M
 * deletes for an owner, a controller does not act on that owner again until its informers have
 * shown those N adds and M deletes (or a TTL passes), so a lagging cache cannot cause duplicate
 * pods. Failed writes lower the expectations themselves.
 */
import type { Clock } from '../../client/clock.js';
import { realClock } from '../../client/clock.js';

/** Kubernetes' ExpectationsTimeout: after this, unmet expectations are considered stale. */
export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Record {
  add: number;
  del: number;
  at: number;
  /** UIDs of pods we expect to see deleted (UIDTrackingControllerExpectations). */
  deleting: Set<string>;
}

export class Expectations {
  private readonly records = new Map<string, Record>();

  constructor(private readonly clock: Clock = realClock) {}

  /** True when the controller may act on `key`: nothing outstanding, or the record is stale. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.at > EXPECTATIONS_TTL_MS;
  }

  /** Records that `adds` creations and `dels` deletions are about to be issued. */
  expect(key: string, adds: number, dels: number, deletingUids: Iterable<string> = []): void {
    this.records.set(key, { add: adds, del: dels, at: this.clock.now(), deleting: new Set(deletingUids) });
  }

  /** An add was observed (or a create failed and will not be observed). */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  /** A delete was observed (or failed). With a UID, only counts if that pod was expected. */
  deletionObserved(key: string, uid?: string): void {
    const r = this.records.get(key);
    if (!r) return;
    if (uid !== undefined && r.deleting.size > 0) {
      if (!r.deleting.delete(uid)) return;
    }
    r.del--;
  }

  /** Forgets an owner (it was deleted). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** Raises expected adds by `n` (used when creating in several batches). */
  raise(key: string, adds: number, dels: number): void {
    const r = this.records.get(key);
    if (!r) return this.expect(key, adds, dels);
    r.add += adds;
    r.del += dels;
    r.at = this.clock.now();
  }

  /** Lowers expected adds/dels by `n` (writes that were skipped). */
  lower(key: string, adds: number, dels: number): void {
    const r = this.records.get(key);
    if (!r) return;
    r.add -= adds;
    r.del -= dels;
  }
}
