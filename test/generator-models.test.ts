// The generator's stateless models (bursts placed by hash, jitter by hash):
// what captures/make-captures.ts builds its heartbeat streams from, so the
// capture writer and `ucprobe generate` share one set of loss models.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashedBurstIn, hashedBurstRuns, hashedJitter, inHashedBurst, StreamPlan, type HashedBursts, type LossRun } from '../src/generator/impairments.js';

const model: HashedBursts = { seed: 7, window: 600, margin: 20, lengths: [1, 1, 1, 2, 2, 3, 4, 5, 6, 1, 2, 5] };

test('hashed bursts: the plan withholds exactly the runs hashedBurstRuns lists, at most one per window, away from its edges', () => {
  const windows = 200;
  const plan = new StreamPlan(100, 1000, { hashedBursts: model }, windows * model.window);
  const withheld: number[] = [];
  for (let s = plan.next(); s; s = plan.next()) {
    if (s.withheld) {
      assert.equal(s.withheld, 'burst');
      withheld.push(s.index);
    }
    // Lost heartbeats still use up their sequence numbers.
    assert.equal(s.seq, 1000 + s.index);
  }
  const runs: LossRun[] = [];
  const it = hashedBurstRuns(model);
  for (let r = it.next().value; r && r.start < windows * model.window; r = it.next().value) runs.push(r);
  assert.deepEqual(withheld, runs.flatMap((r) => Array.from({ length: r.count }, (_, i) => r.start + i)));
  for (const r of runs) {
    const w = Math.floor(r.start / model.window);
    assert.ok(r.start - w * model.window >= model.margin && (w + 1) * model.window - r.start > model.margin, `run at ${r.start} inside its window's margins`);
    assert.deepEqual(hashedBurstIn(model, w), r);
    assert.ok(inHashedBurst(model, r.start) && inHashedBurst(model, r.start + r.count - 1) && !inHashedBurst(model, r.start + r.count));
  }
  // Half the windows hold a burst (binomial, 200 windows: 100 ± 30 is more than 4 sigma).
  assert.ok(Math.abs(runs.length - windows / 2) < 30, `${runs.length} bursts in ${windows} windows`);
});

test('hashed jitter: uniform whole units in [-max, +max], the same for the same seed and slot', () => {
  const seen = new Set<number>();
  for (let k = 0; k < 20_000; k++) {
    const j = hashedJitter(42, k, 2000);
    assert.ok(Number.isInteger(j) && j >= -2000 && j <= 2000);
    assert.equal(hashedJitter(42, k, 2000), j);
    seen.add(j);
  }
  assert.ok(seen.has(-2000) || seen.has(-1999), 'reaches the low end');
  assert.ok(seen.has(2000) || seen.has(1999), 'reaches the high end');
  assert.notEqual(hashedJitter(43, 5, 2000), hashedJitter(42, 5, 2000));
});

test('bursts at slot times and a restart: the demo capture\'s heartbeat stories in the generator\'s terms', () => {
  // Five lost from heartbeat 300 (a reset on the other side), a restart at heartbeat 450: what demo.pcap's pairs do.
  const plan = new StreamPlan(100, 119_993, { bursts: [{ count: 5, atMs: 300 * 100 }], restarts: [{ atMs: 450 * 100 }] }, 600);
  const sent: Array<[number, number]> = [];
  for (let s = plan.next(); s; s = plan.next()) if (!s.withheld) sent.push([s.index, s.seq]);
  assert.equal(sent.length, 595);
  assert.deepEqual(sent.find(([i]) => i === 299), [299, 119_993 + 299]);
  assert.deepEqual(sent.find(([i]) => i > 299), [305, 119_993 + 305]);
  assert.deepEqual(sent.find(([i]) => i === 450), [450, 0]);
  assert.deepEqual(sent[sent.length - 1], [599, 149]);
});
