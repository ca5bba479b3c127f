// `interfaces`, `live` and `tui` as a user runs them: on a capture file, on
// loopback with the project's generator withholding heartbeats, and the ink
// UI in a real terminal (tmux) until it shows FAILED, then q.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeFile } from '../src/analysis/analyze.js';
import { REPO, hasTshark, runCli, sleep, tshark } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-live-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const DEMO = join(REPO, 'captures', 'demo.pcap');
const CLI = join(REPO, 'bin', 'ucprobe.js');
const canCapture = spawnSync('tcpdump', ['-D'], { stdio: 'ignore' }).status === 0 && process.getuid?.() === 0;
const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;

interface JsonLine {
  type: string;
  kind?: string;
  subject?: string;
  text?: string;
  [k: string]: unknown;
}

function jsonLines(stdout: string): JsonLine[] {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as JsonLine);
}

test('tui on a file without a terminal: the events as JSON lines, then the summary, matching analyze', async () => {
  const r = runCli(['tui', DEMO, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  const summary = lines.at(-1)!;
  assert.equal(summary.type, 'summary');
  const report = await analyzeFile(DEMO);
  assert.equal(summary.packets, report.capture.packets);
  assert.equal(summary.failovers, report.heartbeats.totals.failovers);
  assert.equal(summary.restarts, report.heartbeats.totals.restarts);
  assert.equal(summary.lost, report.heartbeats.totals.lost);
  assert.equal(summary.dscpViolations, report.dscpAudit.totals.violation);
  assert.equal(summary.keepalivesFailing, report.sipAnalysis.keepalives.filter((k) => k.unhealthy).length);
  const kinds = lines.filter((l) => l.type === 'event').map((l) => l.kind);
  assert.deepEqual([...new Set(kinds)].sort(), ['dscp-violation', 'failover', 'keepalive-failing', 'loss', 'recovery', 'reset', 'restart']);
  const text = runCli(['tui', DEMO]);
  assert.equal(text.status, 0);
  assert.match(text.stdout, /FAILOVER +10\.10\.2\.11:39601>10\.10\.1\.11:39600 +10\.10\.1\.11 missed 5 heartbeats in a row/);
  assert.match(text.stdout, /RESET +10\.10\.1\.11:50732>10\.10\.2\.11:39610 +TCP reset 30\.000 ms after the failover/);
  assert.match(text.stdout, /heartbeats: 4 streams in 2 pairs, 1 failover \(0 failed now\), 1 restart, 9 lost/);
});

test('live and tui refuse what they cannot do with one line and exit 2', () => {
  const cases: Array<[string[], RegExp]> = [
    [['tui', '/etc/passwd'], /^ucprobe: \/etc\/passwd: not a pcap or pcapng file/],
    [['tui', '/etc/passwd', '--replay'], /^ucprobe: \/etc\/passwd: not a pcap or pcapng file/],
    [['tui', join(tmp, 'none.pcap'), '--replay'], /cannot read: no such file/],
    [['tui', DEMO, '--speed', '4'], /--speed needs --replay/],
    [['tui', DEMO, '--replay', '--speed', '-1'], /--speed: expected a factor more than 0/],
    [['live', '-i', 'lo', '--ring', '3'], /--size and --ring need -w FILE/],
    [['live', '-i', 'lo', '-w', join(tmp, 'x.pcapng'), '--ring', '3'], /--ring needs --size/],
  ];
  if (canCapture) {
    cases.push([['live', '-i', 'nosuch0', '--duration', '1s'], /^ucprobe: cannot capture on nosuch0: no such interface/]);
    cases.push([['live', '-i', 'lo', '-f', 'udp portt 5', '--duration', '1s'], /^ucprobe: bad capture filter: .*syntax error/]);
  }
  for (const [args, re] of cases) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});

/** Whether this host lets the test make a network namespace (root, iproute2, and a container that allows it). */
function canMakeNamespace(): boolean {
  const probe = `ucprobe-probe-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' }).status !== 0) return false;
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  return true;
}

test('an interface removed while live captures on it: the analysis so far, then one line saying so, exit 2', { skip: !(canCapture && canMakeNamespace()) && 'needs root, tcpdump and network namespaces (ip)' }, async () => {
  // In a namespace of the test's own, a veth pair the test removes after a second.
  const ns = `ucprobe-gone-${process.pid}`;
  assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  try {
    assert.equal(spawnSync('ip', ['-n', ns, 'link', 'add', 'vgone0', 'type', 'veth', 'peer', 'name', 'vgone1']).status, 0);
    assert.equal(spawnSync('ip', ['-n', ns, 'link', 'set', 'vgone0', 'up']).status, 0);
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI, 'live', '-i', 'vgone0', '--no-ui', '--duration', '20s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = new Promise<number | null>((resolve) => p.on('exit', resolve));
    await sleep(1500);
    assert.equal(spawnSync('ip', ['-n', ns, 'link', 'del', 'vgone0']).status, 0);
    assert.equal(await code, 2, err);
    // tcpdump prints its counters after its complaint; the complaint is what the line says.
    assert.deepEqual(err.trim().split('\n'), ['ucprobe: cannot capture on vgone0: The interface disappeared']);
    assert.match(out, /^interface vgone0: \d+ packets in /m);
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
  }
});

test('live without CAP_NET_RAW says what it needs', { skip: !canCapture || spawnSync('setpriv', ['--help'], { stdio: 'ignore' }).status !== 0 }, () => {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'live', '-i', 'lo', '--duration', '1s'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^ucprobe: cannot capture on lo: permission denied; live capture needs root or CAP_NET_RAW/);
});

test('interfaces lists lo with its address', { skip: !canCapture }, () => {
  const r = runCli(['interfaces', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const lo = (JSON.parse(r.stdout) as Array<{ name: string; addresses: string[] }>).find((d) => d.name === 'lo');
  assert.ok(lo);
  assert.ok(lo.addresses.includes('127.0.0.1'));
  assert.match(runCli(['interfaces']).stdout, /^ {2}lo +\S+ +127\.0\.0\.1/m);
});

/** Send heartbeats on lo with the project's generator; resolves with its JSON summary. */
function generate(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, 'generate', '--to', `127.0.0.1:${port}`, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`generate exited ${code}`))));
  });
}

test('live on lo without a terminal: withholding 4 is no failover, withholding 5 is one; -w keeps what was seen', { skip: !canCapture, timeout: 30_000 }, async () => {
  const port = 39561;
  const out = join(tmp, 'live.pcapng');
  const live = spawn(process.execPath, [CLI, 'live', '-i', 'lo', '-f', `udp port ${port}`, '--json', '--duration', '6s', '-w', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  live.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  live.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => live.once('exit', r));
  await sleep(1000);
  // 40 heartbeats, 4 withheld at seq 10, 5 at seq 25; then the stream keeps going until the live run ends.
  await generate(port, ['--count', '40', '--burst', '4@seq:10', '--burst', '5@seq:25', '--from', '40561']);
  assert.equal(await exited, 0, stderr);
  const lines = jsonLines(stdout);
  const events = lines.filter((l) => l.type === 'event' && l.subject === `127.0.0.1:40561>127.0.0.1:${port}`);
  const failovers = events.filter((e) => e.kind === 'failover');
  // One failover for the five withheld, one when the generator stopped for good.
  assert.equal(failovers.length, 2, JSON.stringify(events));
  assert.match(failovers[0].text!, /last seq 24 /);
  assert.match(failovers[1].text!, /last seq 39 /);
  const losses = events.filter((e) => e.kind === 'loss').map((e) => e.text);
  assert.deepEqual(losses, ['4 lost after seq 9, 4 missed in a row (threshold 5)', '5 lost after seq 24, 5 missed in a row (threshold 5)']);
  const summary = lines.at(-1)!;
  assert.equal(summary.type, 'summary');
  assert.equal(summary.kernelDrops, 0);
  assert.equal(summary.writtenPackets, 31);
  assert.equal(summary.packets, 31);
  // What -w wrote is what was analysed: the same heartbeats, read back offline.
  const report = await analyzeFile(out);
  assert.equal(report.capture.packets, 31);
  assert.equal(report.heartbeats.streams[0].lost, 9);
  if (hasTshark) assert.equal(tshark(['-r', out, '-T', 'fields', '-e', 'frame.number']).length, 31);
});

function pane(session: string): string {
  return spawnSync('tmux', ['capture-pane', '-t', session, '-p'], { encoding: 'utf8' }).stdout;
}

test('the terminal UI in tmux on lo: FAILED shows while five and more are withheld, q leaves the terminal clean', { skip: !canCapture || !hasTmux, timeout: 40_000 }, async () => {
  const port = 39562;
  const session = `ucprobe-test-${process.pid}`;
  const cmd = `${process.execPath} ${CLI} live -i lo -f 'udp port ${port}'; echo "EXIT-STATUS $?"; sleep 60`;
  assert.equal(spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '150', '-y', '45', cmd]).status, 0);
  try {
    const until = async (what: RegExp, ms: number): Promise<string> => {
      const end = Date.now() + ms;
      for (;;) {
        const text = pane(session);
        if (what.test(text)) return text;
        if (Date.now() > end) assert.fail(`pane never showed ${what}:\n${text}`);
        await sleep(100);
      }
    };
    await until(/Heartbeats/, 10_000);
    // Seq 20..49 withheld: three seconds of silence, then the stream comes back.
    const sending = generate(port, ['--count', '80', '--burst', '30@seq:20', '--from', '40562']);
    const stream = `127.0.0.1:40562>127.0.0.1:${port}`;
    const failed = await until(new RegExp(`FAILED +${stream.replace(/\./g, '\\.')}`), 15_000);
    assert.match(failed, /failover/);
    await until(new RegExp(`OK +${stream.replace(/\./g, '\\.')}`), 10_000);
    await sending;
    spawnSync('tmux', ['send-keys', '-t', session, 'q']);
    const after = await until(/EXIT-STATUS \d+/, 10_000);
    assert.match(after, /EXIT-STATUS 0/);
    assert.doesNotMatch(after, /[┌└│]/, 'no UI left on the screen');
    assert.match(after, /heartbeats: 1 stream in 1 pair, [12] failovers?/);
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
});

test('live --monitor-events shows a running monitor\'s events beside the wire\'s', { skip: !canCapture, timeout: 30_000 }, async () => {
  const port = 39563;
  const monitor = spawn(process.execPath, [CLI, 'monitor', '--port', String(port), '--events-listen', '39564', '--duration', '8s'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const monitorDone = new Promise((r) => monitor.once('exit', r));
  await sleep(800);
  const live = spawn(process.execPath, [CLI, 'live', '-i', 'lo', '-f', `udp port ${port}`, '--json', '--duration', '4s', '--monitor-events', '127.0.0.1:39564'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  live.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((r) => live.once('exit', r));
  await sleep(1000);
  await generate(port, ['--count', '30', '--burst', '5@seq:10', '--from', '40563']);
  assert.equal(await exited, 0);
  monitor.kill('SIGINT');
  await monitorDone;
  const failovers = jsonLines(stdout).filter((l) => l.type === 'event' && l.kind === 'failover' && /last seq 9 /.test(l.text!));
  assert.equal(failovers.length, 2, stdout);
  assert.equal(failovers.filter((f) => f.text!.startsWith('monitor 127.0.0.1:39564: ')).length, 1);
  // The monitor's clock and the capture's agree to within a few milliseconds.
  assert.ok(Math.abs((failovers[0].time as number) - (failovers[1].time as number)) < 0.01);
  const refused = runCli(['live', '-i', 'lo', '--monitor-events', '127.0.0.1:1', '--duration', '1s']);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^ucprobe: --monitor-events: cannot reach 127\.0\.0\.1:1: ECONNREFUSED/);
});
