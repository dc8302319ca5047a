import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactionPolicy } from './compaction-policy.js';

describe('CompactionPolicy', () => {
  const opts = { retentionMs: 300_000, minRetainRevisions: 100, maxRetainRevisions: 10_000 };

  it('keeps the retention window: compacts to the revision seen just before it began', () => {
    const p = new CompactionPolicy(opts);
    p.observe(0, 1000);
    p.observe(60_000, 2000);
    p.observe(120_000, 3000);
    assert.equal(p.target(200_000, 3500), 0, 'nothing is older than five minutes yet');
    assert.equal(p.target(360_000, 5000), 2000, 'revisions up to 2000 were all written by t=60s');
    assert.equal(p.target(420_000, 5000), 3000);
  });

  it('never keeps more than maxRetainRevisions, nor fewer than minRetainRevisions', () => {
    const p = new CompactionPolicy(opts);
    p.observe(0, 0);
    assert.equal(p.target(1000, 50_000), 40_000, 'heavy churn inside the window is capped');
    const quiet = new CompactionPolicy(opts);
    quiet.observe(0, 1050);
    assert.equal(quiet.target(1_000_000, 1050), 950, 'a quiet store keeps its newest 100 revisions');
    assert.equal(new CompactionPolicy(opts).target(0, 50), 0);
  });

  it('never compacts past a pinned revision', () => {
    const p = new CompactionPolicy(opts);
    p.observe(0, 5000);
    assert.equal(p.target(1_000_000, 6000, 4000), 4000);
  });

  it('rejects inconsistent bounds', () => {
    assert.throws(() => new CompactionPolicy({ ...opts, maxRetainRevisions: 10 }), /min 100 must be >= 0 and <= max 10/);
  });
});
