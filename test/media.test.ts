// RTP stream analysis: scripted impairments give the figures they were
// scripted with; the fast lane and records give the same report; the table
// is bounded; and tshark's `-z rtp,streams` agrees on the scripted capture,
// the demo and every corpus capture with RTP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { analyzeFile } from '../src/analysis/analyze.js';
import type { RtpStreamReport } from '../src/media/analyzer.js';
import { bundledCaptures, corpusCaptures, hasTshark, REPO, runCli, tshark } from './helpers.js';
import { writeScenarioCapture } from './media-scenarios.js';
import { drop, plan, range, writeMediaCapture, type Datagram } from './media-fixtures.js';
import { heartbeatPayload } from '../src/writer/frame-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'ucprobe-media-'));
const scripted = join(dir, 'impairments.pcap');
const { all } = writeScenarioCapture(scripted);

function find(streams: RtpStreamReport[], src: string, sport: number, ssrc: number): RtpStreamReport {
  const s = streams.find((x) => x.src === src && x.sport === sport && x.ssrc === `0x${ssrc.toString(16).toUpperCase().padStart(8, '0')}`);
  assert.ok(s, `stream ${src}:${sport} ssrc ${ssrc.toString(16)}`);
  return s;
}

test('scripted impairments: each stream gives the figures it was scripted with', async () => {
  const r = await analyzeFile(scripted);
  assert.equal(r.rtp.streams.length, all.length);
  for (const sc of all) {
    const p = sc.stream.packets[0];
    const s = find(r.rtp.streams, sc.stream.src, sc.stream.sport, p.ssrc);
    const e = sc.expected;
    assert.equal(s.packets, e.packets, `${sc.name}: packets`);
    assert.equal(s.lost, e.lost, `${sc.name}: lost`);
    assert.equal(s.duplicates, e.duplicates ?? 0, `${sc.name}: duplicates`);
    assert.equal(s.outOfOrder, e.outOfOrder ?? 0, `${sc.name}: out of order`);
    assert.equal(s.wraps, e.wraps ?? 0, `${sc.name}: wraps`);
    assert.equal(s.events.repeatedEnds, e.repeatedEnds ?? 0, `${sc.name}: repeated event ends`);
  }
  const byName = (n: string): RtpStreamReport => {
    const sc = all.find((x) => x.name === n)!;
    return find(r.rtp.streams, sc.stream.src, sc.stream.sport, sc.stream.packets[0].ssrc);
  };
  // Bursts: 20 then 5 missing, the longest gap 20; the delta spans the 20 missing packets.
  const bursts = byName('bursts');
  assert.deepEqual([bursts.gapRuns, bursts.longestGap, bursts.lossPercent, bursts.deltaMs?.max], [2, 20, 5, 420]);
  // Wrap: 65400 + 399 ends at 263.
  assert.deepEqual([byName('sequence wrap').firstSeq, byName('sequence wrap').lastSeq], [65_400, 263]);
  // A clean 20 ms stream: no jitter at all; 0-15 ms of arrival noise: a few ms.
  assert.deepEqual(byName('clean').jitterMs, { mean: 0, max: 0, last: 0 });
  const jittery = byName('jitter 0-15 ms').jitterMs!;
  assert.ok(jittery.mean > 3 && jittery.mean < 7 && jittery.max < 10, JSON.stringify(jittery));
  // A 10 s timestamp jump with no marker is 10 s of transit change: RFC 3550 jitter takes 1/16 of it.
  assert.equal(byName('timestamp jump').jitterMs!.max, 625);
  const remarked = byName('PCMA remarked mid-call');
  assert.deepEqual(remarked.dscp, { 0: 150, 46: 150 });
  assert.deepEqual(remarked.ecn, { notEct: 150, ect1: 0, ect0: 150, ce: 0 });
  assert.deepEqual(remarked.payloadTypes, [{ pt: 8, name: 'PCMA', packets: 300 }]);
  assert.equal(byName('G.729 with loss').payloadTypes[0].name, 'G729');
  assert.equal(byName('IPv6 with loss').flow, '[2001:db8::1]:20020>[2001:db8::2]:30020');
  // SSRC change: two streams on one 5-tuple, both tied to the call by the answer's SDP.
  const before = byName('SSRC change (before)');
  const after = byName('SSRC change (after)');
  assert.equal(before.flow, after.flow);
  assert.deepEqual([before.callId, after.callId], ['ssrc-change@10.50.0.1', 'ssrc-change@10.50.0.1']);
  assert.deepEqual(after.sdp, { announcedBy: '10.50.0.2:5060', endpoint: '10.50.0.2:26500', offer: false, media: 'audio', codecs: ['PCMU', 'telephone-event'] });
  // Opus at 48 kHz from the offer's rtpmap; the DTMF event's 4 packets + 2 repeated ends are events, not voice, not duplicates.
  const opus = byName('Opus with RFC 4733 DTMF');
  assert.equal(opus.clockRate, 48_000);
  assert.deepEqual(opus.events, { packets: 6, repeatedEnds: 2 });
  assert.deepEqual(opus.payloadTypes.map((p) => [p.name, p.packets]), [['opus', 290], ['telephone-event', 6]]);
  assert.deepEqual(opus.jitterMs, { mean: 0, max: 0, last: 0 });
  assert.deepEqual(r.rtp.totals, { streams: all.length, packets: all.reduce((n, s) => n + s.expected.packets, 0), lost: 41, evicted: 0, holesForgotten: 0 });
});

test('records and the fast lane give the same media report', async () => {
  const fast = await analyzeFile(scripted);
  // A consumer of records only closes the fast lane: every datagram becomes a record.
  const slow = await analyzeFile(scripted, {}, {}, [() => undefined]);
  assert.deepEqual(slow.rtp, fast.rtp);
});

test('the stream table is bounded: the least recently seen go, counted, their packets kept in the totals', async () => {
  const r = await analyzeFile(scripted, {}, {}, [], { media: { maxStreams: 4 } });
  assert.ok(r.rtp.streams.length <= 4);
  assert.equal(r.rtp.totals.streams, r.rtp.streams.length + r.rtp.totals.evicted);
  assert.ok(r.rtp.totals.evicted >= all.length - 4);
  assert.equal(r.rtp.totals.packets, all.reduce((n, s) => n + s.expected.packets, 0));
});

// ---------------------------------------------------------------------------
// tshark -q -z rtp,streams

interface TsharkStream {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  ssrc: string;
  payload: string;
  packets: number;
  lost: number;
  maxDelta: number;
  meanJitter: number;
  maxJitter: number;
}

function tsharkStreams(file: string): TsharkStream[] {
  const out: TsharkStream[] = [];
  for (const line of tshark(['-r', file, '--enable-heuristic', 'rtp_udp', '-q', '-z', 'rtp,streams'])) {
    // start end src sport dst dport ssrc payload... pkts lost (pct) minD meanD maxD minJ meanJ maxJ [X]
    const m = /^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(0x[0-9A-F]+)\s+(.*?)\s+(\d+)\s+(-?\d+)\s+\(-?[\d.]+%\)\s+(-?[\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(-?[\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(line);
    if (!m) continue;
    out.push({
      src: m[1], sport: Number(m[2]), dst: m[3], dport: Number(m[4]), ssrc: m[5], payload: m[6], packets: Number(m[7]), lost: Number(m[8]),
      maxDelta: Number(m[11]), meanJitter: Number(m[13]), maxJitter: Number(m[14]),
    });
  }
  return out;
}

/** Frames tshark decodes as T.38: a port an H.248 SDP moved to udptl, that ucprobe (SIP's SDP only) still calls RTP. */
function t38Count(file: string): number {
  return tshark(['-r', file, '-Y', 't38', '-T', 'fields', '-e', 'frame.number']).length;
}

const near = (ours: number, theirs: number, rel: number, abs: number): boolean => Math.abs(ours - theirs) <= Math.max(abs, Math.abs(theirs) * rel);

/**
 * Each ucprobe stream against tshark's: packets exact; lost exact once
 * tshark's counting is allowed for; max delta to 0.01 ms; mean and max
 * jitter to 3 % or 0.05 ms. Where tshark is wrong, the reason is written.
 */
function compare(file: string, ours: RtpStreamReport[]): string[] {
  const theirs = tsharkStreams(file);
  const problems: string[] = [];
  const hasT38 = t38Count(file) > 0;
  for (const s of ours) {
    const t = theirs.find((x) => x.src === s.src && x.sport === s.sport && x.dst === s.dst && x.dport === s.dport && x.ssrc === s.ssrc);
    const name = `${s.flow} ${s.ssrc}`;
    if (!t) {
      problems.push(`${name}: not a stream to tshark`);
      continue;
    }
    // tshark calls the frames of a T.38 switch T.38 (see t38Count): its counts of that stream are of fewer frames.
    if (hasT38 && t.packets !== s.packets) continue;
    if (t.packets !== s.packets) problems.push(`${name}: packets ${s.packets} tshark ${t.packets}`);
    // tshark's lost is expected - packets (RFC 3550's cumulative lost, which counts a duplicate as received
    // and so goes negative, as the issue says of repeated RFC 4733 end packets); ours is expected - distinct
    // numbers received, with duplicates and repeated event ends counted apart.
    const tsharkLost = s.lost - s.duplicates - s.events.repeatedEnds;
    if (t.lost !== tsharkLost) problems.push(`${name}: lost ${s.lost} (-${s.duplicates} duplicates, -${s.events.repeatedEnds} repeated ends) tshark ${t.lost}`);
    if (s.deltaMs !== null && Math.abs(s.deltaMs.max - t.maxDelta) > 0.01) problems.push(`${name}: max delta ${s.deltaMs.max} tshark ${t.maxDelta}`);
    // tshark gives RFC 4733 events no clock and then measures the next voice packet against the
    // event's arrival: its timestamp holds at the event's start, so each event makes a jitter spike
    // (13 ms on the scripted Opus call, that had none). ucprobe leaves events out of the jitter.
    if (s.events.packets > 0) continue;
    const j = s.jitterMs ?? { mean: 0, max: 0 };
    if (!near(j.mean, t.meanJitter, 0.03, 0.05)) problems.push(`${name}: mean jitter ${j.mean} tshark ${t.meanJitter}`);
    if (!near(j.max, t.maxJitter, 0.03, 0.05)) problems.push(`${name}: max jitter ${j.max} tshark ${t.maxJitter}`);
  }
  return problems;
}

const captures = [scripted, ...bundledCaptures(), ...corpusCaptures()];
for (const file of captures) {
  test(`RTP streams agree with tshark -z rtp,streams: ${basename(file)}`, { skip: !hasTshark && 'tshark not installed' }, async () => {
    const r = await analyzeFile(file);
    assert.deepEqual(compare(file, r.rtp.streams), []);
  });
}

test('tshark shows the scripted figures the way the comparison allows for', { skip: !hasTshark && 'tshark not installed' }, async () => {
  const theirs = tsharkStreams(scripted);
  // Duplicates make tshark's loss negative: 5 duplicates, -5; the Opus call's 2 repeated event ends, -2.
  assert.equal(theirs.find((t) => t.ssrc === '0x00001005')?.lost, -5);
  assert.equal(theirs.find((t) => t.ssrc === '0x00003001')?.lost, -2);
  // And the DTMF event makes a jitter spike to tshark where ucprobe finds none.
  assert.ok(theirs.find((t) => t.ssrc === '0x00003001')!.maxJitter > 10);
});

test('CLI: the RTP section, --fail-on rtp-loss and mos with their thresholds, --jitter-buffer, bad values', () => {
  const text = runCli(['analyze', scripted]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /RTP streams \(14; 5360 packets, 41 lost; jitter buffer 60 ms for the MOS\)/);
  // Worst first: the bursty stream, MOS 3.80.
  assert.match(text.stdout, /10\.40\.0\.1:20004>10\.40\.0\.2:30004 +0x00001003 +PCMU +475 +25 +5 .* 3\.80/);
  assert.match(text.stdout, /Call media \(1; the worse direction\)\n.*\n +ssrc-change@10\.50\.0\.1 +3 +4\.41 +93\.2/);
  // 4 streams lose more than 1 %: random (1.8), bursts (5), IPv6 (1.33); G.729 loses exactly 1 %, not more.
  const loss = runCli(['analyze', scripted, '--fail-on', 'rtp-loss']);
  assert.equal(loss.status, 1);
  assert.match(loss.stderr, /--fail-on: 3 RTP stream\(s\) losing more than 1 % in /);
  assert.equal(runCli(['analyze', scripted, '--fail-on', 'rtp-loss', '--rtp-loss-threshold', '5']).status, 0);
  // Only the bursty stream scores under 3.9 (G.729A with 1 % loss: 3.94); none of them is in a call.
  const mos = runCli(['analyze', scripted, '--fail-on', 'mos', '--mos-threshold', '3.9']);
  assert.equal(mos.status, 1);
  assert.match(mos.stderr, /1 call\(s\) or stream\(s\) with MOS below 3\.9/);
  assert.equal(runCli(['analyze', scripted, '--fail-on', 'mos']).status, 0);
  // A 5 ms buffer turns the 0-15 ms jitter into late packets: that stream then fails the default 3.6.
  assert.equal(runCli(['analyze', scripted, '--fail-on', 'mos', '--jitter-buffer', '5']).status, 1);
  const bad = runCli(['analyze', scripted, '--jitter-buffer', 'soon']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--jitter-buffer: expected a number from 0 to 10000, got 'soon'/);
});

test('CSV table rtp: one row per stream with its figures; the calls table gains the MOS', () => {
  const r = runCli(['analyze', scripted, '--format', 'csv', '--table', 'rtp']);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trimEnd().split('\r\n').map((l) => l.split(','));
  const header = rows[0];
  assert.equal(rows.length, 1 + all.length);
  const bursts = Object.fromEntries(header.map((h, i) => [h, rows.find((x) => x[2] === '0x00001003')![i]]));
  assert.deepEqual([bursts.packets, bursts.lost, bursts.loss_percent, bursts.gap_runs, bursts.longest_gap, bursts.delta_max_ms, bursts.dscp, bursts.mos, bursts.burst_r],
    ['475', '25', '5', '2', '20', '420', 'EF:475', '3.8', '11.88']);
  const calls = runCli(['analyze', join(REPO, 'captures', 'demo.pcap'), '--format', 'csv', '--table', 'calls']).stdout.split('\r\n');
  assert.match(calls[0], /,mos,worst_loss_percent,worst_jitter_ms,ack_ms,not_acked$/);
  assert.match(calls.find((l) => l.includes('e67727cd50b02111'))!, /,4\.41,0,0\.126,20,$/);
});

test('media loss inside a failover window: the heartbeat timeline and rtp.failoverOverlaps name it', async () => {
  const path = join(dir, 'failover.pcap');
  // Heartbeats every 100 ms from 10.70.0.1 to 10.70.0.2, silent from 3.0 s to 4.0 s (a failover at the 5th miss);
  // a call's RTP between the two sites loses 40 packets (0.8 s) from 3.1 s; another stream loses 3 at 8 s, outside.
  const hb: Datagram[] = [];
  for (let k = 0; k < 92; k++) {
    const t = 0.5 + k * 0.1;
    if (t > 3.0 && t < 4.0) continue;
    hb.push({ t, src: '10.70.0.1', dst: '10.70.0.2', sport: 39_500, dport: 39_500, payload: heartbeatPayload(k + 1, 'le') });
  }
  const hit = drop(plan({ count: 450, ssrc: 0x5001 }), range(155, 40));
  const other = drop(plan({ count: 450, ssrc: 0x5002 }), range(400, 3));
  writeMediaCapture(path, [
    { src: '10.70.0.1', dst: '10.70.0.2', sport: 16_384, dport: 16_386, packets: hit },
    { src: '10.70.0.3', dst: '10.70.0.4', sport: 16_388, dport: 16_390, packets: other },
  ], [], hb);
  const r = await analyzeFile(path);
  const failovers = r.heartbeats.events.filter((e) => e.type === 'failover');
  assert.equal(failovers.length, 1);
  assert.equal(r.rtp.failoverOverlaps.length, 1);
  const o = r.rtp.failoverOverlaps[0];
  assert.deepEqual([o.stream, o.missing, o.heartbeatStream], ['10.70.0.1:16384>10.70.0.2:16386#0x00005001', 40, failovers[0].stream]);
  const text = runCli(['analyze', path]).stdout;
  assert.match(text, /media loss inside failover windows \(the same fault seen by the calls\):\n.*\n +\S+ +10\.70\.0\.1:39500>10\.70\.0\.2:39500 +10\.70\.0\.1:16384>10\.70\.0\.2:16386#0x00005001 +40/);
});

test('HTML report: a Media quality section (MOS per call, streams worst first) and a worst-MOS card', () => {
  const out = join(dir, 'media.html');
  const r = runCli(['report', scripted, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<h3 id="f1-media">Media quality<\/h3>/);
  assert.match(html, /MOS per call \(1; the worse direction\)/);
  // The bursty stream first, its MOS badged as a warning (3.6 to 4).
  const streams = html.slice(html.indexOf('Streams, worst first'));
  assert.match(streams, /^[^]*?0x00001003[^]*?badge-warn">3\.80</);
  assert.match(html, /<div class="card-value">3\.80<\/div><div class="card-label">worst MOS<\/div>/);
});
