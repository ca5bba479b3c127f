// `ucprobe replay`: the captured streams come back as generator slots on the
// capture's clock (scaled by --speed, gaps kept, loss models on top), and a
// replay of the demo to a live monitor tells the same heartbeat story as
// analyze told of the capture, as does the replay's own --write record.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { collectHeartbeatStreams, ReplayError, ReplaySource, seqAt, type CapturedStream } from '../src/generator/replay-source.js';
import type { Impairments, Slot } from '../src/generator/impairments.js';
import { replaySpecs, selectStreams } from '../src/cli/replay.js';
import { UsageError } from '../src/common/errors.js';
import { Monitor } from '../src/monitor/monitor.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import type { HeartbeatEvent } from '../src/heartbeat/events.js';
import { MS, patternDir, writePatternCapture, type Pattern } from './heartbeat-patterns.js';
import { REPO, runCli } from './helpers.js';

const dir = patternDir('ucprobe-replay-');
after(() => dir.cleanup());
const DEMO = join(REPO, 'captures', 'demo.pcap');

// A: little-endian, five lost in the capture. B: big-endian across the 2^32 wrap, starting 30 ms later, jittered.
const PATTERN: Pattern = {
  streams: [
    { src: '10.0.0.1', dst: '10.0.0.2', sport: 39600, dport: 39601, startSeq: 1000, count: 50, drop: [[10, 14]] },
    { src: '10.0.0.2', dst: '10.0.0.1', sport: 39601, dport: 39600, byteOrder: 'be', startSeq: 0xfffffff0, startMs: 30, count: 40, jitterMs: 2, seed: 7 },
  ],
};
const patternFile = dir.file('pattern.pcap');
const expanded = writePatternCapture(patternFile, PATTERN);

function drain(s: ReplaySource): Slot[] {
  const out: Slot[] = [];
  for (let x = s.next(); x; x = s.next()) out.push(x);
  return out;
}

test('collect: the streams, in capture order, with their order, counts and raw bytes', async () => {
  const cs = await collectHeartbeatStreams(patternFile);
  assert.deepEqual(cs.streams.map((s) => [s.key, s.byteOrder, s.count]), [
    ['10.0.0.1:39600>10.0.0.2:39601', 'le', 45],
    ['10.0.0.2:39601>10.0.0.1:39600', 'be', 40],
  ]);
  // The first B heartbeat was decoded before its order settled; the raw bytes still give its number.
  const b = cs.streams[1];
  assert.deepEqual(Array.from({ length: b.count }, (_, i) => seqAt(b, i)), expanded.streams[1].seqs);
  await assert.rejects(collectHeartbeatStreams(patternFile, {}, 60), (e: Error) => e instanceof ReplayError && /more than 60 heartbeats/.test(e.message));
});

test('ReplaySource: capture timing scaled by speed, sequence numbers and gaps kept, one clock for all streams', async () => {
  const cs = await collectHeartbeatStreams(patternFile);
  const [a, b] = cs.streams;
  const t0 = Math.min(a.times[0], b.times[0]);
  const firstUs = Math.min(...expanded.arrivals.map((x) => x.us));
  const arrivalsOf = (stream: number) => expanded.arrivals.filter((x) => x.stream === stream);
  for (const speed of [1, 4, 0.5]) {
    for (const [i, s] of [a, b].entries()) {
      const slots = drain(new ReplaySource(s, { t0, speed }));
      const want = arrivalsOf(i);
      assert.deepEqual(slots.map((x) => x.seq), want.map((x) => x.seq), `stream ${i} seqs`);
      for (const [k, x] of slots.entries()) {
        assert.ok(Math.abs(x.atMs - (want[k].us - firstUs) / MS / speed) < 1e-6, `stream ${i} slot ${k} at ${x.atMs} ms, speed ${speed}`);
        assert.deepEqual(x.sendAtMs, [x.atMs]);
        assert.equal(x.withheld, null);
      }
    }
  }
  // The five the capture never saw stay missing: 1009 is followed by 1015.
  const seqs = drain(new ReplaySource(a, { t0, speed: 1 })).map((x) => x.seq);
  assert.equal(seqs[seqs.indexOf(1009) + 1], 1015);
  // B starts 30 ms (±2 ms jitter) after A, on the shared clock.
  const bFirst = drain(new ReplaySource(b, { t0, speed: 2 }))[0].atMs;
  assert.ok(bFirst > 14 && bFirst < 16, `B starts at ${bFirst} ms at speed 2`);
  // --byte-order: the same numbers, the other bytes.
  const be = new ReplaySource(a, { t0, speed: 1, byteOrder: 'be' });
  assert.equal(be.byteOrder, 'be');
  assert.equal(be.next()!.seq, 1000);
});

test('ReplaySource: loss models on capture time, scaled with the rest', async () => {
  const cs = await collectHeartbeatStreams(patternFile);
  const a: CapturedStream = cs.streams[0];
  const t0 = a.times[0];
  const run = (imp: Impairments, speed = 4) => drain(new ReplaySource(a, { t0, speed, impairments: imp }));
  const dropped = run({ drop: [[1020, 1022]] });
  assert.deepEqual(dropped.filter((s) => s.withheld).map((s) => [s.seq, s.withheld, s.sendAtMs.length]), [[1020, 'drop', 0], [1021, 'drop', 0], [1022, 'drop', 0]]);
  assert.equal(dropped.filter((s) => !s.withheld).length, 42);
  // A burst at 3 s of capture time hits heartbeat 30 (seq 1030) at any speed: 750 ms into a speed-4 replay.
  const burst = run({ bursts: [{ count: 2, atMs: 3000 }] }).filter((s) => s.withheld);
  assert.deepEqual(burst.map((s) => [s.seq, s.withheld]), [[1030, 'burst'], [1031, 'burst']]);
  assert.ok(Math.abs(burst[0].atMs - 750) < 1e-6);
  // 20 ms of capture delay is 5 ms at speed 4.
  for (const s of run({ delayMs: 20 })) assert.ok(Math.abs(s.sendAtMs[0] - s.atMs - 5) < 1e-6);
  assert.equal(run({ duplicate: 1 }).every((s) => s.sendAtMs.length === 2), true);
  assert.deepEqual(run({ loss: 0.2, seed: 3 }).map((s) => s.withheld), run({ loss: 0.2, seed: 3 }).map((s) => s.withheld), 'a seed repeats the run');
});

test('stream selection and specs: keys or --list numbers, one source port per stream, seeds apart', async () => {
  const cs = await collectHeartbeatStreams(patternFile);
  const [a, b] = cs.streams;
  assert.deepEqual(selectStreams(cs, [], 'p'), [a, b]);
  assert.deepEqual(selectStreams(cs, ['2'], 'p'), [b]);
  assert.deepEqual(selectStreams(cs, [b.key, '1', '2'], 'p'), [a, b], 'capture order, once each');
  assert.throws(() => selectStreams(cs, ['10.0.0.9:1>10.0.0.1:2'], 'p'), (e: Error) => e instanceof UsageError && e.message.includes(`1 ${a.key}, 2 ${b.key}`));
  assert.throws(() => selectStreams(cs, ['3'], 'p'), UsageError);
  const specs = replaySpecs([a, b], { host: '127.0.0.1', port: 9, sourcePort: 40000, speed: 2, dscp: 'keep', impairments: { loss: 0.1, seed: 5 } });
  assert.deepEqual(specs.map((s) => [s.name, s.sourcePort, s.byteOrder, s.startSeq, s.count, s.dscp, s.impairments?.seed]), [
    [a.key, 40000, 'le', 1000, 45, 0, 5],
    [b.key, 40001, 'be', 0xfffffff0, 40, 0, 6],
  ]);
  assert.throws(() => replaySpecs([a, b], { host: 'h', port: 9, sourcePort: 65535, speed: 1 }), /past 65535/);
});

/** The CLI, without blocking this process's event loop (the monitor lives here). */
function runCliAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), ...args]);
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => p.on('close', (status) => resolve({ status, stdout, stderr })));
}

interface ReplayJson {
  speed: number;
  sendErrorMs: { p50: number; p99: number; max: number } | null;
  streams: Array<{ captured: string; sport: number; dport: number; heartbeats: number; sent: number }>;
}

/**
 * The events that must survive a replay, per stream, as text. TCP resets are
 * not replayed; the silence after the replay's last heartbeat is the replay
 * ending (an open-ended loss), and a miss with no sequence number lost is a
 * scheduling hiccup on a loaded machine (12.5 ms of grace at speed 4), not
 * something the capture held.
 */
function story(events: HeartbeatEvent[], stream: string): string[] {
  return events.filter((e) => e.stream === stream).flatMap((e) => {
    switch (e.type) {
      case 'loss': return e.nextSeq === null || e.lost === 0 ? [] : [`loss after ${e.afterSeq} next ${e.nextSeq} lost ${e.lost} misses ${e.misses}`];
      case 'failover': return [`failover last ${e.lastSeq}`];
      case 'recovery': return [`recovery ${e.seq}`];
      case 'restart': return [`restart ${e.fromSeq}->${e.toSeq}`];
      default: return [];
    }
  });
}

test('loopback: demo.pcap replayed at speed 4 to a monitor: the same losses, failover and restart; --write agrees', { timeout: 60_000 }, async () => {
  const speed = 4;
  // Time runs 4× faster, so does the heartbeat model: a 25 ms interval (timeout and grace follow it).
  const params = { intervalMs: 100 / speed };
  const monitor = new Monitor({ port: 0, bind: '127.0.0.1', params });
  await monitor.start();
  const sent = dir.file('sent.pcapng');
  const r = await runCliAsync(['replay', DEMO, '--to', `127.0.0.1:${monitor.port}`, '--speed', String(speed), '--write', sent, '--json']);
  const live = monitor.stop();
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as ReplayJson;
  const original = await analyzeFile(DEMO);
  const offline = await analyzeFile(sent, {}, params);
  assert.equal(summary.streams.length, original.heartbeats.streams.length);
  let failovers = 0;
  for (const [i, s] of summary.streams.entries()) {
    // Streams in the order analyze lists them.
    assert.equal(s.captured, original.heartbeats.streams[i].key);
    assert.equal(s.sent, s.heartbeats);
    const replayed = `127.0.0.1:${s.sport}>127.0.0.1:${monitor.port}`;
    const want = story(original.heartbeats.events, s.captured);
    assert.deepEqual(story(live.events, replayed), want, `monitor on ${s.captured} (send-time error ms ${JSON.stringify(summary.sendErrorMs)})`);
    assert.deepEqual(story(offline.heartbeats.events, replayed), want, `--write on ${s.captured}`);
    failovers += want.filter((x) => x.startsWith('failover')).length;
  }
  assert.equal(failovers, original.heartbeats.totals.failovers);
  assert.equal(failovers, 1, 'the demo has one failover (B->A of pair 1) and the 4-loss does not fail over');
});

test('--list on the demo, and as JSON', () => {
  const r = runCli(['replay', DEMO, '--list']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /demo\.pcap: 4 heartbeat streams, 2391 heartbeats, the first at 2026-03-02T09:00:00\.010505Z$/);
  assert.match(lines[2], /^\s+1\s+10\.10\.1\.11:39600>10\.10\.2\.11:39601\s+le\s+AF31\s+600\s+120000\s+120599\s+0\.000\s+59\.903$/);
  assert.match(lines[5], /^\s+4\s+10\.10\.2\.21:39701>10\.10\.1\.21:39700\s+be\s+AF31\s+600\s+4301\s+149\s/);
  const j = JSON.parse(runCli(['replay', DEMO, '--list', '--json']).stdout) as { streams: Array<{ key: string; heartbeats: number; lastSeq: number }> };
  assert.deepEqual(j.streams.map((s) => s.heartbeats), [600, 596, 595, 600]);
  assert.equal(j.streams[2].key, '10.10.2.11:39601>10.10.1.11:39600');
});

function oneLineError(r: { status: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0], pattern);
}

test('bad input: one line, exit 2', () => {
  oneLineError(runCli(['replay', dir.file('missing.pcap'), '--to', '127.0.0.1:9']), /^ucprobe: .*missing\.pcap: cannot read: no such file$/);
  oneLineError(runCli(['replay', DEMO, '--to', '127.0.0.1:9', '--stream', '10.1.1.1:1>10.1.1.2:2']), /^ucprobe: --stream: no heartbeat stream '10\.1\.1\.1:1>10\.1\.1\.2:2' in .*; it has 1 10\.10\.1\.11:39600>10\.10\.2\.11:39601, 2 .*, 4 10\.10\.2\.21:39701>10\.10\.1\.21:39700$/);
  oneLineError(runCli(['replay', DEMO, '--to', '127.0.0.1:9', '--speed', '0']), /^ucprobe: --speed: expected a factor more than 0 and at most 1000/);
  oneLineError(runCli(['replay', DEMO, '--to', '127.0.0.1:9', '--speed', '1001']), /^ucprobe: --speed:/);
  oneLineError(runCli(['replay', DEMO]), /^ucprobe: required option '--to/);
  const empty = dir.file('empty.pcap');
  writePatternCapture(empty, { streams: [], endMs: 10 });
  oneLineError(runCli(['replay', empty, '--to', '127.0.0.1:9']), /^ucprobe: .*empty\.pcap: no heartbeat streams to replay \(1 packets read; see --hb-ports\)$/);
});

test('Ctrl-C stops a replay cleanly, with the summary of what went out', { timeout: 30_000 }, async () => {
  // Interrupted once five heartbeats have arrived, not after a fixed time: a loaded host may take seconds to start node.
  const sink = createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const port = (sink.address() as AddressInfo).port;
  const p = spawn(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'replay', DEMO, '--to', `127.0.0.1:${port}`, '--stream', '1', '--json']);
  let received = 0;
  sink.on('message', () => {
    if (++received === 5) p.kill('SIGINT');
  });
  let stdout = '';
  p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  const status = await new Promise<number | null>((resolve) => p.on('close', resolve));
  sink.close();
  assert.equal(status, 0);
  const j = JSON.parse(stdout) as ReplayJson;
  assert.equal(j.streams.length, 1);
  assert.ok(j.streams[0].sent >= 5 && j.streams[0].sent < 100, `sent ${j.streams[0].sent} after 5 arrived`);
});
