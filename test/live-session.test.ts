// The live session on injected time: the same detector as `analyze`, so the
// states the UI shows (OK, MISSING n, FAILED, RESTARTED) change at exactly
// the deadlines the five-miss model sets, and a whole capture seen through the
// session tells what `analyze` tells.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FrameInfo } from '../dissectors/types.js';
import { TCP_ACK, TCP_RST } from '../dissectors/types.js';
import { LINKTYPE_ETHERNET } from '../dissectors/link.js';
import { LiveSession } from '../src/live/session.js';
import type { LiveEvent, LiveSnapshot } from '../src/live/view-model.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { replayPaced } from '../src/sources/paced-replay.js';
import { RingCaptureWriter } from '../src/writer/ring-writer.js';
import { buildTcpFrame, buildUdpFrame, heartbeatPayload, type EthernetSpec } from '../src/writer/frame-builder.js';
import { REPO } from './helpers.js';
import { writeScenarioCapture } from './media-scenarios.js';
import { fileSource } from '../src/live/sources.js';
import { START_SEC, lbFrames, meshFrames, pagingFrames, writeFrames } from './cluster-fixtures.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const ETH: EthernetSpec = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const T0 = Date.UTC(2026, 10, 24, 10, 0, 0) / 1000;
const A = '10.1.0.1';
const B = '10.1.0.2';

let frameNo = 0;
function info(t: number, len: number): FrameInfo {
  const tsSec = Math.floor(t);
  return { frame: ++frameNo, tsSec, tsNsec: Math.round((t - tsSec) * 1e6) * 1000, caplen: len, len, linkType: LINKTYPE_ETHERNET, iface: 0 };
}

function heartbeat(s: LiveSession, t: number, seq: number, src = A, dst = B): void {
  const f = buildUdpFrame(ETH, { src, dst, dscp: 26 }, { sport: 39500, dport: 39500, payload: heartbeatPayload(seq, 'le') });
  s.frame(info(t, f.length), f);
}

function reset(s: LiveSession, t: number): void {
  const f = buildTcpFrame(ETH, { src: B, dst: A }, { sport: 40000, dport: 39610, seq: 1, ack: 1, flags: TCP_RST | TCP_ACK, window: 0, payload: new Uint8Array(0) });
  s.frame(info(t, f.length), f);
}

function direction(snap: LiveSnapshot, stream: string) {
  const d = snap.heartbeats.flatMap((p) => p.directions).find((x) => x.stream === stream);
  assert.ok(d, `stream ${stream} in the snapshot`);
  return d;
}

function session(events: LiveEvent[] = []): LiveSession {
  return new LiveSession({ source: { kind: 'interface', name: 'test0', filter: null }, onEvent: (e) => events.push(e) });
}

const AB = `${A}:39500>${B}:39500`;

test('heartbeat states follow the five-miss deadlines on injected time', () => {
  const events: LiveEvent[] = [];
  const s = session(events);
  for (let i = 0; i < 10; i++) heartbeat(s, T0 + i * 0.1, i);
  const last = T0 + 0.9;
  let d = direction(s.snapshot(last + 0.05), AB);
  assert.equal(d.state, 'ok');
  assert.equal(d.lastSeq, 9);
  assert.equal(d.received, 10);
  assert.ok(Math.abs(d.lastIntervalMs! - 100) < 0.01);
  assert.equal(d.recentMs.length, 9);
  // k-th miss counts at last + 100 ms + (k-1)·100 ms + 50 ms grace.
  for (let k = 1; k <= 4; k++) {
    const due = last + 0.1 + (k - 1) * 0.1 + 0.05;
    assert.equal(direction(s.snapshot(due - 0.001), AB).misses, k - 1, `before miss ${k}`);
    d = direction(s.snapshot(due + 0.001), AB);
    assert.equal(d.misses, k);
    assert.equal(d.state, 'missing');
  }
  assert.equal(events.filter((e) => e.kind === 'failover').length, 0, 'no failover at 4 misses');
  d = direction(s.snapshot(last + 0.551), AB);
  assert.equal(d.state, 'failed');
  assert.equal(d.misses, 5);
  const failovers = events.filter((e) => e.kind === 'failover');
  assert.equal(failovers.length, 1);
  assert.equal(failovers[0].subject, AB);
  assert.ok(Math.abs(failovers[0].time - (last + 0.5)) < 1e-6, 'failover at the fifth deadline');
  // The reset that follows is tied to it; the snapshot lists events newest first.
  reset(s, last + 0.52);
  const snap = s.snapshot(last + 0.6);
  const newestReset = snap.events.find((e) => e.kind.endsWith('reset'))!;
  assert.equal(newestReset.kind, 'reset');
  assert.match(newestReset.text, /20\.000 ms after the failover/);
  // Heartbeats come back from 0: recovery, then RESTARTED until ten seconds pass.
  heartbeat(s, last + 1, 0);
  heartbeat(s, last + 1.1, 1);
  d = direction(s.snapshot(last + 1.15), AB);
  assert.equal(d.state, 'restarted');
  assert.equal(d.misses, 0);
  assert.ok(events.some((e) => e.kind === 'recovery'));
  assert.ok(events.some((e) => e.kind === 'restart' && /restarted/.test(e.text)));
  for (let i = 2; i < 120; i++) heartbeat(s, last + 1 + i * 0.1, i);
  assert.equal(direction(s.snapshot(last + 1 + 11.95), AB).state, 'ok');
});

test('a reset before the failover is declared (within the grace) is still tied to it', () => {
  const events: LiveEvent[] = [];
  const s = session(events);
  for (let i = 0; i < 5; i++) heartbeat(s, T0 + i * 0.1, i);
  const last = T0 + 0.4;
  reset(s, last + 0.53); // after the fifth deadline, before deadline + grace
  s.tick(last + 0.6);
  const kinds = events.map((e) => e.kind);
  assert.deepEqual(kinds, ['failover', 'reset']);
  assert.match(events[1].text, /30\.000 ms after the failover/);
  // A reset with no failover at all is reported once none can claim it any more: a run proven
  // by sequence numbers is declared up to the reorder window (1 s) after its deadline + grace.
  reset(s, last + 5);
  s.tick(last + 6);
  assert.equal(events.at(-1)!.kind, 'reset');
  s.tick(last + 6.2);
  assert.equal(events.at(-1)!.kind, 'unexplained-reset');
});

test('the demo capture seen through the session tells what analyze tells', async () => {
  const events: LiveEvent[] = [];
  const s = new LiveSession({ source: { kind: 'file', name: DEMO, filter: null }, onEvent: (e) => events.push(e) });
  const facts = await readCapture(DEMO, s.frame);
  s.end();
  const snap = s.snapshot(facts.lastTs!);
  const report = await analyzeFile(DEMO);
  assert.equal(snap.packets, report.capture.packets);
  assert.equal(snap.ended, true);
  const dirs = snap.heartbeats.flatMap((p) => p.directions);
  assert.equal(dirs.length, report.heartbeats.streams.length);
  for (const st of report.heartbeats.streams) {
    const d = dirs.find((x) => x.stream === st.key)!;
    assert.deepEqual([d.lastSeq, d.received, d.lost, d.failovers, d.restarts], [st.lastSeq, st.received, st.lost, st.failovers, st.restarts], st.key);
  }
  const failover = report.heartbeats.events.find((e) => e.type === 'failover')!;
  const live = events.find((e) => e.kind === 'failover')!;
  assert.equal(live.time, failover.time);
  assert.equal(live.subject, failover.stream);
  const resetEv = events.find((e) => e.kind === 'reset')!;
  assert.match(resetEv.text, /30\.000 ms after the failover/);
  assert.equal(events.filter((e) => e.kind === 'unexplained-reset').length, 0);
  assert.equal(snap.calls.length, report.sipAnalysis.calls.calls.length);
  assert.deepEqual(snap.calls.map((c) => c.state).sort(), report.sipAnalysis.calls.calls.map((c) => c.state).sort());
  assert.deepEqual(snap.keepalives.filter((k) => k.unhealthy).map((k) => `${k.requester}>${k.responder}`), report.sipAnalysis.keepalives.filter((k) => k.unhealthy).map((k) => `${k.requester}>${k.responder}`));
  assert.equal(snap.dscpTotals.violation, report.dscpAudit.totals.violation);
  assert.equal(snap.dscp[0].verdict, 'violation');
  assert.equal(events.filter((e) => e.kind === 'dscp-violation').length, report.dscpAudit.totals.violation);
  // Every call has its ladder, starting with its INVITE.
  for (const c of snap.calls) assert.equal(s.ladder(c.callId)?.messages[0].label, 'INVITE', c.callId);
  // Its messages as sent, searchable: a Via branch is in the one call's INVITE and the answers that copy that Via.
  const call = '64d2f5e2afaefa72@10.30.0.102';
  assert.match(s.rawMessage(call, 0) ?? '', /^INVITE sip:8002@10\.20\.0\.10 SIP\/2\.0\r\nVia: SIP\/2\.0\/UDP 10\.30\.0\.102:5060;branch=z9hG4bK0846f321889f\r\n/);
  const found = s.searchMessages(/z9hG4bK0846f321889f/i);
  assert.deepEqual([...found.keys()], [call]);
  assert.deepEqual(found.get(call)!.map((i) => s.ladder(call)!.messages[i].label), ['INVITE', '100 Trying', 'INVITE', '100 Trying', '180 Ringing', '180 Ringing', '200 OK', '200 OK']);
  assert.deepEqual(s.searchMessages(/z9hG4bK0846f321889f/i), found, 'asked again: the same');
  assert.equal(s.rawMessage(call, 99), null);
});

test('replay hands every frame on, in order, at the requested pace', async () => {
  const frames: number[] = [];
  const started = performance.now();
  const r = replayPaced(DEMO, (i) => frames.push(i.frame), { speed: 60 });
  const facts = await r.done;
  const took = (performance.now() - started) / 1000;
  assert.equal(frames.length, facts.packets);
  assert.deepEqual(frames.slice(0, 5), [1, 2, 3, 4, 5]);
  assert.ok(frames.every((f, i) => f === i + 1));
  const span = (facts.lastTs! - facts.firstTs!) / 60;
  assert.ok(took >= span * 0.95, `took ${took.toFixed(2)} s for a ${span.toFixed(2)} s replay`);
  assert.ok(r.now()! >= facts.lastTs!);
});

test('-w rotation: files roll at the size and a ring keeps the newest n, each a readable capture', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-ring-'));
  try {
    const w = new RingCaptureWriter({ path: join(dir, 'out.pcapng'), maxBytes: 20_000, ring: 2, ifaceName: 'lo' });
    await readCapture(DEMO, (i, b) => w.write(i, b));
    w.close();
    const files = readdirSync(dir).sort();
    assert.equal(files.length, 2);
    assert.deepEqual(files.map((f) => join(dir, f)), w.files);
    for (const f of files) assert.match(f, /^out_\d{5}_\d{14}\.pcapng$/);
    const seq = files.map((f) => Number(f.slice(4, 9)));
    assert.equal(seq[1], seq[0] + 1);
    let last: number[] = [];
    for (const f of w.files) {
      const got: number[] = [];
      await readCapture(f, (i) => got.push(i.tsSec * 1e9 + i.tsNsec));
      assert.ok(got.length > 0);
      last = got;
    }
    // The newest file ends with the capture's last packet.
    const all: number[] = [];
    await readCapture(DEMO, (i) => all.push(i.tsSec * 1e9 + i.tsNsec));
    assert.equal(last.at(-1), all.at(-1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the session measures RTP as analyze does: the scripted impairments capture, stream by stream, worst first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-live-media-'));
  try {
    const path = join(dir, 'media.pcap');
    writeScenarioCapture(path);
    const s = new LiveSession({ source: { kind: 'file', name: path, filter: null } });
    const facts = await readCapture(path, s.frame);
    s.end();
    const media = s.snapshot(facts.lastTs!).media;
    const report = await analyzeFile(path);
    assert.ok(report.rtp.streams.length >= 5, `${report.rtp.streams.length} streams`);
    assert.deepEqual(media.totals, report.rtp.totals);
    assert.deepEqual([...media.streams].sort((a, b) => (a.key < b.key ? -1 : 1)), [...report.rtp.streams].sort((a, b) => (a.key < b.key ? -1 : 1)));
    // Worst first: scored streams by MOS, the unscored after them.
    const mos = media.streams.map((x) => x.quality?.mos ?? Infinity);
    assert.deepEqual(mos, [...mos].sort((a, b) => a - b));
    assert.ok(mos[0] < 4, `the worst stream first: MOS ${mos[0]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file source reads on the event loop and says how far it has got', async () => {
  const s = new LiveSession({ source: { kind: 'file', name: DEMO, filter: null } });
  const src = fileSource(DEMO, s.frame);
  // Nothing read before the event loop turns: the view can draw its first frame.
  assert.deepEqual(src.loading(), { percent: 0, packets: 0 });
  const seen: number[] = [];
  const timer = setInterval(() => seen.push(src.loading()?.packets ?? -1), 1);
  assert.equal(await src.ended, null);
  clearInterval(timer);
  assert.equal(src.loading(), null);
  assert.equal(s.packets, 4170);
  assert.equal(src.now(), src.facts.lastTs);
  assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1] || n === -1), 'packets only grow');
  const bad = fileSource('/etc/passwd', s.frame);
  assert.match((await bad.ended) ?? '', /not a pcap or pcapng file/);
});

test('the session carries the cluster views: the mesh link reset at 20 s shows down, then up from 25 s, with its events; at the end as analyze says', async () => {
  const frames = [...meshFrames(), ...lbFrames(), ...pagingFrames()].sort((a, b) => a.t - b.t);
  const events: LiveEvent[] = [];
  const s = new LiveSession({ source: { kind: 'file', name: 'cluster', filter: null }, onEvent: (e) => events.push(e) });
  const feed = (until: number): void => {
    while (frames.length && frames[0].t <= until) {
      const f = frames.shift()!;
      s.frame(info(CLUSTER_START + f.t, f.frame.length), f.frame);
    }
  };
  feed(22);
  const mid = s.snapshot(CLUSTER_START + 22).cluster;
  assert.equal(mid.nodes, 8);
  assert.equal(mid.linksTotal, 28);
  // Open connections count as up while the capture goes on; 1-8 is down since its reset, 3-7 never came up.
  assert.equal(mid.linksUp, 26);
  assert.deepEqual(mid.linksNotUp, [
    { a: '10.1.0.1', b: '10.1.0.8', state: 'reset', since: CLUSTER_START + 20, resets: 1 },
    { a: '10.1.0.3', b: '10.1.0.7', state: 'missing', since: null, resets: 0 },
  ]);
  assert.deepEqual(events.filter((e) => e.kind.startsWith('mesh')).map((e) => [e.kind, e.subject, e.time - CLUSTER_START]), [
    ['mesh-link-down', '10.1.0.1 <> 10.1.0.8', 20],
  ]);
  feed(Infinity);
  s.end();
  const last = s.snapshot(CLUSTER_START + 60);
  const end = last.cluster;
  const report = await analyzeCluster();
  // The health-check probes are left to their own rules, as analyze leaves them.
  assert.deepEqual(last.dscpTotals, report.dscpAudit.totals);
  assert.ok(last.dscpTotals.healthCheckFlows > 0);
  assert.equal(end.linksUp, report.cluster.mesh.links.filter((l) => l.state === 'up').length);
  assert.deepEqual(end.linksNotUp.map((l) => `${l.a}-${l.b} ${l.state}`), ['10.1.0.2-10.1.0.5 reset', '10.1.0.3-10.1.0.7 missing']);
  assert.equal(end.linksNotUp[0].since, CLUSTER_START + 30);
  // Up again when the new connection's SYN-ACK comes, 1 ms after its SYN.
  assert.deepEqual(events.filter((e) => e.kind.startsWith('mesh')).map((e) => [e.kind, e.subject, Math.round((e.time - CLUSTER_START) * 1000)]), [
    ['mesh-link-down', '10.1.0.1 <> 10.1.0.8', 20000],
    ['mesh-link-up', '10.1.0.1 <> 10.1.0.8', 25001],
    ['mesh-link-down', '10.1.0.2 <> 10.1.0.5', 30000],
  ]);
  // The health checks failing: node .12 refuses from 30 s.
  assert.deepEqual(end.failingChecks.map((h) => [h.checker, h.target, h.refused]), report.cluster.healthChecks.filter((h) => h.failed > 0).map((h) => [h.checker, h.target, h.refused]));
  assert.deepEqual(end.failingChecks.map((h) => h.target), ['10.2.0.12']);
  assert.deepEqual(end.multicast.map((g) => [g.group, g.members, g.streams, g.silentMembers, g.unjoinedStreams, g.unmarkedStreams]), [
    ['239.1.1.1', 2, 1, 0, 0, 0],
    ['239.1.1.2', 1, 0, 1, 0, 0],
    ['239.1.1.9', 0, 1, 0, 1, 1],
    ['ff15::1:1', 1, 1, 0, 0, 0],
  ]);
});

const CLUSTER_START = START_SEC;

async function analyzeCluster(): Promise<Awaited<ReturnType<typeof analyzeFile>>> {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-live-cluster-'));
  try {
    const path = join(dir, 'cluster.pcap');
    writeFrames(path, [...meshFrames(), ...lbFrames(), ...pagingFrames()]);
    return await analyzeFile(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
