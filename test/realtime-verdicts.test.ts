// Real-time paths give the offline verdicts. The same captures go through
// `tui --replay` at speeds 1, 5 and 20 while the process is stopped
// (SIGSTOP/SIGCONT) for 300, 800 and 2,000 ms at seeded random points, and
// the heartbeat events it reports must equal `analyze`'s: a stall may delay a
// verdict, never make one. The monitor on loopback likewise: stalled with
// nothing lost, no failover; five really dropped, one, at its deadline.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { REPO, sleep } from './helpers.js';
import { Prng, patternDir, streamKey, writePatternCapture, type Pattern } from './heartbeat-patterns.js';
import type { HeartbeatEvent } from '../src/heartbeat/events.js';

const BIN = join(REPO, 'bin', 'ucprobe.js');
const DEMO = join(REPO, 'captures', 'demo.pcap');
const dir = patternDir('ucprobe-rt-');
after(dir.cleanup);

/** A run of the CLI whose stdout lines are collected; `stall` stops it for a while. */
function cli(args: string[]): { child: ChildProcess; lines: string[]; done: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts.filter(Boolean));
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, lines, done, stderr: () => err };
}

async function stall(child: ChildProcess, ms: number): Promise<void> {
  child.kill('SIGSTOP');
  await sleep(ms);
  child.kill('SIGCONT');
}

/** An event as `kind time subject`, the way both outputs can say it. */
function fromAnalyze(e: HeartbeatEvent): string {
  const subject = e.type === 'reset' || e.type === 'unexplained-reset' ? `${e.src}:${e.sport}>${e.dst}:${e.dport}` : e.stream;
  return `${e.type} ${e.time.toFixed(6)} ${subject}`;
}

const HEARTBEAT_KINDS = new Set(['loss', 'failover', 'recovery', 'restart', 'reset', 'unexplained-reset', 'monitor-stalled']);

function fromLive(line: string): string | null {
  const o = JSON.parse(line) as { type: string; kind?: string; time?: number; subject?: string };
  if (o.type !== 'event' || !HEARTBEAT_KINDS.has(o.kind!)) return null;
  return `${o.kind} ${o.time!.toFixed(6)} ${o.subject}`;
}

function analyzeEvents(file: string): string[] {
  const r = spawnSync(process.execPath, [BIN, 'analyze', file, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { files: Array<{ heartbeats: { events: HeartbeatEvent[] } }> };
  return report.files[0].heartbeats.events.map(fromAnalyze).sort();
}

const A = '10.10.1.11';
const B = '10.10.2.11';
const C = '10.10.1.21';
const D = '10.10.2.21';

/** Twelve seconds of two heartbeat pairs: a five-miss run, a four-miss run, a restart, jitter, late and reset. */
const PATTERN: Pattern = {
  streams: [
    { src: A, dst: B, sport: 39600, dport: 39601, count: 120, startSeq: 5000, drop: [[30, 34], [90, 95]] },
    { src: B, dst: A, sport: 39601, dport: 39600, count: 120, startMs: 37, startSeq: 9000, drop: [[60, 63]], delay: [[100, 80]] },
    { src: C, dst: D, sport: 39700, dport: 39701, count: 110, byteOrder: 'be', startSeq: 100, jitterMs: 20, restart: { at: 70, pauseMs: 600 } },
    { src: D, dst: C, sport: 39701, dport: 39700, count: 120, byteOrder: 'be', startMs: 61, startSeq: 7, jitterMs: 20, drop: [[40, 44]], swap: [80], duplicate: [85] },
  ],
  resets: [
    // B noticed A's silence at its fifth deadline (seq 5029 heard at 2.9 s): reset 30 ms later.
    { atMs: 3430, src: B, sport: 50732, dst: A, dport: 39610 },
    { atMs: 7000, src: C, sport: 41000, dst: D, dport: 39710 },
  ],
};

const patternFile = dir.file('pattern.pcap');
writePatternCapture(patternFile, PATTERN);

/** The replay run and its stalls: speeds 1, 5 and 20, stalls of 300, 800 and 2,000 ms. */
const RUNS: Array<{ file: string; name: string; speed: number; stalls: number[] }> = [
  { file: patternFile, name: 'pattern', speed: 1, stalls: [300, 800, 2000] },
  { file: patternFile, name: 'pattern', speed: 5, stalls: [800, 2000] },
  { file: patternFile, name: 'pattern', speed: 20, stalls: [300] },
  { file: DEMO, name: 'demo', speed: 20, stalls: [800, 2000] },
];

for (const [i, run] of RUNS.entries()) {
  test(`tui --replay ${run.name} at speed ${run.speed}, stalled ${run.stalls.join(', ')} ms: the events of analyze`, { timeout: 90_000 }, async () => {
    const want = analyzeEvents(run.file);
    assert.ok(want.some((e) => e.startsWith('failover')), 'the capture has failovers to get right');
    const r = cli(['tui', run.file, '--replay', '--speed', String(run.speed), '--json']);
    // Seeded points inside the replay (after ~0.4 s of start-up), one stall after another.
    const rng = new Prng(17 + i);
    const span = (run.name === 'demo' ? 60_000 : 12_000) / run.speed;
    for (const ms of run.stalls) {
      await sleep(400 + rng.int(0, Math.round(span / (run.stalls.length + 1))));
      if (r.child.exitCode !== null) break;
      await stall(r.child, ms);
    }
    assert.equal(await r.done, 0, r.stderr());
    const got = r.lines.map(fromLive).filter((x): x is string => x !== null).sort();
    assert.deepEqual(got, want);
    const summary = JSON.parse(r.lines[r.lines.length - 1]) as { type: string; elapsedSec: number };
    assert.equal(summary.type, 'summary');
    // The replay's own length in capture time, not the epoch.
    assert.ok(summary.elapsedSec > 0 && summary.elapsedSec < 61, `elapsedSec ${summary.elapsedSec}`);
  });
}

/** A UDP port free on loopback now. */
async function freePort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  s.close();
  return port;
}

interface MonitorRun {
  events: HeartbeatEvent[];
  report: { totals: { failovers: number }; receiver: { kernelTimestamps: boolean; kernelDrops: number; stalls: number } };
}

/** The wire itself was silent past the failover deadline after `seq` (by the kernel's times): a sender late, not a false verdict. */
function wireSilent(events: HeartbeatEvent[], stream: string, seq: number): boolean {
  return events.some((e) => e.type === 'loss' && e.stream === stream && e.afterSeq === seq && e.resumed !== null && e.resumed - e.lastHeard >= 0.55);
}

/**
 * A monitor and a generator as two processes on loopback; the monitor is
 * stopped for `stallMs` while the stream runs. `sendArgs` shape the stream.
 */
async function monitorRun(sendArgs: string[], stallMs: number, monitorArgs: string[] = []): Promise<MonitorRun> {
  const port = await freePort();
  const mon = cli(['monitor', '--port', String(port), '--bind', '127.0.0.1', '--json', '--duration', '7s', ...monitorArgs]);
  // Started once it listens (it prints nothing before its events in JSON: wait for the socket).
  await sleep(1000);
  const gen = cli(['generate', '--to', `127.0.0.1:${port}`, ...sendArgs]);
  await sleep(1500);
  await stall(mon.child, stallMs);
  assert.equal(await gen.done, 0, gen.stderr());
  assert.equal(await mon.done, 0, mon.stderr());
  const parsed = mon.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const report = parsed.find((o) => 'report' in o)!.report as MonitorRun['report'];
  return { events: parsed.filter((o) => 'type' in o) as unknown as HeartbeatEvent[], report };
}

for (const stallMs of [800, 2000]) {
  test(`monitor stopped ${stallMs} ms with nothing lost: no failover, no loss (kernel timestamps, drained before judging)`, { timeout: 30_000 }, async () => {
    const { events, report } = await monitorRun(['--count', '50'], stallMs);
    assert.equal(report.receiver.kernelTimestamps, true, 'the native receiver is built (npm run build)');
    assert.ok(report.receiver.stalls >= 1, 'the monitor saw its own stall');
    // The stream's end (seq 49) is silence the monitor rightly calls out; nothing before it is lost.
    // (A sender slowed by a loaded host can be late on the wire: a one-miss silence is then true, and said.)
    const early = events.filter((e) => (e.type === 'failover' && e.lastSeq < 49 && !wireSilent(events, e.stream, e.lastSeq)) || (e.type === 'loss' && e.nextSeq !== null && e.lost !== 0));
    assert.deepEqual(early, []);
  });
}

test('monitor bound to all addresses names the address each heartbeat was sent to (IP_PKTINFO)', { timeout: 20_000 }, async () => {
  const { Monitor } = await import('../src/monitor/monitor.js');
  const monitor = new Monitor({ port: 0, bind: '0.0.0.0' });
  await monitor.start();
  const gen = cli(['generate', '--to', `127.0.0.2:${monitor.port}`, '--count', '5', '--interval', '20']);
  assert.equal(await gen.done, 0, gen.stderr());
  await sleep(100);
  const report = monitor.stop();
  assert.deepEqual(report.streams.map((s) => s.dst), ['127.0.0.2']);
  assert.equal(report.streams[0].received, 5, 'counted from the first heartbeat, on any port');
});

test('monitor: bad --max-streams and --rcvbuf are one line each, exit 2', () => {
  for (const [flag, value, said] of [['--max-streams', '0', /--max-streams: must be at least 1/], ['--rcvbuf', '99T', /--rcvbuf: expected a size from 4K to 1024M/], ['--rcvbuf', '0', /--rcvbuf: expected a size/]] as const) {
    const r = spawnSync(process.execPath, [BIN, 'monitor', '--port', '0', flag, value], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${flag} ${value}`);
    assert.match(r.stderr, said);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('monitor past --max-streams: a warning the moment it happens, streams (not heartbeats) counted', { timeout: 20_000 }, async () => {
  const { Monitor } = await import('../src/monitor/monitor.js');
  const notices: string[] = [];
  const monitor = new Monitor({ port: 0, bind: '127.0.0.1', maxStreams: 3, onNotice: (m) => notices.push(m) });
  await monitor.start();
  const streams = dir.file('five.yaml');
  writeFileSync(streams, 'streams:\n  - name: s\n    repeat: 5\n    count: 10\n    interval: 20\n');
  const gen = cli(['generate', '--streams', streams, '--to', `127.0.0.1:${monitor.port}`]);
  assert.equal(await gen.done, 0, gen.stderr());
  await sleep(100);
  const report = monitor.stop();
  assert.equal(report.totals.streams, 3);
  assert.equal(report.totals.untrackedStreams, 2);
  assert.equal(report.totals.untrackedHeartbeats, 20);
  assert.equal(notices.filter((n) => /more than 3 heartbeat streams/.test(n)).length, 1);
});

test('monitor stopped 800 ms across five really dropped: one failover, at the fifth deadline', { timeout: 30_000 }, async () => {
  const { events } = await monitorRun(['--count', '40', '--drop', '12-16'], 800);
  const failovers = events.filter((e) => e.type === 'failover' && e.lastSeq < 39);
  assert.equal(failovers.length, 1);
  const f = failovers[0];
  assert.ok(f.type === 'failover');
  assert.equal(f.lastSeq, 11);
  assert.equal(Math.round((f.time - f.lastHeard) * 1e6), 500_000);
  const recovery = events.find((e) => e.type === 'recovery');
  assert.ok(recovery && recovery.type === 'recovery' && recovery.seq === 17 && recovery.time >= f.time);
});

test("monitor without kernel timestamps (Node's dgram) stalled 800 ms: monitor-stalled, not a failover", { timeout: 30_000 }, async () => {
  const { Monitor } = await import('../src/monitor/monitor.js');
  const events: HeartbeatEvent[] = [];
  const monitor = new Monitor({ port: 0, bind: '127.0.0.1', dgram: true, onEvent: (e) => events.push(e) });
  await monitor.start();
  const gen = cli(['generate', '--to', `127.0.0.1:${monitor.port}`, '--count', '30']);
  await sleep(1500);
  // This process stops running for 800 ms (as a GC pause or a busy host would), while heartbeats queue.
  const until = Date.now() + 800;
  while (Date.now() < until);
  assert.equal(await gen.done, 0, gen.stderr());
  await sleep(200);
  const report = monitor.stop();
  assert.equal(report.receiver.kernelTimestamps, false);
  assert.ok(report.receiver.stalls >= 1);
  assert.deepEqual(events.filter((e) => e.type === 'failover'), []);
  assert.ok(events.some((e) => e.type === 'monitor-stalled'), 'the stall is said, not hidden');
});

test('the 4-vs-5 boundary 20 times each on a loaded host: 20 failovers, all on five-drop streams', { timeout: 60_000 }, async () => {
  // Two busy processes per core, at the lowest priority so the sender keeps its pace.
  const busy = [0, 1, 2, 3].map(() => spawn('nice', ['-n', '19', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' }));
  try {
    const streams = dir.file('boundary.yaml');
    writeFileSync(streams, [
      'streams:',
      '  - name: four',
      '    repeat: 20',
      '    count: 40',
      "    bursts: ['4@seq:15']",
      '  - name: five',
      '    repeat: 20',
      '    count: 40',
      "    bursts: ['5@seq:15']",
      '',
    ].join('\n'));
    const { events, report } = await monitorRun(['--streams', streams], 300);
    assert.equal(report.receiver.kernelDrops, 0);
    const fours = new Set(events.filter((e) => e.type === 'loss' && e.lost === 4).map((e) => e.stream));
    const fives = new Set(events.filter((e) => e.type === 'loss' && e.lost === 5).map((e) => e.stream));
    assert.equal(fours.size, 20, 'every four-drop stream lost its four');
    assert.equal(fives.size, 20, 'every five-drop stream lost its five');
    const failovers = events.filter((e) => e.type === 'failover' && e.lastSeq < 39);
    // True: every five-drop stream, after seq 14. False: a four-drop stream, unless the wire itself was
    // silent that long (the sender late on a loaded host: then the kernel's times prove the verdict).
    assert.deepEqual([...fives].filter((s) => !failovers.some((e) => e.stream === s && e.type === 'failover' && e.lastSeq === 14)), []);
    const falseOnes = failovers.filter((e) => fours.has(e.stream) && e.type === 'failover' && !wireSilent(events, e.stream, e.lastSeq));
    assert.deepEqual(falseOnes, []);
  } finally {
    for (const b of busy) b.kill('SIGKILL');
  }
});

/** A network namespace of this test's own with its loopback up, or why there cannot be one. */
function namespace(name: string): { exec: (cmd: string[]) => string[]; remove: () => void } | string {
  for (const tool of ['ip', 'tcpdump', 'tcpreplay']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  spawnSync('ip', ['netns', 'del', name]);
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot make a network namespace (${add.stderr.trim() || 'needs root'})`;
  spawnSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return { exec: (cmd) => ['ip', 'netns', 'exec', name, ...cmd], remove: () => spawnSync('ip', ['netns', 'del', name]) };
}

const ns = namespace(`ucprobe-rt-${process.pid}`);
if (typeof ns === 'string') process.stdout.write(`# live differential skipped: ${ns}\n`);
else after(ns.remove);

for (const run of [{ file: patternFile, name: 'pattern', speed: 5, stalls: [800, 2000] }, { file: DEMO, name: 'demo', speed: 20, stalls: [300, 800] }]) {
  test(`live -i lo of ${run.name} replayed at x${run.speed}, stalled ${run.stalls.join(', ')} ms: the events analyze finds in its -w file`, { skip: typeof ns === 'string', timeout: 60_000 }, async () => {
    const n = ns as Exclude<typeof ns, string>;
    const written = dir.file(`live-${run.name}.pcapng`);
    const spanSec = (run.name === 'demo' ? 60 : 12) / run.speed;
    const [cmd, ...args] = n.exec([process.execPath, BIN, 'live', '-i', 'lo', '--json', '-w', written, '--duration', `${Math.ceil(spanSec + 6)}s`]);
    const live = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let out = '';
    let err = '';
    live.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    live.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const done = new Promise<number | null>((resolve) => live.on('close', resolve));
    await sleep(2000);
    const [rcmd, ...rargs] = n.exec(['tcpreplay', '-q', '-i', 'lo', `--multiplier=${run.speed}`, run.file]);
    const replay = spawn(rcmd, rargs, { stdio: 'ignore' });
    const replayed = new Promise((resolve) => replay.on('close', resolve));
    const rng = new Prng(99);
    for (const ms of run.stalls) {
      await sleep(rng.int(200, Math.round((spanSec * 1000) / (run.stalls.length + 1))));
      await stall(live, ms);
    }
    await replayed;
    assert.equal(await done, 0, err);
    lines.push(...out.split('\n').filter(Boolean));
    // Silence after the last packet is for live alone to see: its failovers past the file's end are left out.
    const r = spawnSync(process.execPath, [BIN, 'analyze', written, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const file = (JSON.parse(r.stdout) as { files: Array<{ capture: { last: number }; heartbeats: { events: HeartbeatEvent[] } }> }).files[0];
    const want = file.heartbeats.events.map(fromAnalyze).sort();
    assert.ok(want.some((e) => e.startsWith('failover')), 'the replay has failovers to get right');
    const end = file.capture.last;
    const got = lines.map(fromLive).filter((x): x is string => x !== null && !(x.startsWith('failover ') && Number(x.split(' ')[1]) > end)).sort();
    if (process.env.RT_DEBUG) console.log(JSON.stringify({ got, want }, null, 1));
    assert.deepEqual(got, want);
  });
}

test('heartbeat settings changed mid-run hold from then on (threshold 5 -> 8)', async () => {
  const { HeartbeatDetector } = await import('../src/heartbeat/detector.js');
  const events: HeartbeatEvent[] = [];
  const d = new HeartbeatDetector({}, (e) => events.push(e));
  const id = { key: '10.0.0.1:39500>10.0.0.2:39501', src: '10.0.0.1', dst: '10.0.0.2', sport: 39500, dport: 39501 };
  for (let i = 0; i < 10; i++) d.heartbeat(id, i, 'le', 100 + i * 0.1);
  d.setParams({ threshold: 8 });
  // 0.7 s of silence: six misses, a failover at 5, none at 8.
  d.tick(100.9 + 0.7);
  assert.deepEqual(events.filter((e) => e.type === 'failover'), []);
  d.heartbeat(id, 16, 'le', 100.9 + 0.7);
  d.tick(101.6 + 0.85);
  const f = events.filter((e) => e.type === 'failover');
  assert.equal(f.length, 1);
  assert.equal(Math.round((f[0].time - 101.6) * 1e6), 800_000, 'at the eighth deadline');
});

test('monitor: SIGHUP re-reads --config and says the settings it now holds', { timeout: 20_000 }, async () => {
  const config = dir.file('hb.json');
  writeFileSync(config, JSON.stringify({ heartbeat: { threshold: 5 } }));
  const port = await freePort();
  const mon = cli(['monitor', '--port', String(port), '--bind', '127.0.0.1', '--json', '--duration', '2s', '--config', config]);
  await sleep(800);
  writeFileSync(config, JSON.stringify({ heartbeat: { threshold: 9, intervalMs: 200 } }));
  mon.child.kill('SIGHUP');
  await sleep(300);
  writeFileSync(config, '{ not json');
  mon.child.kill('SIGHUP');
  assert.equal(await mon.done, 0, mon.stderr());
  const settings = mon.lines.map((l) => JSON.parse(l) as { type?: string; params?: { threshold: number; intervalMs: number } }).filter((o) => o.type === 'settings');
  assert.deepEqual(settings.map((s) => [s.params!.threshold, s.params!.intervalMs]), [[9, 200]]);
  assert.match(mon.stderr(), /SIGHUP: .*hb\.json.*the heartbeat settings stay as they were/);
});

test('a live session that saw no packet ends cleanly (nothing to settle, no event)', async () => {
  const { LiveSession } = await import('../src/live/session.js');
  const events: unknown[] = [];
  const s = new LiveSession({ source: { kind: 'interface', name: 'lo', filter: null }, onEvent: (e) => events.push(e) });
  s.start(1000);
  s.tick(1001);
  s.end();
  const snap = s.snapshot(1002);
  assert.equal(snap.packets, 0);
  assert.equal(snap.elapsedSec, 2);
  assert.deepEqual(events, []);
});

test('live -c N stops after exactly N packets, as tcpdump -c, and writes those N with -w', { skip: typeof ns === 'string', timeout: 30_000 }, async () => {
  const n = ns as Exclude<typeof ns, string>;
  const written = dir.file('count.pcapng');
  const [cmd, ...args] = n.exec([process.execPath, BIN, 'live', '-i', 'lo', '-c', '7', '--json', '-w', written, '--duration', '20s']);
  const live = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  live.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number | null>((resolve) => live.on('close', resolve));
  await sleep(1500);
  const [gcmd, ...gargs] = n.exec([process.execPath, BIN, 'generate', '--to', '127.0.0.1:39500', '--count', '20', '--interval', '10']);
  spawnSync(gcmd, gargs);
  assert.equal(await done, 0);
  const summary = JSON.parse(out.trim().split('\n').pop()!) as { packets: number; writtenPackets: number };
  assert.deepEqual([summary.packets, summary.writtenPackets], [7, 7]);
});
