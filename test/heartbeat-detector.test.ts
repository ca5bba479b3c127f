// The five-miss model on scripted captures: each pattern is written as a pcap
// by the project's writer, analyzed through analyzeFile, and the report is
// checked against what the pattern says happened, to the microsecond.
//
// Defaults: a heartbeat every 100 ms, first miss 100 ms after the last one
// heard, one more every 100 ms, 50 ms grace, failover at the 5th miss (last
// heard + 500 ms).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFile } from '../src/analysis/analyze.js';
import type { HeartbeatReport } from '../src/heartbeat/analyzer.js';
import { HeartbeatDetector, type StreamReport } from '../src/heartbeat/detector.js';
import { compareEvents, type FailoverEvent, type HeartbeatEvent } from '../src/heartbeat/events.js';
import { linkResets } from '../src/heartbeat/resets.js';
import { pairKeyOf } from '../src/pipeline/flow-key.js';
import type { DetectorParams } from '../src/heartbeat/params.js';
import { REPO, hasTshark, runCli, tshark } from './helpers.js';
import {
  MS,
  Prng,
  T0_US,
  droppedRuns,
  expandPattern,
  patternDir,
  sec,
  streamKey,
  writePatternCapture,
  type ExpandedPattern,
  type Pattern,
  type StreamPattern,
} from './heartbeat-patterns.js';

const dir = patternDir();
after(dir.cleanup);

const A = '10.1.0.1';
const B = '10.1.0.2';
const C = '10.1.0.3';
const D = '10.1.0.4';
const HB_A = 39500;
const HB_B = 39501;

/** A→B on the heartbeat ports, 100 ms apart from the capture start, sequence from 1000. */
function ab(over: Partial<StreamPattern> & { count: number }): StreamPattern {
  return { src: A, dst: B, sport: HB_A, dport: HB_B, startSeq: 1000, ...over };
}
function ba(over: Partial<StreamPattern> & { count: number }): StreamPattern {
  return { src: B, dst: A, sport: HB_B, dport: HB_A, startSeq: 1000, startMs: 50, ...over };
}
const AB = streamKey(A, HB_A, B, HB_B);
const BA = streamKey(B, HB_B, A, HB_A);

let n = 0;
async function analyze(pattern: Pattern, params: Partial<DetectorParams> = {}): Promise<{ x: ExpandedPattern; hb: HeartbeatReport; file: string }> {
  const file = dir.file(`p${++n}.pcap`);
  const x = writePatternCapture(file, pattern);
  const report = await analyzeFile(file, {}, params);
  assert.equal(report.error, null);
  return { x, hb: report.heartbeats, file };
}

function stream(hb: HeartbeatReport, key: string): StreamReport {
  const s = hb.streams.find((x) => x.key === key);
  assert.ok(s, `no stream ${key} in ${hb.streams.map((x) => x.key).join(', ')}`);
  return s;
}

function eventsOf(hb: HeartbeatReport, key: string): HeartbeatEvent[] {
  return hb.events.filter((e) => e.stream === key);
}

/** The counters of a stream report, for one deepEqual. */
function counters(s: StreamReport): Pick<StreamReport, 'received' | 'lost' | 'lossRuns' | 'longestMissRun' | 'duplicates' | 'reordered' | 'restarts' | 'failovers'> {
  const { received, lost, lossRuns, longestMissRun, duplicates, reordered, restarts, failovers } = s;
  return { received, lost, lossRuns, longestMissRun, duplicates, reordered, restarts, failovers };
}

function counts(received: number, more: Partial<ReturnType<typeof counters>> = {}): ReturnType<typeof counters> {
  return { received, lost: 0, lossRuns: 0, longestMissRun: 0, duplicates: 0, reordered: 0, restarts: 0, failovers: 0, ...more };
}

/** The events a run of `lost` heartbeats after index `k` of a regular stream gives. */
function lossRunEvents(x: ExpandedPattern, s: number, k: number, lost: number): HeartbeatEvent[] {
  const st = x.streams[s];
  const L = st.times[k];
  const R = st.times[k + lost + 1];
  const key = st.id.key;
  const misses = Math.max(lost, missesFor(R - L));
  const out: HeartbeatEvent[] = [
    { type: 'loss', time: sec(L + 100 * MS), stream: key, afterSeq: st.seqs[k], nextSeq: st.seqs[k + lost + 1], lost, misses, lastHeard: sec(L), resumed: sec(R) },
  ];
  if (misses >= 5) {
    out.push(
      { type: 'failover', time: sec(L + 500 * MS), stream: key, noticedBy: st.id.dst, peer: st.id.src, lastHeard: sec(L), lastSeq: st.seqs[k], reset: null },
      { type: 'recovery', time: sec(R), stream: key, seq: st.seqs[k + lost + 1], downMs: (R - L - 500 * MS) / 1000 },
    );
  }
  return out;
}

/** Misses for a silence of `us` microseconds, straight from the model (defaults). */
function missesFor(us: number): number {
  const over = us - 100 * MS - 50 * MS;
  return over < 0 ? 0 : Math.floor(over / (100 * MS)) + 1;
}

const sortEvents = (es: HeartbeatEvent[]): HeartbeatEvent[] => JSON.parse(JSON.stringify([...es].sort(compareEvents))) as HeartbeatEvent[];

// ---------------------------------------------------------------------------

describe('consecutive losses on one stream', () => {
  test('no loss: no events, nominal intervals', async () => {
    const { hb } = await analyze({ streams: [ab({ count: 60 })] });
    const s = stream(hb, AB);
    assert.deepEqual(counters(s), counts(60));
    assert.deepEqual(hb.events, []);
    assert.equal(s.firstSeq, 1000);
    assert.equal(s.lastSeq, 1059);
    assert.equal(s.firstTime, sec(T0_US));
    assert.equal(s.lastTime, sec(T0_US + 5900 * MS));
    assert.deepEqual(s.intervalMs, { min: 100, p50: 100, p99: 100, max: 100 });
    assert.deepEqual(s.jitterMs, { mean: 0, max: 0 });
    assert.deepEqual({ ...hb.totals }, { streams: 1, lost: 0, failovers: 0, failoversWithoutReset: 0, resets: 0, unexplainedResets: 0, restarts: 0, droppedEvents: 0, untrackedStreams: 0, untrackedHeartbeats: 0 });
  });

  for (const lost of [1, 4, 5, 6, 50]) {
    test(`${lost} consecutive lost: ${lost >= 5 ? 'one failover at last heard + 500 ms' : 'loss only, no failover'}`, async () => {
      const count = lost + 60;
      const { x, hb } = await analyze({ streams: [ab({ count, drop: [[20, 19 + lost]] })] });
      const s = stream(hb, AB);
      const failovers = lost >= 5 ? 1 : 0;
      assert.deepEqual(counters(s), counts(count - lost, { lost, lossRuns: 1, longestMissRun: lost, failovers }));
      assert.deepEqual(hb.events, lossRunEvents(x, 0, 19, lost));
      const loss = hb.events[0];
      assert.equal(loss.type === 'loss' && loss.misses, lost);
      if (lost >= 5) {
        const f = hb.events.find((e): e is FailoverEvent => e.type === 'failover')!;
        assert.equal(f.time, sec(T0_US + 1900 * MS + 500 * MS));
        assert.equal(f.noticedBy, B);
        assert.equal(f.reset, null);
        const r = hb.events.find((e) => e.type === 'recovery')!;
        assert.equal(r.time, sec(T0_US + (20 + lost) * 100 * MS));
      }
      // p50 is a histogram bin's middle (documented: under 0.03 % off); min and max are exact.
      assert.ok(Math.abs(s.intervalMs!.p50 - 100) <= 0.03, `p50 ${s.intervalMs!.p50}`);
      assert.equal(s.intervalMs?.min, 100);
      assert.equal(s.intervalMs?.max, (lost + 1) * 100);
      assert.equal(hb.totals.lost, lost);
      assert.equal(hb.totals.failovers, failovers);
      assert.equal(hb.totals.failoversWithoutReset, failovers);
    });
  }

  test('random loss (seeded): lost = dropped, failovers = dropped runs of 5 or more', async () => {
    for (const seed of [7, 42, 20260302]) {
      const rng = new Prng(seed);
      const count = 1500;
      const drop = new Set<number>();
      for (let i = 1; i < count - 20; i++) {
        const r = rng.next();
        if (r < 0.012) {
          const len = rng.int(2, 12);
          for (let j = i; j < i + len; j++) drop.add(j);
          i += len;
        } else if (r < 0.06) drop.add(i);
      }
      const { x, hb } = await analyze({ streams: [ab({ count, drop: [...drop] })] });
      const s = stream(hb, AB);
      const runs = droppedRuns(drop);
      const long = runs.filter(([, len]) => len >= 5);
      assert.ok(long.length >= 3 && runs.length > long.length, `seed ${seed}: a pattern worth testing (${long.length} long of ${runs.length})`);
      assert.equal(s.lost, drop.size, `seed ${seed}`);
      assert.equal(s.received, count - drop.size);
      assert.equal(s.lossRuns, runs.length);
      assert.equal(s.longestMissRun, Math.max(...runs.map(([, len]) => len)));
      assert.equal(s.failovers, long.length);
      assert.equal(hb.totals.failovers, long.length);
      assert.deepEqual(hb.events, sortEvents(runs.flatMap(([first, len]) => lossRunEvents(x, 0, first - 1, len))), `seed ${seed}`);
    }
  });
});

describe('deadlines to the microsecond', () => {
  // Start offsets chosen so the float difference of two timestamps falls on both sides of the exact value.
  const offsets = [0, 1.001, 2.003, 3.007, 5.011, 7.013, 11.017, 13.019, 17.023, 19.029];

  test('silence of exactly the 5th deadline + grace (550 ms) fails over at every epoch; 549.999 ms does not', async () => {
    for (const startMs of offsets) {
      for (const [extraMs, failover] of [[50, true], [49.999, false]] as const) {
        // 4 lost, and the 5th heartbeat late by extraMs: silence 500 + extraMs.
        const { x, hb } = await analyze({ streams: [ab({ count: 40, startMs, drop: [[20, 23]], delay: [[24, extraMs]] })] });
        const st = x.streams[0];
        const L = st.times[19];
        const R = L + Math.round((500 + extraMs) * MS);
        const s = stream(hb, AB);
        assert.deepEqual(counters(s), counts(36, { lost: 4, lossRuns: 1, longestMissRun: failover ? 5 : 4, failovers: failover ? 1 : 0 }), `start ${startMs} ms, +${extraMs}`);
        const loss = hb.events.find((e) => e.type === 'loss');
        assert.deepEqual(loss, { type: 'loss', time: sec(L + 100 * MS), stream: AB, afterSeq: 1019, nextSeq: 1024, lost: 4, misses: failover ? 5 : 4, lastHeard: sec(L), resumed: sec(R) });
        if (failover) assert.equal(hb.events.find((e) => e.type === 'failover')?.time, sec(L + 500 * MS));
      }
    }
  });

  test('silence to the end of exactly the 20th deadline + grace counts 20 misses at every epoch', async () => {
    for (const startMs of offsets) {
      const { x, hb } = await analyze({ streams: [ab({ count: 30, startMs }), ba({ count: 50, startMs: startMs + 50 })] });
      const L = x.streams[0].times[29];
      assert.equal(x.endUs - L, 2050 * MS);
      const loss = eventsOf(hb, AB).find((e) => e.type === 'loss');
      assert.equal(loss?.type === 'loss' && loss.misses, 20, `start ${startMs} ms`);
    }
  });
});

describe('sequence numbers', () => {
  const restartCase = (pauseMs: number) => ab({ count: 100, startSeq: 5000, restart: { at: 50, pauseMs } });

  test('restart without a pause: restart event, nothing lost', async () => {
    const { x, hb } = await analyze({ streams: [restartCase(0)] });
    const s = stream(hb, AB);
    assert.deepEqual(counters(s), counts(100, { restarts: 1 }));
    assert.deepEqual(hb.events, [{ type: 'restart', time: sec(x.streams[0].times[50]), stream: AB, fromSeq: 5049, toSeq: 0, nearZero: true }]);
    assert.equal(s.firstSeq, 5000);
    assert.equal(s.lastSeq, 49);
    assert.equal(hb.totals.restarts, 1);
  });

  for (const pauseMs of [300, 400, 500, 1000]) {
    const silence = pauseMs + 100;
    const misses = missesFor(silence * MS);
    test(`restart after ${silence} ms of silence: ${misses} misses, nothing lost from the sequence, ${misses >= 5 ? 'failover' : 'no failover'}`, async () => {
      const { x, hb } = await analyze({ streams: [restartCase(pauseMs)] });
      const s = stream(hb, AB);
      const L = x.streams[0].times[49];
      const R = x.streams[0].times[50];
      assert.equal(R - L, silence * MS);
      assert.deepEqual(counters(s), counts(100, { restarts: 1, lossRuns: 1, longestMissRun: misses, failovers: misses >= 5 ? 1 : 0 }));
      const expected: HeartbeatEvent[] = [
        { type: 'restart', time: sec(R), stream: AB, fromSeq: 5049, toSeq: 0, nearZero: true },
        { type: 'loss', time: sec(L + 100 * MS), stream: AB, afterSeq: 5049, nextSeq: 0, lost: 0, misses, lastHeard: sec(L), resumed: sec(R) },
      ];
      if (misses >= 5) {
        expected.push(
          { type: 'failover', time: sec(L + 500 * MS), stream: AB, noticedBy: B, peer: A, lastHeard: sec(L), lastSeq: 5049, reset: null },
          { type: 'recovery', time: sec(R), stream: AB, seq: 0, downMs: silence - 500 },
        );
      }
      assert.deepEqual(hb.events, sortEvents(expected));
      assert.equal(hb.totals.lost, 0);
    });
  }

  test('restart soon after the stream began (29 → 0, within 64 of it): still a restart', async () => {
    const { x, hb } = await analyze({ streams: [ab({ count: 60, startSeq: 0, restart: { at: 30, pauseMs: 1000 } })] });
    const s = stream(hb, AB);
    assert.equal(s.restarts, 1);
    assert.equal(s.lost, 0);
    assert.equal(s.duplicates, 0);
    assert.deepEqual(hb.events.find((e) => e.type === 'restart'), { type: 'restart', time: sec(x.streams[0].times[30]), stream: AB, fromSeq: 29, toSeq: 0, nearZero: true });
  });

  test('a counter that jumps forward: the skipped numbers are lost, 6 of them fail over though no deadline passed', async () => {
    // Heartbeat 30 carries 1036 instead of 1030, on time.
    const { x, hb } = await analyze({ streams: [ab({ count: 60, restart: { at: 30, pauseMs: 0, toSeq: 1036 } })] });
    const st = x.streams[0];
    const L = st.times[29];
    const R = st.times[30];
    assert.deepEqual(counters(stream(hb, AB)), counts(60, { lost: 6, lossRuns: 1, longestMissRun: 6, failovers: 1 }));
    // The recovery never comes before its failover: both at the fifth deadline, 0 ms down.
    assert.deepEqual(hb.events.map((e) => [e.type, e.time]), [['loss', sec(L + 100 * MS)], ['failover', sec(L + 500 * MS)], ['recovery', sec(L + 500 * MS)]]);
    const recovery = hb.events.find((e) => e.type === 'recovery');
    assert.equal(recovery?.type === 'recovery' ? recovery.downMs : null, 0);
    assert.deepEqual(hb.events[0], { type: 'loss', time: sec(L + 100 * MS), stream: AB, afterSeq: 1029, nextSeq: 1036, lost: 6, misses: 6, lastHeard: sec(L), resumed: sec(R) });
  });

  for (const byteOrder of ['le', 'be'] as const) {
    test(`wrap at 2^32 (${byteOrder}): continuity, no loss, no restart`, async () => {
      const { hb } = await analyze({ streams: [ab({ count: 40, startSeq: 0xfffffff0, byteOrder })] });
      const s = stream(hb, AB);
      assert.deepEqual(counters(s), counts(40));
      assert.equal(s.byteOrder, byteOrder);
      assert.equal(s.firstSeq, 0xfffffff0);
      assert.equal(s.lastSeq, 23);
      assert.deepEqual(hb.events, []);
    });
  }

  test('wrap with a loss across it: the gap is counted through 0', async () => {
    // Seqs 0xfffffffe, 0xffffffff, 0 and 1 (indices 14..17) lost.
    const { x, hb } = await analyze({ streams: [ab({ count: 40, startSeq: 0xfffffff0, drop: [[14, 17]] })] });
    assert.deepEqual(counters(stream(hb, AB)), counts(36, { lost: 4, lossRuns: 1, longestMissRun: 4 }));
    assert.deepEqual(hb.events, lossRunEvents(x, 0, 13, 4));
  });

  test('reorder: two adjacent heartbeats swapped are one reordered, nothing lost, no event', async () => {
    const { hb } = await analyze({ streams: [ab({ count: 60, swap: [20] })] });
    const s = stream(hb, AB);
    assert.deepEqual(counters(s), counts(60, { reordered: 1 }));
    assert.deepEqual(hb.events, []);
    assert.equal(s.lastSeq, 1059);
    assert.equal(s.intervalMs?.max, 100);
  });

  test('a heartbeat 700 ms late fills its gap: nothing lost, the 200 ms silence before it is one miss', async () => {
    const { x, hb } = await analyze({ streams: [ab({ count: 60, startSeq: 5000, delay: [[20, 700]] })] });
    const st = x.streams[0];
    assert.deepEqual(counters(stream(hb, AB)), counts(60, { reordered: 1, lossRuns: 1, longestMissRun: 1 }));
    assert.deepEqual(hb.events, [{ type: 'loss', time: sec(st.times[19] + 100 * MS), stream: AB, afterSeq: 5019, nextSeq: 5021, lost: 0, misses: 1, lastHeard: sec(st.times[19]), resumed: sec(st.times[21]) }]);
  });

  test('a heartbeat 1.5 s late (past the reorder window): reordered, its loss stands, no restart', async () => {
    const { x, hb } = await analyze({ streams: [ab({ count: 60, startSeq: 5000, delay: [[20, 1500]] })] });
    const st = x.streams[0];
    assert.deepEqual(counters(stream(hb, AB)), counts(60, { lost: 1, reordered: 1, lossRuns: 1, longestMissRun: 1 }));
    assert.deepEqual(hb.events, [{ type: 'loss', time: sec(st.times[19] + 100 * MS), stream: AB, afterSeq: 5019, nextSeq: 5021, lost: 1, misses: 1, lastHeard: sec(st.times[19]), resumed: sec(st.times[21]) }]);
    assert.equal(hb.totals.restarts, 0);
  });

  test('six heartbeats held back and delivered in a burst 1 s later: the silence failed over, nothing lost', async () => {
    // 20..25 all arrive at 3.45 s, after 26..34; 26 came at 2.6 s after 700 ms of silence.
    const delay = [20, 21, 22, 23, 24, 25].map((i) => [i, 3450 - i * 100] as const);
    const { x, hb } = await analyze({ streams: [ab({ count: 60, startSeq: 5000, delay })] });
    const st = x.streams[0];
    const L = st.times[19];
    const R = st.times[26];
    assert.deepEqual(counters(stream(hb, AB)), counts(60, { reordered: 6, lossRuns: 1, longestMissRun: 6, failovers: 1 }));
    assert.deepEqual(hb.events, [
      { type: 'loss', time: sec(L + 100 * MS), stream: AB, afterSeq: 5019, nextSeq: 5026, lost: 0, misses: 6, lastHeard: sec(L), resumed: sec(R) },
      { type: 'failover', time: sec(L + 500 * MS), stream: AB, noticedBy: B, peer: A, lastHeard: sec(L), lastSeq: 5019, reset: null },
      { type: 'recovery', time: sec(R), stream: AB, seq: 5026, downMs: 200 },
    ]);
  });

  test('duplicates: counted, nothing lost, no event', async () => {
    const { hb } = await analyze({
      streams: [
        ab({ count: 60, duplicate: [10, 30] }),
        // The copy arrives after the next heartbeat: a late duplicate.
        ba({ count: 60, duplicate: [25], duplicateDelayMs: 150 }),
      ],
    });
    assert.deepEqual(counters(stream(hb, AB)), counts(62, { duplicates: 2 }));
    assert.deepEqual(counters(stream(hb, BA)), counts(61, { duplicates: 1 }));
    assert.deepEqual(hb.events, []);
  });
});

describe('silence, pairs and resets', () => {
  test('silence to the end of the file: an open loss run and a failover at stop + 500 ms', async () => {
    // A→B stops at 2.9 s, B→A goes on to 4.95 s: 2.05 s of silence at the end.
    const { x, hb } = await analyze({ streams: [ab({ count: 30 }), ba({ count: 50 })] });
    const L = x.streams[0].times[29];
    assert.equal(x.endUs - L, 2050 * MS);
    const misses = missesFor(x.endUs - L);
    assert.equal(misses, 20);
    assert.deepEqual(eventsOf(hb, AB), [
      { type: 'loss', time: sec(L + 100 * MS), stream: AB, afterSeq: 1029, nextSeq: null, lost: null, misses, lastHeard: sec(L), resumed: null },
      { type: 'failover', time: sec(L + 500 * MS), stream: AB, noticedBy: B, peer: A, lastHeard: sec(L), lastSeq: 1029, reset: null },
    ]);
    assert.deepEqual(counters(stream(hb, AB)), counts(30, { lossRuns: 1, longestMissRun: 20, failovers: 1 }));
    assert.deepEqual(counters(stream(hb, BA)), counts(50));
    assert.deepEqual(eventsOf(hb, BA), []);
    const [p] = hb.pairs;
    assert.equal(p.asymmetric, true);
    assert.equal(p.lossIn, 'a->b');
  });

  test('silence to the end, exactly 2 s: 19 misses (the 20th deadline is still within its grace)', async () => {
    const { x, hb } = await analyze({ streams: [ab({ count: 30 }), ba({ count: 50, startMs: 0 })] });
    const L = x.streams[0].times[29];
    assert.equal(x.endUs - L, 2000 * MS);
    const loss = eventsOf(hb, AB).find((e) => e.type === 'loss');
    assert.equal(loss?.type === 'loss' && loss.misses, 19);
    assert.equal(hb.totals.failovers, 1);
  });

  test('the only stream falls silent: the failover is found at the end of the file, not by another stream\'s clock', async () => {
    // Nothing but a non-heartbeat datagram after A→B stops at 2.9 s; the capture ends 2 s later.
    const { x, hb } = await analyze({ streams: [ab({ count: 30 })], endMs: 4900 });
    const L = x.streams[0].times[29];
    assert.equal(x.endUs - L, 2000 * MS);
    assert.deepEqual(hb.events, [
      { type: 'loss', time: sec(L + 100 * MS), stream: AB, afterSeq: 1029, nextSeq: null, lost: null, misses: 19, lastHeard: sec(L), resumed: null },
      { type: 'failover', time: sec(L + 500 * MS), stream: AB, noticedBy: B, peer: A, lastHeard: sec(L), lastSeq: 1029, reset: null },
    ]);
    assert.equal(hb.pairs[0].bToA, null);
    assert.equal(hb.pairs[0].asymmetric, false);
    assert.equal(hb.pairs[0].lossIn, 'a->b');
  });

  test('asymmetric loss: the pair says which direction missed heartbeats', async () => {
    const { hb } = await analyze({
      streams: [
        ab({ count: 60, drop: [[20, 22]] }),
        ba({ count: 60 }),
        // C↔D: loss in the second-seen direction only.
        { src: C, dst: D, sport: 39600, dport: 39601, count: 60, startMs: 20 },
        { src: D, dst: C, sport: 39601, dport: 39600, count: 60, startMs: 70, drop: [40] },
      ],
    });
    assert.equal(hb.pairs.length, 2);
    const ab_ = hb.pairs.find((p) => p.a === A)!;
    assert.deepEqual(ab_, {
      a: A, b: B,
      aToB: { stream: AB, received: 57, lost: 3, longestMissRun: 3, failovers: 0 },
      bToA: { stream: BA, received: 60, lost: 0, longestMissRun: 0, failovers: 0 },
      resets: 0, unexplainedResets: 0, asymmetric: true, lossIn: 'a->b',
    });
    const cd = hb.pairs.find((p) => p.a === C)!;
    assert.equal(cd.b, D);
    assert.equal(cd.asymmetric, true);
    assert.equal(cd.lossIn, 'b->a');
    assert.equal(cd.bToA?.lost, 1);
  });

  test('loss in both directions: not asymmetric', async () => {
    const { hb } = await analyze({ streams: [ab({ count: 60, drop: [10] }), ba({ count: 60, drop: [30, 31] })] });
    assert.equal(hb.pairs.length, 1);
    assert.equal(hb.pairs[0].asymmetric, false);
    assert.equal(hb.pairs[0].lossIn, 'both');
  });

  test('a failover followed 30 ms later by a RST from the receiver: tied to it', async () => {
    // Last heard at 1.9 s, failover at 2.4 s, B resets its connection to A at 2.43 s.
    const { hb } = await analyze({
      streams: [ab({ count: 60, drop: [[20, 29]] }), ba({ count: 60 })],
      resets: [{ atMs: 2430, src: B, sport: 45000, dst: A, dport: 5001 }],
    });
    const link = { time: sec(T0_US + 2430 * MS), src: B, sport: 45000, dst: A, dport: 5001 };
    const f = hb.events.find((e): e is FailoverEvent => e.type === 'failover')!;
    assert.equal(f.time, sec(T0_US + 2400 * MS));
    assert.deepEqual(f.reset, { ...link, delayMs: 30 });
    assert.deepEqual(hb.events.find((e) => e.type === 'reset'), { type: 'reset', ...link, stream: AB, failoverTime: sec(T0_US + 2400 * MS), delayMs: 30 });
    assert.deepEqual(hb.events.map((e) => e.type), ['loss', 'failover', 'reset', 'recovery']);
    assert.equal(hb.totals.resets, 1);
    assert.equal(hb.totals.unexplainedResets, 0);
    assert.equal(hb.totals.failoversWithoutReset, 0);
    assert.equal(hb.pairs[0].resets, 1);
  });

  test('a RST with no failover: unexplained-reset, counted; a RST between non-peers is ignored', async () => {
    const { hb } = await analyze({
      streams: [ab({ count: 60 }), ba({ count: 60 })],
      resets: [
        { atMs: 3000, src: A, sport: 5001, dst: B, dport: 45000 },
        { atMs: 3100, src: A, sport: 5002, dst: C, dport: 45000 },
      ],
    });
    assert.deepEqual(hb.events, [
      { type: 'unexplained-reset', time: sec(T0_US + 3000 * MS), src: A, sport: 5001, dst: B, dport: 45000, stream: null, failoverTime: null, delayMs: null },
    ]);
    assert.equal(hb.totals.unexplainedResets, 1);
    assert.equal(hb.totals.resets, 0);
    assert.equal(hb.pairs[0].unexplainedResets, 1);
    assert.equal(hb.pairs[0].resets, 0);
  });
});

describe('the 4/5 boundary under ±20 ms jitter, both byte orders', () => {
  for (const seed of [1, 2, 3, 99, 12345]) {
    test(`seed ${seed}: 4 lost → no failover, 5 lost → failover`, async () => {
      const jit = { jitterMs: 20, startSeq: 70000, count: 80 };
      const { x, hb } = await analyze({
        streams: [
          { src: A, dst: B, sport: HB_A, dport: HB_B, byteOrder: 'le', drop: [[20, 23]], seed: seed * 4 + 0, ...jit },
          { src: B, dst: A, sport: HB_B, dport: HB_A, byteOrder: 'le', drop: [[30, 34]], seed: seed * 4 + 1, startMs: 50, ...jit },
          { src: C, dst: D, sport: 39600, dport: 39601, byteOrder: 'be', drop: [[20, 23]], seed: seed * 4 + 2, startMs: 20, ...jit },
          { src: D, dst: C, sport: 39601, dport: 39600, byteOrder: 'be', drop: [[30, 34]], seed: seed * 4 + 3, startMs: 70, ...jit },
        ],
      });
      x.streams.forEach((st, i) => {
        const s = stream(hb, st.id.key);
        const lost = i % 2 === 0 ? 4 : 5;
        const k = i % 2 === 0 ? 19 : 29;
        assert.equal(s.byteOrder, st.byteOrder);
        assert.equal(s.firstSeq, 70000);
        assert.equal(s.lastSeq, 70079);
        assert.deepEqual(counters(s), counts(80 - lost, { lost, lossRuns: 1, longestMissRun: lost, failovers: lost === 5 ? 1 : 0 }), st.id.key);
        const L = st.times[k];
        const R = st.times[k + lost + 1];
        const expected: HeartbeatEvent[] = [
          { type: 'loss', time: sec(L + 100 * MS), stream: st.id.key, afterSeq: 70000 + k, nextSeq: 70001 + k + lost, lost, misses: lost, lastHeard: sec(L), resumed: sec(R) },
        ];
        if (lost === 5) {
          expected.push(
            { type: 'failover', time: sec(L + 500 * MS), stream: st.id.key, noticedBy: st.id.dst, peer: st.id.src, lastHeard: sec(L), lastSeq: 70000 + k, reset: null },
            { type: 'recovery', time: sec(R), stream: st.id.key, seq: 70001 + k + lost, downMs: (R - L - 500 * MS) / 1000 },
          );
        }
        assert.deepEqual(eventsOf(hb, st.id.key), expected, st.id.key);
        assert.ok(s.jitterMs !== null && s.jitterMs.max <= 40 && s.jitterMs.max > 0);
      });
      assert.equal(hb.totals.failovers, 2);
    });
  }
});

// ---------------------------------------------------------------------------
// One richer pattern for the live-mode, CLI and tshark checks.

const MIXED: Pattern = {
  streams: [
    // Loss runs of 3, 5 and 7, a swap, a duplicate, then a restart after 700 ms more silence.
    ab({ count: 200, drop: [[10, 12], [40, 44], [80, 86]], swap: [100], duplicate: [110], restart: { at: 150, pauseMs: 700 } }),
    // Jittered, with scattered single losses and one burst that arrives... never.
    ba({ count: 220, jitterMs: 15, seed: 5, drop: [17, 60, 61, [120, 125]] }),
    // Stops early: silent to the end.
    { src: C, dst: D, sport: 39600, dport: 39601, count: 90, startMs: 30, byteOrder: 'be', startSeq: 70000 },
    // One heartbeat 1.5 s late.
    { src: D, dst: C, sport: 39601, dport: 39600, count: 215, startMs: 80, byteOrder: 'be', startSeq: 1900, delay: [[30, 1500]] },
  ],
  resets: [
    // B's reaction to the 7-run on A→B (last heard 7.9 s, failover 8.4 s).
    { atMs: 8430, src: B, sport: 45000, dst: A, dport: 5001 },
    // Nothing to explain this one.
    { atMs: 18000, src: C, sport: 5002, dst: D, dport: 45001 },
  ],
};

describe('one detector, offline and live', () => {
  test('live mode with a fake clock gives the same events as analyzeFile', async () => {
    const { x, hb } = await analyze(MIXED);
    assert.ok(hb.totals.failovers >= 4, `a pattern worth comparing: ${hb.totals.failovers} failovers`);
    assert.deepEqual(hb.events.filter((e) => e.type === 'restart').length, 1);

    const live: HeartbeatEvent[] = [];
    const det = new HeartbeatDetector({}, (e) => live.push(e));
    const TICK_US = 10 * MS;
    let tickUs = T0_US;
    for (const a of x.arrivals) {
      for (; tickUs < a.us; tickUs += TICK_US) det.tick(sec(tickUs));
      det.heartbeat(a.id, a.seq, a.byteOrder, a.time);
    }
    for (; tickUs < x.endUs; tickUs += TICK_US) det.tick(sec(tickUs));
    det.finish(x.end);
    assert.deepEqual(sortEvents(live), sortEvents(det.eventList()), 'the listener saw every event');

    const failovers = live.filter((e): e is FailoverEvent => e.type === 'failover');
    const peers = new Set(det.streamReports().map((s) => pairKeyOf(s.src, s.dst)));
    const resets = linkResets(failovers, x.resets, peers, det.params);
    assert.deepEqual(sortEvents([...live, ...resets]), sortEvents(hb.events));
    assert.deepEqual(JSON.parse(JSON.stringify(det.streamReports())), JSON.parse(JSON.stringify(hb.streams)));
  });

  test('the pattern arrivals fed straight to a detector match the capture', () => {
    // The generator's promise: the arrivals are the file's heartbeats, timestamps and all.
    const x = expandPattern(MIXED);
    const det = new HeartbeatDetector();
    for (const a of x.arrivals) det.heartbeat(a.id, a.seq, a.byteOrder, a.time);
    det.finish(x.end);
    const byKey = new Map(det.streamReports().map((s) => [s.key, s]));
    x.streams.forEach((st) => assert.equal(byKey.get(st.id.key)?.received, st.captured));
  });
});

describe('through other readers', () => {
  const built = existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'));
  test('ucprobe analyze --json lists the heartbeat event types', { skip: built ? false : 'not built: npm run build' }, () => {
    const file = dir.file('cli.pcap');
    writePatternCapture(file, {
      streams: [ab({ count: 60, drop: [[20, 29]] }), ba({ count: 60 })],
      resets: [{ atMs: 2430, src: B, sport: 45000, dst: A, dport: 5001 }],
    });
    const r = runCli(['analyze', '--json', file]);
    assert.equal(r.status, 0, r.stderr);
    const events = (JSON.parse(r.stdout) as { files: Array<{ heartbeats: HeartbeatReport }> }).files[0].heartbeats.events;
    assert.deepEqual(events.map((e) => e.type), ['loss', 'failover', 'reset', 'recovery']);
    assert.equal(events[1].time, sec(T0_US + 2400 * MS));
  });

  test('tshark counts the same heartbeat frames per stream', { skip: hasTshark ? false : 'tshark not installed' }, async () => {
    const { x, hb, file } = await analyze(MIXED);
    const perPorts = new Map<string, number>();
    for (const line of tshark(['-r', file, '-Y', 'udp', '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport'])) {
      perPorts.set(line, (perPorts.get(line) ?? 0) + 1);
    }
    assert.equal(perPorts.size, x.streams.length);
    for (const st of x.streams) {
      const s = stream(hb, st.id.key);
      assert.equal(perPorts.get(`${st.id.sport}\t${st.id.dport}`), s.received, st.id.key);
      assert.equal(s.received, st.captured);
    }
  });
});
