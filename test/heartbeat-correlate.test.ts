// `analyze a.pcap b.pcap --correlate`: two captures of one heartbeat pair,
// one near each host, written by the project's writer from a scripted truth
// (clock offset, path delay, what was never sent, what the wire lost).

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../src/writer/pcap-writer.js';
import { buildUdpFrame, heartbeatPayload } from '../src/writer/frame-builder.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { correlate, VantageCollector } from '../src/heartbeat/correlate.js';
import { runCli } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-correlate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const A = { ip: '10.20.1.1', port: 39600, mac: '02:00:00:00:01:01' };
const B = { ip: '10.20.2.1', port: 39601, mac: '02:00:00:00:02:01' };
const T0 = 1_780_000_000;

interface Direction {
  from: typeof A;
  to: typeof A;
  firstSeq: number;
  count: number;
  /** Not sent at all: absent from both captures. */
  neverSent?: number[];
  /** Sent, lost on the wire: only near the sender. */
  wireLoss?: number[];
  /** Reached the receiver, but the sender-side capture dropped it. */
  senderCaptureMiss?: number[];
}

interface Scenario {
  /** Capture B's clock minus capture A's, seconds. */
  offset: number;
  /** One-way path delay in seconds for heartbeat i. */
  delay: (i: number) => number;
  /** TTL as sent, and hops between the hosts (a receiver-side capture sees ttl - hops). */
  ttl: number;
  hops: number;
  /** Heartbeats before this index are not in capture B (it started late). */
  bStartsAt?: number;
  dirs: Direction[];
}

/** Write both captures; each packet appears near its sender at send time and near its receiver after the delay. */
function writeScenario(name: string, s: Scenario): [string, string] {
  const paths: [string, string] = [join(tmp, `${name}-A.pcap`), join(tmp, `${name}-B.pcap`)];
  const rows: Array<Array<{ t: number; frame: Uint8Array }>> = [[], []];
  for (const d of s.dirs) {
    const sideOf = (host: typeof A): 0 | 1 => (host === A ? 0 : 1);
    for (let i = 0; i < d.count; i++) {
      const seq = d.firstSeq + i;
      if (d.neverSent?.includes(seq)) continue;
      const sent = T0 + i * 0.1 + (d.from === A ? 0 : 0.037);
      const frame = (ttl: number) => buildUdpFrame(
        { src: d.from.mac, dst: d.to.mac },
        { src: d.from.ip, dst: d.to.ip, dscp: 26, ttl },
        { sport: d.from.port, dport: d.to.port, payload: heartbeatPayload(seq, 'le') },
      );
      const near = sideOf(d.from);
      const far = sideOf(d.to);
      const clock = (side: 0 | 1, t: number) => t + (side === 1 ? s.offset : 0);
      const inCapture = (side: 0 | 1) => side === 0 || i >= (s.bStartsAt ?? 0);
      if (!d.senderCaptureMiss?.includes(seq) && inCapture(near)) rows[near].push({ t: clock(near, sent), frame: frame(s.ttl) });
      if (!d.wireLoss?.includes(seq) && inCapture(far)) rows[far].push({ t: clock(far, sent + s.delay(i)), frame: frame(s.ttl - s.hops) });
    }
  }
  for (const [k, path] of paths.entries()) {
    const w = new PcapWriter(path, { precision: 'ns' });
    for (const r of rows[k].sort((x, y) => x.t - y.t)) {
      const sec = Math.floor(r.t);
      w.writePacket(sec, Math.round((r.t - sec) * 1e9), r.frame);
    }
    w.close();
  }
  return paths;
}

async function run(paths: [string, string]) {
  const [va, vb] = paths.map((p) => new VantageCollector(p));
  await analyzeFile(paths[0], {}, {}, [va.add]);
  await analyzeFile(paths[1], {}, {}, [vb.add]);
  return correlate(va, vb);
}

const pair = (): Direction[] => [
  { from: A, to: B, firstSeq: 5000, count: 300, neverSent: [5100, 5101, 5102], wireLoss: [5150, 5151, 5152, 5153, 5154] },
  { from: B, to: A, firstSeq: 9000, count: 300, wireLoss: [9200], senderCaptureMiss: [9250] },
];

test('same TTL both sides: sender side from the two delays, offset and one-way delay recovered', async () => {
  const c = await run(writeScenario('delay', { offset: 0.25, delay: (i) => 0.002 + (i % 5) * 0.0001, ttl: 64, hops: 0, dirs: pair() }));
  assert.equal(c.clockOffsetMs, 250);
  assert.deepEqual(c.onlyIn, []);
  const [ab, ba] = [c.streams.find((s) => s.src === A.ip)!, c.streams.find((s) => s.src === B.ip)!];
  assert.equal(ab.decidedBy, 'delay');
  assert.equal(ab.senderFile, c.files[0]);
  assert.equal(ab.compared, 300);
  assert.equal(ab.matched, 292);
  assert.equal(ab.lostOnWire, 5);
  assert.equal(ab.neverSent, 3);
  assert.equal(ab.missedBySenderCapture, 0);
  assert.ok(ab.offsetCorrected);
  assert.deepEqual([ab.delayMs!.min, ab.delayMs!.max], [2, 2.4]);
  assert.equal(ba.senderFile, c.files[1]);
  assert.equal(ba.lostOnWire, 1);
  assert.equal(ba.neverSent, 0);
  assert.equal(ba.missedBySenderCapture, 1);
  assert.equal(ba.matched, 298);
  assert.deepEqual([ba.delayMs!.min, ba.delayMs!.max], [2, 2.4]);
});

test('a router between the hosts: the capture with the higher TTL is near the sender', async () => {
  // Offset larger than the delay and negative: only TTL or the pair tell the sides apart.
  const c = await run(writeScenario('ttl', { offset: -3.5, delay: () => 0.004, ttl: 128, hops: 2, dirs: pair() }));
  const ab = c.streams.find((s) => s.src === A.ip)!;
  assert.equal(ab.decidedBy, 'ttl');
  assert.equal(ab.senderFile, c.files[0]);
  assert.equal(c.clockOffsetMs, -3500);
  assert.equal(ab.delayMs!.p50, 4);
});

test('a capture that started late is not loss; a one-way stream reports delay with the offset in it', async () => {
  const c = await run(writeScenario('late', {
    offset: 0.1, delay: () => 0.003, ttl: 64, hops: 1, bStartsAt: 50,
    dirs: [{ from: A, to: B, firstSeq: 70, count: 200, wireLoss: [150, 151] }],
  }));
  const ab = c.streams[0];
  assert.equal(c.clockOffsetMs, null);
  assert.equal(ab.compared, 150);
  assert.equal(ab.lostOnWire, 2);
  assert.equal(ab.offsetCorrected, false);
  assert.equal(ab.delayMs!.min, 103);
});

test('CLI: --correlate adds the section and the JSON; it needs exactly two captures', () => {
  const [a, b] = writeScenario('cli', { offset: 0.25, delay: () => 0.002, ttl: 64, hops: 0, dirs: pair() });
  const text = runCli(['analyze', a, b, '--correlate']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /clock offset 250\.000 ms/);
  assert.match(text.stdout, /10\.20\.1\.1:39600>10\.20\.2\.1:39601\s+A->B\s+delay\s+300\s+292\s+5\s+3\s+0/);
  const json = JSON.parse(runCli(['analyze', a, b, '--correlate', '--json']).stdout);
  assert.equal(json.correlation.streams.length, 2);
  assert.equal(json.files.length, 2);
  const one = runCli(['analyze', a, '--correlate']);
  assert.equal(one.status, 2);
  assert.match(one.stderr, /^ucprobe: --correlate: expected two captures/);
});
