// `ucprobe report`: the scale and bucketing code under the plots, the
// escaping of everything from packets, the report of captures/demo.pcap
// against what analyze finds in it, a hostile SIP capture, bounded memory on
// a long capture, and the command line (when dist/ is built).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFile } from '../src/analysis/analyze.js';
import { describeEvent } from '../src/output/heartbeat-text.js';
import { collectFile, IntervalCollector, MAX_BUCKETS, MinMaxBuckets } from '../src/report/collect.js';
import { renderReport } from '../src/report/html.js';
import { intervalAxisMax, intervalPlot, plotColumns } from '../src/report/interval-plot.js';
import { verdictsByClass } from '../src/report/bar-chart.js';
import { formatOffset, linearScale, linearTicks, niceCeil, niceStep, timeTicks } from '../src/report/scale.js';
import { clip, el, raw, text } from '../src/report/svg.js';
import { buildUdpFrame, parseIpv4 } from '../src/writer/frame-builder.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';
import { writeMixedCapture } from '../captures/make-captures.js';
import { REPO, runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-report-'));
// The long capture is tens of MB: do not leave it behind.
after(() => rmSync(tmp, { recursive: true, force: true }));
const DEMO = join(REPO, 'captures', 'demo.pcap');
const FIXED_TIME = new Date(Date.UTC(2026, 2, 2, 12, 0, 0));

// ---------------------------------------------------------------- scales

test('scale: nice steps and ticks', () => {
  assert.equal(niceStep(700, 4), 200);
  assert.equal(niceStep(1, 5), 0.2);
  assert.equal(niceStep(60, 8), 10);
  assert.deepEqual(linearTicks(0, 700, 4), [0, 200, 400, 600]);
  assert.deepEqual(linearTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(linearTicks(-3, 3, 3), [-2, 0, 2]);
  assert.deepEqual(linearTicks(5, 5), [5]);
  assert.deepEqual(linearTicks(1, 0), []);
  assert.equal(niceCeil(601), 700);
  assert.equal(niceCeil(605), 700);
  assert.equal(niceCeil(1100), 1200);
  assert.equal(niceCeil(0.3), 0.3);
  assert.equal(niceCeil(0), 1);
  assert.equal(intervalAxisMax(601, 100, 550), 700);
  // A 30 s silence is cut at twice the failover silence: the axis stays readable.
  assert.equal(intervalAxisMax(30_000, 100, 550), 1200);
  assert.equal(intervalAxisMax(104, 100, 550), 700);
});

test('scale: linear map, including a zero-width domain', () => {
  const x = linearScale([10, 20], [100, 200]);
  assert.equal(x.at(10), 100);
  assert.equal(x.at(15), 150);
  assert.equal(x.at(25), 250);
  const y = linearScale([0, 700], [180, 40]);
  assert.equal(y.at(0), 180);
  assert.equal(y.at(700), 40);
  assert.equal(linearScale([5, 5], [0, 100]).at(5), 50);
});

test('scale: time ticks on clock steps, labelled as offsets', () => {
  const demo = timeTicks(59.97, 10);
  assert.equal(demo.step, 10);
  assert.deepEqual(demo.offsets, [0, 10, 20, 30, 40, 50]);
  assert.equal(demo.label(30), '30 s');
  const sub = timeTicks(0.8, 4);
  assert.equal(sub.step, 0.2);
  assert.equal(sub.label(0.6), '0.6 s');
  const half = timeTicks(1800, 6);
  assert.equal(half.step, 300);
  assert.equal(half.label(600), '10:00');
  const day = timeTicks(5 * 3600, 5);
  assert.equal(day.step, 3600);
  assert.equal(day.label(7200), '2:00');
  assert.equal(formatOffset(3725, 5, 7200), '1:02:05');
  assert.equal(formatOffset(-2.5, 0.5, 10), '-2.5 s');
  // Never more ticks than asked for (give or take the end points).
  for (const span of [0.003, 1, 59, 61, 599, 3599, 86_399, 10 * 86_400]) {
    const t = timeTicks(span, 8);
    assert.ok(t.offsets.length <= 10 && t.offsets.length >= 2, `${span}: ${t.offsets.length} ticks`);
    assert.ok(t.offsets.every((o) => o <= span + 1e-9));
  }
});

// ---------------------------------------------------------------- bucketing

test('buckets: one per value while the span fits, exact min/max after merging', () => {
  const b = new MinMaxBuckets(0, 0.1, 4);
  b.add(0.05, 100);
  b.add(0.15, 101);
  b.add(0.35, 99);
  assert.deepEqual(b.buckets().map((x) => [x.min, x.max, x.count]), [[100, 100, 1], [101, 101, 1], [99, 99, 1]]);
  assert.equal(b.width, 0.1);
  // Index 5 does not fit in 4 buckets: the width doubles and pairs merge.
  b.add(0.55, 600);
  assert.equal(b.width, 0.2);
  assert.deepEqual(b.buckets().map((x) => [Number(x.start.toFixed(3)), x.min, x.max, x.count]), [[0, 100, 101, 2], [0.2, 99, 99, 1], [0.4, 600, 600, 1]]);
  // An earlier timestamp (a capture out of order) extends the range backwards.
  b.add(-0.1, 50);
  assert.deepEqual(b.buckets().map((x) => x.min), [50, 100, 99, 600]);
  assert.equal(b.total, 5);
});

test('buckets: a million values stay within the cap and keep the global extremes', () => {
  const b = new MinMaxBuckets(1000, 0.1, MAX_BUCKETS);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < 1_000_000; i++) {
    const v = 100 + ((i * 7919) % 13) - 6 + (i === 654_321 ? 500 : 0);
    min = Math.min(min, v);
    max = Math.max(max, v);
    b.add(1000 + i * 0.1, v);
  }
  const buckets = b.buckets();
  assert.ok(b.size <= MAX_BUCKETS, `${b.size} buckets`);
  assert.ok(buckets.length > MAX_BUCKETS / 2, 'coarsened no more than needed');
  assert.equal(buckets.reduce((n, x) => n + x.count, 0), 1_000_000);
  assert.equal(Math.min(...buckets.map((x) => x.min)), min);
  assert.equal(Math.max(...buckets.map((x) => x.max)), max);
  // The spike stays in the bucket that covers its time.
  const spike = buckets.find((x) => x.max === max)!;
  const t = 1000 + 654_321 * 0.1;
  assert.ok(spike.start <= t && t < spike.end);
});

test('plot columns: at most one per pixel, min/max kept', () => {
  const b = new MinMaxBuckets(0, 0.1, MAX_BUCKETS);
  for (let i = 0; i < 1400; i++) b.add(i * 0.1, i === 700 ? 601 : 100 + (i % 3));
  const x = linearScale([0, 140], [58, 1182]);
  const cols = plotColumns(b.buckets(), x);
  assert.ok(cols.length <= 1182 - 58 + 1);
  assert.equal(Math.max(...cols.map((c) => c.max)), 601);
  assert.equal(Math.min(...cols.map((c) => c.min)), 100);
  assert.equal(cols.reduce((n, c) => n + c.count, 0), 1400);
  for (let i = 1; i < cols.length; i++) assert.ok(cols[i].x > cols[i - 1].x);
});

// ---------------------------------------------------------------- escaping

test('svg: text from packets is escaped, controls made visible, garbage replaced', () => {
  assert.equal(text(`<script>alert("x")</script> & 'y'`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  assert.equal(text('\u001b[31mred\u0000'), '\\x1b[31mred\\x00');
  assert.equal(text('a\ud800b\udc00c\uffff'), 'a\ufffdb\ufffdc\ufffd');
  assert.equal(text('\ud83d\ude00 ok'), '\ud83d\ude00 ok', 'a valid surrogate pair stays');
  assert.equal(text('\u202eevil'), '\\u202eevil', 'bidi override made visible');
  assert.equal(el('text', { x: 1.006, title: '"><script>' }, text('<b>')), '<text x="1.01" title="&quot;&gt;&lt;script&gt;">&lt;b&gt;</text>');
  assert.equal(el('line', { x1: -0.001, hidden: true, skip: false, none: null }, null), '<line x1="0" hidden/>');
  assert.throws(() => el('a', { 'onclick="x"': 1 }), /bad attribute/);
  assert.throws(() => el('x y'), /bad element/);
  assert.equal(clip('abcdef', 4), 'abc…');
  assert.equal(clip('abc', 4), 'abc');
  assert.equal(raw('<b>'), '<b>');
});

// ---------------------------------------------------------------- the demo capture

test('report of captures/demo.pcap shows what analyze finds', async () => {
  const want = await analyzeFile(DEMO);
  const rf = await collectFile(DEMO);
  const html = renderReport({ files: [rf], generatedAt: FIXED_TIME, version: 'test' });
  writeFileSync(join(tmp, 'demo.html'), html);
  const hb = want.heartbeats;
  const origin = want.capture.first!;
  const count = (needle: string): number => html.split(needle).length - 1;

  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.equal(count('<script'), 0);
  assert.doesNotMatch(html, /\b(?:src|href)="(?:https?:)?\/\//, 'nothing fetched from the network');
  assert.equal(count('<svg'), count('</svg>'));
  // Capture facts.
  assert.ok(html.includes(`>${want.capture.packets.toLocaleString('en-US')}<`), 'packet count');
  // One figure per pair, one interval plot per direction.
  assert.ok(hb.pairs.length > 0);
  assert.equal(count('<figure class="pair"'), hb.pairs.length);
  const directions = hb.pairs.reduce((n, p) => n + (p.aToB ? 1 : 0) + (p.bToA ? 1 : 0), 0);
  assert.equal(count('class="plot interval-plot"'), directions);
  for (const s of hb.streams) assert.ok(rf.intervals.series(s.key)!.intervals === s.received - 1, `${s.key}: one interval per heartbeat after the first`);
  // The failover: its time and last sequence number on the plot, the reset and its delay.
  const failovers = hb.events.filter((e) => e.type === 'failover');
  assert.ok(failovers.length > 0);
  for (const f of failovers) {
    assert.ok(html.includes(`FAILOVER +${(f.time - origin).toFixed(3)} s · last seq ${f.lastSeq}`), 'failover label');
    assert.ok(f.reset, 'the demo failover has its reset');
    assert.ok(html.includes(`RST +${f.reset.delayMs.toFixed(1)} ms`), 'reset label');
  }
  // Every heartbeat event in the timeline table, as the text report words it.
  for (const e of hb.events) assert.ok(html.includes(text(describeEvent(e, origin))), `${e.type} at ${e.time}`);
  for (const e of hb.events.filter((x) => x.type === 'restart')) assert.ok(html.includes(text(`restart ${e.fromSeq}→${e.toSeq}`)));
  // Calls: one row each and one ladder per Call-ID.
  const calls = want.sipAnalysis.calls.calls;
  assert.ok(calls.length > 0);
  const callIds = new Set(calls.map((c) => c.callId));
  assert.equal(count('<figure class="ladder-figure"'), callIds.size);
  for (const c of calls) {
    assert.ok(html.includes(`data-call-id="${text(c.callId)}"`), c.callId);
    const flow = rf.ladders.flow(c.callId)!;
    assert.equal(flow.messages.length, c.messages, `${c.callId}: the ladder has every message of the call`);
  }
  // DSCP: the violation analyze reports, with its class bar and counts.
  const bad = want.dscpAudit.flows.filter((f) => f.verdict === 'violation');
  assert.equal(bad.length, want.dscpAudit.totals.violation);
  assert.ok(bad.length > 0);
  for (const f of bad) assert.ok(html.includes(text(`${f.transport} ${f.flow}`)), f.flow);
  assert.equal(count('>VIOLATION<'), bad.length);
  for (const c of verdictsByClass(want.dscpAudit).filter((x) => x.packets.violating > 0)) {
    const total = c.packets.conforming + c.packets.alternative + c.packets.violating + c.packets.unenforced;
    assert.ok(html.includes(`${c.packets.violating.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} violating`), c.cls);
  }
  // The findings cards agree with the totals.
  assert.match(html, new RegExp(`card-value">${hb.totals.failovers}</div><div class="card-label">failovers`));
  assert.match(html, new RegExp(`card-value">${want.dscpAudit.totals.violation}</div><div class="card-label">DSCP violations`));
});

test('interval plot: marks and a stream whose intervals were not kept', () => {
  const svg = intervalPlot({
    title: 'x', series: null, start: 0, end: 10, nominalMs: 100, failoverSilenceMs: 550,
    marks: {
      losses: [{ from: 1, to: 1.6, label: '5 lost', detail: 'five' }],
      failovers: [{ time: 1.5, label: 'FAILOVER +1.500 s · last seq 9', detail: 'f' }],
      resets: [{ time: 1.53, label: 'RST +30.0 ms', detail: 'r' }],
      restarts: [{ time: 5, label: 'restart 9→0', detail: 's' }],
      recoveries: [{ time: 1.6, label: 'recovered', detail: 'v' }],
    },
  });
  for (const cls of ['class="loss"', 'class="failover"', 'class="reset-mark"', 'class="restart"', 'class="recovery-mark"', 'stream limit']) assert.ok(svg.includes(cls), cls);
});

// ---------------------------------------------------------------- hostile input

/** INVITE, 200 and BYE whose Call-ID, From, To and reason phrase carry markup, escape sequences and raw bytes. */
function writeHostileCapture(path: string): void {
  const w = new PcapWriter(path, { precision: 'us' });
  const a = { ip: '10.66.0.1', port: 5060 };
  const b = { ip: '10.66.0.2', port: 5060 };
  const callId = '<script>alert(1)</script>\u001b[2J@evil';
  const send = (sec: number, from: typeof a, to: typeof a, head: string, tail: Uint8Array = new Uint8Array(0)): void => {
    const payload = Buffer.concat([Buffer.from(head, 'latin1'), tail, Buffer.from('\r\n', 'latin1')]);
    const frame = buildUdpFrame({ src: Uint8Array.of(2, 0, ...parseIpv4(from.ip)), dst: Uint8Array.of(2, 0, ...parseIpv4(to.ip)) },
      { src: from.ip, dst: to.ip, dscp: 24, ttl: 64 }, { sport: from.port, dport: to.port, payload });
    w.writePacket(1_800_000_000 + sec, 0, frame);
  };
  const headers = (cseq: string, via: string): string => [
    `Via: SIP/2.0/UDP 10.66.0.1:5060;branch=${via}`,
    'From: "<img src=x onerror=alert(2)>" <sip:<b>mallory</b>@evil>;tag=t1',
    'To: <sip:\u001b]0;pwned\u0007bob@10.66.0.2>',
    `Call-ID: ${callId}`,
    `CSeq: ${cseq}`,
    'User-Agent: </svg><script>alert(4)</script>',
    'Content-Length: 0',
  ].join('\r\n');
  const garbage = Uint8Array.of(0x58, 0x2d, 0x47, 0x3a, 0x20, 0x00, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x0d, 0x0a);
  send(0, a, b, `INVITE sip:bob@10.66.0.2 SIP/2.0\r\n${headers('1 INVITE', 'z9hG4bK1')}\r\n`, garbage);
  send(1, b, a, `SIP/2.0 200 <script>alert(3)</script>\r\n${headers('1 INVITE', 'z9hG4bK1').replace('To: <sip:\u001b]0;pwned\u0007bob@10.66.0.2>', 'To: <sip:bob@10.66.0.2>;tag=t2')}\r\n`, garbage);
  send(3, a, b, `BYE sip:bob@10.66.0.2 SIP/2.0\r\n${headers('2 BYE', 'z9hG4bK2').replace('To: <sip:\u001b]0;pwned\u0007bob@10.66.0.2>', 'To: <sip:bob@10.66.0.2>;tag=t2')}\r\n`);
  w.close();
}

test('hostile SIP headers are escaped everywhere', async () => {
  const path = join(tmp, 'hostile.pcap');
  writeHostileCapture(path);
  const rf = await collectFile(path);
  const calls = rf.report.sipAnalysis.calls.calls;
  assert.equal(calls.length, 1, 'the call is still recognised');
  const html = renderReport({ files: [rf], generatedAt: FIXED_TIME, version: 'test' });
  writeFileSync(join(tmp, 'hostile.html'), html);
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /<b>mallory/);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'the Call-ID is shown, escaped');
  assert.ok(html.includes('\\x1b[2J'), 'the escape sequence is shown as text');
  assert.ok(html.includes('>200 &lt;script&gt;alert(3)&lt;/script&gt;</text>'), 'the reason phrase labels its arrow, escaped');
  assert.doesNotMatch(html, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffe\uffff]/, 'no control characters reach the document');
  assert.doesNotMatch(html, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, 'no lone surrogates');
  assert.equal(html.split('<svg').length, html.split('</svg>').length, 'every SVG closes: a header cannot end one early');
  assert.equal(html.split('<figure class="ladder-figure"').length - 1, 1);
});

// ---------------------------------------------------------------- bounds

test('a long capture: buckets and report size stay bounded', async () => {
  const short = join(tmp, 'short.pcap');
  const long = join(tmp, 'long.pcap');
  writeMixedCapture(short, { seconds: 120, calls: 0, heartbeatPairs: 1, seed: 3 });
  const summary = writeMixedCapture(long, { seconds: 3600, calls: 0, heartbeatPairs: 1, seed: 3 });
  assert.ok(summary.packets > 70_000);
  const a = await collectFile(short);
  const b = await collectFile(long);
  assert.equal(b.intervals.streamCount, 2);
  assert.ok(b.intervals.bucketsHeld <= 2 * MAX_BUCKETS, `${b.intervals.bucketsHeld} buckets held`);
  const series = b.intervals.series(b.report.heartbeats.streams[0].key)!;
  assert.ok(series.bucketSeconds > 2, 'an hour of heartbeats in coarser buckets');
  assert.equal(series.buckets.reduce((n, x) => n + x.count, 0), series.intervals);
  const small = renderReport({ files: [a], generatedAt: FIXED_TIME, version: 'test' }).length;
  const big = renderReport({ files: [b], generatedAt: FIXED_TIME, version: 'test' }).length;
  // 30 times the capture, about the same page: the plots have a column per pixel at most; the event table grows to its cap.
  assert.ok(big < 3 * small + 200_000, `${small} -> ${big} bytes`);
});

test('the interval collector ignores streams past its cap, counting them', () => {
  const c = new IntervalCollector(0.1, 2);
  const rec = (sport: number, t: number): Parameters<IntervalCollector['add']>[0] => ({
    tsSec: t, tsNsec: 0, app: 'mds-heartbeat', hb: { seq: t, byteOrder: 'le' },
    ip: { src: '10.0.0.1', dst: '10.0.0.2' }, sport, dport: 39601,
  }) as unknown as Parameters<IntervalCollector['add']>[0];
  for (let t = 0; t < 5; t++) for (const p of [1, 2, 3, 4]) c.add(rec(p, t));
  assert.equal(c.streamCount, 2);
  assert.equal(c.untracked, 2);
});

// ---------------------------------------------------------------- the command line

// The CLI runs from dist/ (npm test builds it first). Outside CI, a dist/ built before main.ts
// registered the command is skipped with a note; in CI the command must be there.
const mainJs = join(REPO, 'dist', 'src', 'cli', 'main.js');
const registered = existsSync(mainJs) && readFileSync(mainJs, 'utf8').includes('addReportCommand');
const ci = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
const cliSkip = registered || ci ? false : 'dist/src/cli/main.js has no `report` command: build after main.ts registers addReportCommand (npm test builds)';

test('cli: report writes the file and names it on stderr', { skip: cliSkip }, () => {
  const out = join(tmp, 'cli.html');
  const r = runCli(['report', DEMO, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^ucprobe: wrote .*cli\.html \(\d+\.\d (KiB|MiB), 1 capture\)$/);
  const size = statSync(out).size;
  assert.equal(lines[0].match(/\((\d+\.\d) KiB/)?.[1], (size / 1024).toFixed(1));
  assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
});

test('cli: -o - writes to stdout; several files give one section each', { skip: cliSkip }, () => {
  const r = runCli(['report', DEMO, DEMO, '-o', '-', '--sip-timeout', '4s', '--hb-threshold', '5']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^<!DOCTYPE html>/);
  assert.equal(r.stdout.split('<section class="capture-file"').length - 1, 2);
  assert.match(r.stderr, /^ucprobe: wrote the report to stdout \(.*, 2 captures\)\n$/);
});

test('cli: bad input is one line and exit 2', { skip: cliSkip }, () => {
  const notCapture = join(tmp, 'notes.txt');
  writeFileSync(notCapture, 'not a capture\n');
  for (const args of [
    ['report', notCapture, '-o', join(tmp, 'x.html')],
    ['report', join(tmp, 'missing.pcap'), '-o', join(tmp, 'x.html')],
    ['report', DEMO, '-o', join(tmp, 'no', 'such', 'dir', 'x.html')],
    ['report', DEMO, '-o', join(tmp, 'x.html'), '--policy', join(tmp, 'missing.yaml')],
    ['report', DEMO, '-o', join(tmp, 'x.html'), '--sip-timeout', 'soon'],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], /^ucprobe: /);
  }
  assert.ok(!existsSync(join(tmp, 'x.html')), 'nothing written on bad input');
  // A capture that breaks off mid-way: the report of what came before is written, the one line says both.
  const demo = readFileSync(DEMO);
  let off = 24;
  for (let n = 1; n < 2000; n++) off += 16 + demo.readUInt32LE(off + 8);
  const corrupt = Buffer.from(demo);
  corrupt.writeUInt32LE(999_999, off + 8);
  writeFileSync(join(tmp, 'corrupt.pcap'), corrupt);
  const partial = runCli(['report', join(tmp, 'corrupt.pcap'), '-o', join(tmp, 'partial.html')]);
  assert.equal(partial.status, 2);
  assert.equal(partial.stderr.trim().split('\n').length, 1, partial.stderr);
  assert.match(partial.stderr, /^ucprobe: .*record 2000 .*corrupt.*; what was read before it is in .*partial\.html \(\d+\.\d KiB\)\n$/);
  assert.match(readFileSync(join(tmp, 'partial.html'), 'utf8'), /could not be read to the end/);
  // A missing -o is commander's usage error, worded (with its help hint) as for every command.
  const noOutput = runCli(['report', DEMO]);
  assert.equal(noOutput.status, 2);
  assert.match(noOutput.stderr, /^ucprobe: error: required option '-o, --output <file>' not specified/);
});
