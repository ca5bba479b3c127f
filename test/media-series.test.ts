// Each RTP stream's jitter and loss over time (src/media/stream-series.ts)
// and its plot in the HTML report: on captures written by the project's
// writer with scripted loss bursts, reordering and injected jitter, the
// bucket where the burst was holds the loss and the buckets where jitter was
// injected hold the peak; the buckets add up to the stream's totals; the
// series is the same whether packets came as records or as the fast lane's
// batches; memory stays within both bounds and says when it coarsened or
// dropped; the report draws a plot per stream (the worst 20) with a point
// per bucket and shades the heartbeat failover windows; `analyze --json
// --rtp-series` gives the same series, within the schema.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFile, type FileReport } from '../src/analysis/analyze.js';
import { MediaSeriesStore, type SeriesSource, type StreamSeriesReport } from '../src/media/stream-series.js';
import { collectFile } from '../src/report/collect.js';
import type { BatchConsumer } from '../src/pipeline/udp-batch.js';
import { MAX_CALL_MOS_ROWS, MAX_MEDIA_PLOTS, renderReport } from '../src/report/html.js';
import { mediaPlot } from '../src/report/media-plot.js';
import { buildUdpFrame, heartbeatPayload } from '../src/writer/frame-builder.js';
import { drop, plan, range, START_SEC, writeMediaCapture, type Datagram, type PlannedPacket, type StreamSpec } from './media-fixtures.js';
import { writeScenarioCapture } from './media-scenarios.js';
import { runCli } from './helpers.js';
import { writeMixedCapture } from '../captures/make-captures.js';
import type { RtpStreamReport } from '../src/media/analyzer.js';

const dir = mkdtempSync(join(tmpdir(), 'ucprobe-media-series-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const FIXED_TIME = new Date(Date.UTC(2026, 2, 2, 12, 0, 0));

/** An attribute value as the page reads it (the keys hold only '>' to escape). */
const unescape = (s: string): string => s.replaceAll('&gt;', '>');

/** Seconds after START_SEC of a bucket's start. */
const at = (b: { start: number }): number => Math.round(b.start - START_SEC);

async function analyzeWithSeries(file: string, lane = true): Promise<{ report: FileReport; store: MediaSeriesStore; batched: number }> {
  const store = new MediaSeriesStore();
  // A consumer of records only closes the fast lane: every packet then reaches the analyzer as a record.
  let batched = 0;
  const counter: BatchConsumer = { add: () => {}, addUdpBatch: (b) => { batched += b.length; } };
  const report = await analyzeFile(file, {}, {}, lane ? [counter] : [() => {}], { mediaSeries: store });
  return { report, store, batched };
}

/** Every arrival in [from, to) s delayed by a fixed pattern of 0..30 ms (the spacing stays above 0: order holds). */
function jitterBetween(p: PlannedPacket[], from: number, to: number): void {
  for (const x of p) if (x.t >= from && x.t < to) x.t += ((x.seq * 7919) % 31) / 1000;
}

/** 10 s of 20 ms packets: 10 lost at 3.0-3.2 s, arrivals jittered by up to 30 ms in 5-7 s. */
function scripted(): StreamSpec {
  const packets = drop(plan({ count: 500, ssrc: 0x77 }), range(150, 10));
  jitterBetween(packets, 5, 7);
  return { src: '10.1.0.1', dst: '10.1.0.2', sport: 20_000, dport: 30_000, packets };
}

test('buckets: the loss in the second of the burst, the jitter peak where jitter was injected, totals kept', async () => {
  const file = join(dir, 'scripted.pcap');
  writeMediaCapture(file, [scripted()]);
  const { report, store } = await analyzeWithSeries(file);
  const s = report.rtp.streams[0];
  assert.equal(s.lost, 10);
  const series = store.get(s.key)!;
  assert.equal(series.bucketSeconds, 1);
  assert.equal(series.coarsened, null);
  assert.deepEqual(series.buckets.map(at), range(0, 10));
  assert.deepEqual(series.buckets.map((b) => b.lost), [0, 0, 0, 10, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(series.buckets.map((b) => b.packets), [50, 50, 50, 40, 50, 49, 51, 50, 50, 50]);
  assert.deepEqual(series.buckets.map((b) => b.expected), [50, 50, 50, 50, 50, 49, 51, 50, 50, 50]);
  // The writer's microsecond clock makes the clean seconds exactly 20 ms apart: no jitter before the injection.
  for (const b of series.buckets.slice(0, 5)) assert.equal(b.jitterMaxMs, 0, `second ${at(b)}`);
  for (const b of series.buckets.slice(5, 7)) assert.ok(b.jitterMaxMs! > 10, `second ${at(b)}: ${b.jitterMaxMs}`);
  // J decays over 16 packets once the arrivals are regular again.
  assert.ok(series.buckets[9].jitterMaxMs! < 0.1);
  const peak = series.buckets.reduce((a, b) => (b.jitterMaxMs! > a.jitterMaxMs! ? b : a));
  assert.equal(peak.jitterMaxMs, s.jitterMs!.max, 'the stream max is the peak bucket max');
  assert.ok(at(peak) >= 5 && at(peak) <= 7);
  assert.equal(series.buckets.reduce((n, b) => n + b.packets, 0), s.packets);
  assert.equal(series.buckets.reduce((n, b) => n + b.lost, 0), s.lost);
  assert.equal(series.buckets.reduce((n, b) => n + b.expected, 0), s.expected);
});

test('buckets on the scripted scenarios: bursts where they were, reordering is no loss, totals match each stream', async () => {
  const file = join(dir, 'scenarios.pcap');
  const { all } = writeScenarioCapture(file);
  const { report, store } = await analyzeWithSeries(file);
  const byName = new Map(all.map((x) => [x.name, x]));
  const streamOf = (name: string) => {
    const spec = byName.get(name)!.stream;
    return report.rtp.streams.find((s) => s.sport === spec.sport && s.dport === spec.dport && s.ssrc === `0x${spec.packets[0].ssrc.toString(16).toUpperCase().padStart(8, '0')}`)!;
  };
  // 20 lost at packets 200-219 (4.00-4.38 s, found at 4.40 s), 5 at 400-404 (found at 8.10 s).
  const bursts = store.get(streamOf('bursts').key)!;
  assert.deepEqual(bursts.buckets.filter((b) => b.lost > 0).map((b) => [at(b), b.lost]), [[4, 20], [8, 5]]);
  const reordered = store.get(streamOf('reordering').key)!;
  assert.ok(reordered.buckets.every((b) => b.lost === 0));
  for (const s of report.rtp.streams) {
    const series = store.get(s.key)!;
    assert.ok(series !== null, s.key);
    assert.equal(series.buckets.reduce((n, b) => n + b.packets, 0), s.packets, s.key);
    assert.equal(series.buckets.reduce((n, b) => n + b.lost, 0), s.lost, s.key);
    assert.equal(series.buckets.reduce((n, b) => n + b.late, 0), s.late, s.key);
    if (s.jitterMs !== null) assert.equal(Math.max(...series.buckets.map((b) => b.jitterMaxMs ?? 0)), s.jitterMs.max, s.key);
  }
});

test('the same series whether packets come as records or as the fast lane\'s batches', async () => {
  const file = join(dir, 'scenarios-lane.pcap');
  writeScenarioCapture(file);
  const fast = await analyzeWithSeries(file, true);
  const slow = await analyzeWithSeries(file, false);
  assert.ok(fast.batched > 5000, `${fast.batched} datagrams came in batches`);
  assert.equal(slow.batched, 0);
  const all = (r: { report: FileReport; store: MediaSeriesStore; batched: number }): Array<[string, StreamSeriesReport | null]> => r.report.rtp.streams.map((s) => [s.key, r.store.get(s.key)]);
  assert.equal(JSON.stringify(all(fast)), JSON.stringify(all(slow)));
  assert.deepEqual(fast.store.totals(), slow.store.totals());
  assert.equal(JSON.stringify(fast.report.rtp), JSON.stringify(slow.report.rtp), 'the analysis itself unchanged');
});

test('the same series with and without the fast lane on mixed traffic (heartbeats, SIP, RTP, TCP), in analyze --json\'s shape', async () => {
  const file = join(dir, 'mixed.pcap');
  writeMixedCapture(file, { packets: 60_000, seed: 11 });
  const fast = await analyzeFile(file, {}, {}, [], { rtpSeries: true });
  const slow = await analyzeFile(file, {}, {}, [() => {}], { rtpSeries: true });
  assert.ok(fast.rtp.streams.length > 10 && fast.rtp.streams.every((s) => (s.series?.buckets.length ?? 0) > 0));
  assert.equal(JSON.stringify(fast.rtp), JSON.stringify(slow.rtp));
});

test('analyze without a store keeps no series and reports as before', async () => {
  const file = join(dir, 'scripted-plain.pcap');
  writeMediaCapture(file, [scripted()]);
  const plain = await analyzeFile(file);
  const { report } = await analyzeWithSeries(file);
  assert.equal(JSON.stringify(plain.rtp), JSON.stringify(report.rtp));
});

/** A stream's counters as a test drives them: one packet a step, none lost. */
class Counters implements SeriesSource {
  unique = 0;
  extMax = -1;
  extBase = 0;
  late = 0;
  jitter = 0;
  jitterCount = 0;
  packet(): this {
    this.unique++;
    this.extMax++;
    return this;
  }
}

test('bounds: a long stream coarsens within its cap, the overall budget coarsens or drops, eviction gives buckets back', () => {
  const store = new MediaSeriesStore({ baseSeconds: 1, maxBucketsPerStream: 8, maxBuckets: 40 });
  const long = store.open('long')!;
  const c = new Counters();
  for (let t = 0; t < 20; t += 0.5) long.record(1000 + t, c.packet());
  const r = store.get('long')!;
  assert.equal(r.coarsened, 'length');
  assert.equal(r.bucketSeconds, 4);
  assert.ok(r.buckets.length <= 8);
  assert.equal(r.buckets.reduce((n, b) => n + b.packets, 0), 40);
  assert.equal(r.buckets.reduce((n, b) => n + b.expected, 0), 40);
  assert.equal(r.buckets[0].start, 1000);
  // 8 held by 'long'; the next ones start with 8 each (the per-stream cap) until 40 are out.
  for (const k of ['a', 'b', 'c', 'd']) assert.ok(store.open(k) !== null, k);
  assert.equal(store.open('e'), null);
  assert.equal(store.totals().dropped, 1);
  assert.equal(store.totals().bucketsHeld, 40);
  store.release('a');
  assert.equal(store.totals().bucketsHeld, 32);
  assert.ok(store.open('e') !== null);

  // A budget too small to grow into: the stream coarsens for memory instead.
  const tight = new MediaSeriesStore({ baseSeconds: 1, maxBucketsPerStream: 600, maxBuckets: 20 });
  const s = tight.open('s')!;
  const d = new Counters();
  for (let t = 0; t < 60; t++) s.record(t, d.packet());
  const tr = tight.get('s')!;
  assert.equal(tr.coarsened, 'memory');
  assert.equal(tr.bucketSeconds, 4);
  assert.equal(tight.totals().bucketsHeld, 16);
  assert.equal(tight.totals().coarsenedForMemory, 1);
  assert.equal(tr.buckets.reduce((n, b) => n + b.packets, 0), 60);
});

test('a time that goes back counts in the latest bucket; the media table\'s eviction releases the series', async () => {
  const store = new MediaSeriesStore();
  const s = store.open('x')!;
  const c = new Counters();
  s.record(10.5, c.packet());
  s.record(12.5, c.packet());
  s.record(11.5, c.packet());
  assert.deepEqual(store.get('x')!.buckets.map((b) => [b.start, b.packets]), [[10, 1], [12, 2]]);

  // 30 streams through a table of 8: the series held are those of the streams still in it.
  const streams: StreamSpec[] = range(0, 30).map((k) => ({ src: '10.2.0.1', dst: '10.2.0.2', sport: 20_000 + 2 * k, dport: 30_000, packets: plan({ count: 20, ssrc: 0x500 + k, start: k * 0.5 }) }));
  const file = join(dir, 'evict.pcap');
  writeMediaCapture(file, streams);
  const store2 = new MediaSeriesStore();
  const r = await analyzeFile(file, {}, {}, [], { mediaSeries: store2, media: { maxStreams: 8 } });
  assert.ok(r.rtp.totals.evicted > 0);
  assert.equal(store2.totals().streams, r.rtp.streams.length);
  assert.equal(store2.totals().bucketsHeld, r.rtp.streams.length * 16);
  for (const x of r.rtp.streams) assert.ok(store2.get(x.key) !== null);
});

/** Heartbeats 10.9.0.1 <-> 10.9.0.2 every 100 ms for `seconds`; B -> A silent in [silentFrom, silentTo). */
function heartbeats(seconds: number, silentFrom: number, silentTo: number): Datagram[] {
  const out: Datagram[] = [];
  for (let k = 0; k < seconds * 10; k++) {
    const t = k / 10 + 0.003;
    out.push({ t, src: '10.9.0.1', dst: '10.9.0.2', sport: 39_600, dport: 39_601, payload: heartbeatPayload(1000 + k, 'le') });
    if (t < silentFrom || t >= silentTo) out.push({ t: t + 0.001, src: '10.9.0.2', dst: '10.9.0.1', sport: 39_601, dport: 39_600, payload: heartbeatPayload(5000 + k, 'le') });
  }
  return out;
}

test('report: a plot per stream with a point per bucket, the failover window shaded over the loss it caused', async () => {
  // 20 s: B -> A heartbeats silent 8.0-9.0 s (a failover), and the call's media lost 8.0-8.9 s with it.
  const hurt = drop(plan({ count: 1000, ssrc: 0x91 }), range(400, 45));
  jitterBetween(hurt, 14, 16);
  const clean = plan({ count: 1000, ssrc: 0x92 });
  const file = join(dir, 'failover.pcap');
  writeMediaCapture(file, [
    { src: '10.9.0.11', dst: '10.9.0.12', sport: 20_000, dport: 30_000, packets: hurt },
    { src: '10.9.0.12', dst: '10.9.0.11', sport: 30_000, dport: 20_000, packets: clean },
  ], [], heartbeats(20, 8, 9));
  const rf = await collectFile(file);
  const r = rf.report;
  assert.equal(r.heartbeats.totals.failovers, 1);
  assert.equal(r.rtp.failoverOverlaps.length, 1);
  const html = renderReport({ files: [rf], generatedAt: FIXED_TIME, version: 'test' });
  const figures = [...html.matchAll(/<figure class="media-stream"[^>]*data-stream="([^"]+)"[^>]*>([\s\S]*?)<\/figure>/g)].map((m) => [m[0], unescape(m[1]), m[2]]);
  assert.equal(figures.length, 2);
  // Worst first: the stream that lost packets leads.
  assert.equal(figures[0][1], r.rtp.streams.find((s) => s.lost > 0)!.key);
  for (const [, key, body] of figures) {
    const series = rf.media.get(key)!;
    const withJitter = series.buckets.filter((b) => b.jitterMaxMs !== null).length;
    const points = (cls: string): number => [...body.matchAll(new RegExp(`<polyline class="${cls}" points="([^"]+)"`, 'g'))].reduce((n, m) => n + m[1].split(' ').length, 0);
    assert.equal(points('jitter-max'), withJitter, key);
    assert.equal(points('jitter-mean'), withJitter, key);
    assert.ok(body.includes(`data-buckets="${series.buckets.length}"`));
    assert.equal([...body.matchAll(/class="failover-window"/g)].length, 1, 'the failover window shaded');
  }
  // The loss: one bar, in the second of the failover, and the badge that ties the two.
  const hurtFigure = figures[0][2];
  assert.equal([...hurtFigure.matchAll(/class="media-lost"/g)].length, 1);
  assert.match(hurtFigure, /45 lost and 0 late of 50 expected/);
  assert.match(hurtFigure, /45 lost during a failover/);
  assert.equal([...figures[1][2].matchAll(/class="media-lost"/g)].length, 0);
  // The jitter peak lies in 14-16 s.
  const series = rf.media.get(figures[0][1])!;
  const peak = series.buckets.reduce((a, b) => ((b.jitterMaxMs ?? 0) > (a.jitterMaxMs ?? 0) ? b : a));
  assert.ok(at(peak) >= 14 && at(peak) <= 16, `peak at ${at(peak)}`);
});

test('report: the worst 20 streams are plotted and the rest counted; MOS per call shows its inputs', async () => {
  const streams: StreamSpec[] = range(0, 25).map((k) => ({
    src: '10.3.0.1', dst: '10.3.0.2', sport: 20_000 + 2 * k, dport: 30_000 + 2 * k,
    // Stream k loses k packets: the worst are the last ones.
    packets: drop(plan({ count: 200, ssrc: 0x600 + k }), range(50, k)),
  }));
  const file = join(dir, 'many.pcap');
  writeMediaCapture(file, streams, [{
    callId: 'call<1>@x', at: 0,
    offer: { from: '10.3.0.1', to: '10.3.0.2', sport: 5060, sdp: { address: '10.3.0.1', port: 20_048, payloadTypes: [0] } },
    answer: { sdp: { address: '10.3.0.2', port: 30_048, payloadTypes: [0] } },
  }]);
  const rf = await collectFile(file);
  const html = renderReport({ files: [rf], generatedAt: FIXED_TIME, version: 'test' });
  const plotted = [...html.matchAll(/<figure class="media-stream"[^>]*data-stream="([^"]+)"/g)].map((m) => unescape(m[1]));
  assert.equal(plotted.length, MAX_MEDIA_PLOTS);
  const lostOf = (key: string): number => rf.report.rtp.streams.find((s) => s.key === key)!.lost;
  assert.deepEqual(plotted.map(lostOf), range(0, 20).map((k) => 24 - k));
  assert.match(html, /the worst 20 of 25 streams/);
  assert.match(html, /5 more streams are not plotted/);
  // The Call-ID from the packet is escaped; the call's row names its worse direction and the score's inputs.
  assert.ok(!html.includes('call<1>@x'));
  const row = html.match(/<table class="call-mos">[\s\S]*?<\/table>/)![0];
  assert.ok(row.includes('call&lt;1&gt;@x'));
  assert.match(row, /G\.711 \(0, 25\.1\)/);
  assert.match(row, /10\.3\.0\.1:20048&gt;10\.3\.0\.2:30048<\/span><br\/><span class="mono">0x00000618/);
  // Its loss: 24 of 200 numbers missing, none late: 12 % network + 0 % late = 12 % effective.
  assert.match(row, /12 \+ 0 = 12/);
  // A capture of many calls: the worst MAX_CALL_MOS_ROWS are listed, the rest counted.
  const call = rf.report.rtp.calls[0];
  rf.report.rtp.calls = range(0, MAX_CALL_MOS_ROWS + 5).map((k) => ({ ...call, callId: `c${k}` }));
  const many = renderReport({ files: [rf], generatedAt: FIXED_TIME, version: 'test' });
  assert.equal([...many.match(/<table class="call-mos">[\s\S]*?<\/table>/)![0].matchAll(/<tr>/g)].length, MAX_CALL_MOS_ROWS + 1);
  assert.match(many, /5 more calls are not listed/);
});

test('plot: no series (memory bound) says so; a window outside the stretch drawn is left out', () => {
  const svg = mediaPlot({ title: 't', series: null, captureStart: 0, captureEnd: 100, first: 10, last: 12, failovers: [{ from: 50, to: 51, detail: 'x' }] });
  assert.match(svg, /no series kept for this stream/);
  assert.ok(!svg.includes('failover-window'));
});

test('analyze --json --rtp-series: the same buckets in the JSON, within the schema, through the workers too; only with --json', async () => {
  const a = join(dir, 'cli-a.pcap');
  const b = join(dir, 'cli-b.pcap');
  writeMediaCapture(a, [scripted()]);
  writeScenarioCapture(b);
  // runCli checks every analyze --json against src/output/analyze.schema.json.
  const one = runCli(['analyze', '--json', '--rtp-series', a]);
  assert.equal(one.status, 0, one.stderr);
  type Doc = { files: Array<{ rtp: { streams: RtpStreamReport[]; seriesTotals?: { streams: number; dropped: number } } }> };
  const doc = JSON.parse(one.stdout) as Doc;
  const { store } = await analyzeWithSeries(a);
  const s = doc.files[0].rtp.streams[0];
  assert.deepEqual(s.series, store.get(s.key));
  assert.deepEqual(s.series!.buckets.map((x) => x.lost), [0, 0, 0, 10, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(doc.files[0].rtp.seriesTotals, { ...store.totals() });
  // Two files are read in worker threads: the flag crosses to them.
  const two = JSON.parse(runCli(['analyze', '--json', '--rtp-series', a, b]).stdout) as Doc;
  assert.deepEqual(two.files[0].rtp.streams[0].series, s.series);
  assert.ok(two.files[1].rtp.streams.length > 10 && two.files[1].rtp.streams.every((x) => x.series !== undefined && x.series !== null));
  // Without the flag the JSON is as it was.
  const plain = JSON.parse(runCli(['analyze', '--json', a]).stdout) as Doc;
  assert.equal(plain.files[0].rtp.streams[0].series, undefined);
  assert.equal(plain.files[0].rtp.seriesTotals, undefined);
  const text = runCli(['analyze', '--rtp-series', a]);
  assert.equal(text.status, 2);
  assert.equal(text.stderr.trim().split('\n').length, 1);
  assert.match(text.stderr, /--rtp-series: only with --json/);
});

test('plot: failover windows close together are each shaded, their labels not drawn over each other', () => {
  const failovers = [10, 10.2, 30].map((t) => ({ from: t, to: t + 0.5, detail: `window at ${t}` }));
  const svg = mediaPlot({ title: 't', series: { bucketSeconds: 1, coarsened: null, buckets: [] }, captureStart: 0, captureEnd: 60, first: 0, last: 60, failovers });
  assert.equal([...svg.matchAll(/class="failover-window"/g)].length, 3);
  assert.equal([...svg.matchAll(/>failover</g)].length, 2);
});

test('report: a codec name from SDP reaches the page escaped', async () => {
  const file = join(dir, 'hostile-sdp.pcap');
  const evil = '<img src=x onerror=alert(1)>';
  writeMediaCapture(file, [{ src: '10.4.0.1', dst: '10.4.0.2', sport: 20_000, dport: 30_000, packets: plan({ count: 100, ssrc: 0x44, pt: 96 }) }], [{
    callId: 'hostile@x', at: 0,
    offer: { from: '10.4.0.1', to: '10.4.0.2', sport: 5060, sdp: { address: '10.4.0.1', port: 20_000, payloadTypes: [96], rtpmap: { 96: `${evil}/8000` } } },
    answer: { sdp: { address: '10.4.0.2', port: 30_000, payloadTypes: [96], rtpmap: { 96: `${evil}/8000` } } },
  }]);
  const rf = await collectFile(file);
  assert.equal(rf.report.rtp.streams[0].payloadTypes[0].name, evil);
  const html = renderReport({ files: [rf], generatedAt: FIXED_TIME, version: 'test' });
  assert.ok(!html.includes('<img'));
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.equal([...html.matchAll(/<figure class="media-stream"/g)].length, 1);
});
