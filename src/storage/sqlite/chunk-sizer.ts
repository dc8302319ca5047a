/**
 * Sizes the synchronous steps of long jobs (list chunks, compaction batches) so each takes about
 * a target time on this machine with this data: better-sqlite3 blocks the event loop for the
 * length of each step, and a fixed row count is 1 ms with small values and 50 ms with large ones.
 */
export class ChunkSizer {
  private size: number;

  constructor(
    private readonly targetMs: number,
    private readonly min: number,
    private readonly max: number,
    initial = Math.min(max, Math.max(min, 500)),
  ) {
    this.size = initial;
  }

  /** Units (rows, revisions) the next step should take. */
  get next(): number {
    return this.size;
  }

  /** Records that `units` took `ms`; steps much smaller than the current size teach nothing. */
  observe(units: number, ms: number): void {
    if (units < this.size / 2 || units === 0) return;
    const ideal = ms > 0 ? (this.targetMs * units) / ms : this.max;
    // Move halfway, so one slow step (a GC pause, a cold cache) does not swing the size.
    this.size = Math.round(Math.min(this.max, Math.max(this.min, (this.size + ideal) / 2)));
  }
}
