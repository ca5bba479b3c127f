// The lab half on loopback: generate → monitor with the same detector as
// capture files. Dropping 4 in a row must not fail over, dropping 5 must, at
// both byte orders with DSCP set; the generator's own --write capture gives
// the monitor's events; and, where tcpdump may capture, the wire shows the
// monitor's RST and the DSCP marking.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, type StreamSpec } from '../src/generator/generate.js';
import { StreamPlan } from '../src/generator/impairments.js';
import { Monitor } from '../src/monitor/monitor.js';
import { SentWriter } from '../src/generator/sent-writer.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import type { HeartbeatEvent } from '../src/heartbeat/events.js';
import { waitFor } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-lab-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('loss plans: drops, bursts, restarts, pauses, duplicates and seeded random loss', () => {
  const slots = (n: number, ...args: ConstructorParameters<typeof StreamPlan>) => {
    const p = new StreamPlan(...args);
    return Array.from({ length: n }, () => p.next()!);
  };
  const dropped = slots(20, 100, 10, { drop: [[13, 14]], bursts: [{ count: 3, atMs: 1000 }] }).filter((s) => s.withheld).map((s) => [s.seq, s.withheld]);
  assert.deepEqual(dropped, [[13, 'drop'], [14, 'drop'], [20, 'burst'], [21, 'burst'], [22, 'burst']]);
  const r = slots(6, 100, 50, { restarts: [{ atSeq: 52 }], pauses: [{ atMs: 400, forMs: 200 }] });
  assert.deepEqual(r.map((s) => [s.seq, s.withheld, s.restarted]), [[50, null, false], [51, null, false], [0, null, true], [1, null, false], [2, 'pause', false], [2, 'pause', false]]);
  const dup = slots(1000, 100, 0, { duplicate: 0.1, seed: 9 });
  const copies = dup.reduce((n, s) => n + s.sendAtMs.length - 1, 0);
  assert.ok(copies > 70 && copies < 130, `duplicates ${copies}`);
  const lossA = slots(10000, 100, 0, { loss: 0.02, seed: 3 }).filter((s) => s.withheld).map((s) => s.seq);
  const lossB = slots(10000, 100, 0, { loss: 0.02, seed: 3 }).filter((s) => s.withheld).map((s) => s.seq);
  assert.deepEqual(lossA, lossB, 'a seed repeats the run');
  assert.ok(lossA.length > 150 && lossA.length < 250, `bernoulli 2 %: ${lossA.length}`);
  // Gilbert-Elliott with p=1 %, r=25 %: about 4 % loss, in bursts averaging 4.
  const ge = slots(20000, 100, 0, { gemodel: { p: 1, r: 25 }, seed: 5 }).map((s) => s.withheld === 'gemodel');
  const lost = ge.filter(Boolean).length;
  const runs = ge.filter((x, i) => x && !ge[i - 1]).length;
  assert.ok(lost / ge.length > 0.025 && lost / ge.length < 0.055, `ge loss ${lost}`);
  assert.ok(lost / runs > 3 && lost / runs < 5.5, `ge burst length ${lost / runs}`);
  const jittered = slots(100, 100, 0, { delayMs: 5, jitterMs: 2 }).map((s) => s.sendAtMs[0] - s.atMs);
  assert.ok(jittered.every((d) => d >= 3 && d <= 7));
});

const canCapture = spawnSync('tcpdump', ['-D'], { stdio: 'ignore' }).status === 0;

/** tcpdump on lo, packet-buffered; resolves once it listens. */
function captureLo(path: string, filter: string): Promise<() => Promise<void>> {
  const p = spawn('tcpdump', ['-U', '--immediate-mode', '-i', 'lo', '-nn', '-w', path, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    p.stderr.on('data', (d: Buffer) => {
      if (/listening on/.test(d.toString())) resolve(() => new Promise((done) => { p.once('exit', () => done()); p.kill('SIGINT'); }));
    });
    p.once('exit', (code) => reject(new Error(`tcpdump exited ${code}`)));
  });
}

const summaryOf = (events: HeartbeatEvent[]) => events
  .filter((e) => e.type === 'loss' || e.type === 'failover')
  .map((e) => (e.type === 'loss' ? `loss ${e.stream.split('>')[0]} after ${e.afterSeq} lost ${e.lost} misses ${e.misses}` : `failover ${e.stream.split('>')[0]} last ${e.lastSeq}`))
  .sort();

test('loopback: drop 4 → no failover, drop 5 → failover, LE and BE, CS3 and EF; --write and the wire agree', { timeout: 30_000 }, async () => {
  const monitor = new Monitor({ port: 0, bind: '127.0.0.1', tcpListen: 0 });
  await monitor.start();
  const port = monitor.port;
  const wire = join(tmp, 'lo.pcap');
  const stopCapture = canCapture ? await captureLo(wire, `udp port ${port} or tcp port ${monitor.tcpPort}`).catch(() => null) : null;
  // The router peer holds a TCP connection to the monitor: the one it resets.
  const peer = connect(monitor.tcpPort!, '127.0.0.1');
  const peerReset = new Promise<string>((resolve) => peer.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
  await new Promise((r) => peer.once('connect', r));

  const stream = (sourcePort: number, byteOrder: 'le' | 'be', dscp: number, drop: number): StreamSpec => ({
    name: `${byteOrder}-${drop}`, host: '127.0.0.1', port, bind: '127.0.0.1', sourcePort,
    intervalMs: 100, startSeq: 70_000, byteOrder, count: 25, dscp, impairments: { drop: [[70_010, 70_009 + drop]] },
  });
  const specs = [stream(0, 'le', 24, 4), stream(0, 'le', 24, 5), stream(0, 'be', 46, 4), stream(0, 'be', 46, 5)];
  const sentFile = join(tmp, 'sent.pcapng');
  const w = new SentWriter(sentFile);
  const summary = await generate(specs, { onSend: w.add });
  w.close(summary);
  const report = monitor.stop();
  peer.destroy();
  // tcpdump under load lags the sender: stopping it the moment the last datagram leaves loses the
  // ones still in its socket buffer. Let it write every heartbeat sent first (or give up after 3 s).
  const sent = summary.streams.reduce((n, s) => n + s.sent, 0);
  if (stopCapture) await waitFor(() => analyzeFile(wire).then((a) => a.protocols.mdsHeartbeat >= sent, () => false), 3000);
  await stopCapture?.();

  assert.deepEqual(summary.streams.map((s) => [s.sent, s.withheld.drop]), [[21, 4], [20, 5], [21, 4], [20, 5]]);
  const portOf = (i: number) => summary.streams[i].local.port;
  const key = (i: number) => `127.0.0.1:${portOf(i)}>127.0.0.1:${port}`;
  const failed = report.events.filter((e) => e.type === 'failover').map((e) => e.stream).sort();
  assert.deepEqual(failed, [key(1), key(3)].sort(), 'only the streams that lost five fail over');
  for (const s of report.streams) assert.equal(s.byteOrder, s.key === key(0) || s.key === key(1) ? 'le' : 'be');
  assert.equal(await peerReset, 'ECONNRESET', 'the monitor reset its TCP peer');
  assert.equal(report.totals.resets >= 1, true);

  // The generator's own record, analysed offline, tells the same story as the live monitor.
  const offline = await analyzeFile(sentFile);
  assert.deepEqual(summaryOf(offline.heartbeats.events), summaryOf(report.events));

  if (stopCapture) {
    const seen = await analyzeFile(wire);
    // tcpdump may start a moment late: the marking, not the count, is the point here.
    const marks = seen.dscp['mds-heartbeat'];
    assert.deepEqual(Object.keys(marks), ['24', '46']);
    assert.equal(marks[24], marks[46]);
    assert.deepEqual(summaryOf(seen.heartbeats.events), summaryOf(report.events));
    const resets = seen.heartbeats.events.filter((e) => e.type === 'reset');
    assert.ok(resets.length >= 1, 'the RST is on the wire, tied to a failover');
  }
});
