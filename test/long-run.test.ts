// Around a long `analyze` or `report`: the progress line (on a terminal
// only, at most four updates a second, nothing with -q), and Ctrl-C, which
// stops the reading and still writes the report of what was read, marked
// partial, exit 130.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProgressLine, progressText } from '../src/output/progress.js';
import { newFacts, newProgress } from '../src/sources/types.js';
import { REPO, runCli, sleep } from './helpers.js';
import { validate, type Schema } from './json-schema.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const BIN = join(REPO, 'bin', 'ucprobe.js');
const MIB = 1024 * 1024;

test('progress text: bytes of the total, packets, rate and time left; without a total, no share and no time left', () => {
  const p = newProgress();
  p.total = 48 * MIB;
  p.bytes = 12 * MIB;
  p.facts = newFacts();
  p.facts.packets = 100_000;
  assert.equal(progressText('big.pcap', p, 500), 'big.pcap: 12.0 MiB of 48.0 MiB (25 %), 100000 packets, 24.0 MiB/s, 0:02 left');
  p.bytes = 1 * MIB;
  assert.equal(progressText('big.pcap', p, 3_600_000), 'big.pcap: 1.0 MiB of 48.0 MiB (2 %), 100000 packets, 0.0 MiB/s, 47:00:00 left');
  p.bytes = 47 * MIB;
  p.total = null;
  assert.equal(progressText('\u001b[2J-', p, 1000), '\\x1b[2J-: 47.0 MiB, 100000 packets, 47.0 MiB/s');
});

test('progress line: nothing in the first 250 ms, then at most one update per 250 ms (clock injected); erased at the end', () => {
  let now = 1000;
  const written: string[] = [];
  const line = new ProgressLine({ write: (s: string) => written.push(s), columns: 40 }, () => now);
  const p = newProgress();
  p.total = 10 * MIB;
  line.begin('demo.pcap', p);
  const shownAt: number[] = [];
  for (; now <= 2000; now += 50) {
    p.bytes = Math.min(p.total, (now - 1000) * 10_000);
    if (line.tick()) shownAt.push(now - 1000);
  }
  assert.deepEqual(shownAt, [250, 500, 750, 1000], 'four a second, the first after 250 ms');
  assert.equal(written.length, 4);
  for (const w of written) {
    assert.match(w, /^\r.*\x1b\[K$/);
    assert.ok(w.length <= 39 + 4, `cut to the terminal's width: ${JSON.stringify(w)}`);
  }
  assert.equal(written[0], '\rdemo.pcap: 2.4 MiB of 10.0 MiB (23 %), \x1b[K', 'cut at 39 columns');
  line.clear();
  assert.equal(written[4], '\r\x1b[K');
  line.clear();
  assert.equal(written.length, 5, 'erased once');
});

test('no progress when stderr is not a terminal, nor with -q', () => {
  for (const args of [['analyze', DEMO], ['analyze', '-q', DEMO]]) {
    const r = runCli(args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', args.join(' '));
  }
});

const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;

test('on a terminal, the progress line is on stderr while the input is read, then erased; stdout has none of it', { skip: !hasPython && 'python3 (for a pty) not installed', timeout: 60_000 }, () => {
  // stderr a pty, stdin a pipe held open 1.5 s after the demo's bytes: the read lasts that long.
  const script = [
    'import os, pty, subprocess, sys, time',
    'm, s = pty.openpty()',
    `p = subprocess.Popen([sys.argv[1], sys.argv[2], 'analyze', '-'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=s)`,
    'os.close(s)',
    `p.stdin.write(open(sys.argv[3], 'rb').read()); p.stdin.flush(); time.sleep(1.5); p.stdin.close()`,
    'out = p.stdout.read(); p.wait(); err = b""',
    'while True:',
    '    try: chunk = os.read(m, 65536)',
    '    except OSError: break',
    '    if not chunk: break',
    '    err += chunk',
    'sys.stdout.write(str(p.returncode) + "\\n" + str(len(out)) + "\\n" + str(out.count(b"\\r")) + "\\n" + err.decode())',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script, process.execPath, BIN, DEMO], { encoding: 'utf8', timeout: 50_000 });
  const [code, outLength, outCr, ...err] = r.stdout.split('\n');
  assert.equal(code, '0', r.stdout + r.stderr);
  assert.ok(Number(outLength) > 1000, 'the report went to stdout');
  assert.equal(outCr, '0', 'no progress on stdout');
  const tty = err.join('\n');
  assert.match(tty, /\rstdin: 0\.5 MiB, 4170 packets, \d+\.\d MiB\/s\x1b\[K/);
  assert.ok(tty.endsWith('\r\x1b[K'), `erased at the end: ${JSON.stringify(tty.slice(-40))}`);
});

/**
 * Start `args` reading the demo from stdin, held open; once the child has
 * had the bytes (the pipe drained, then a wide margin for a loaded machine),
 * Ctrl-C. Returns the exit code, stdout and stderr.
 */
async function interrupted(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b));
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await new Promise<void>((resolve) => child.stdin.write(readFileSync(DEMO), () => resolve()));
  await sleep(3000);
  child.kill('SIGINT');
  const code = await exited;
  child.stdin.destroy();
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout, stderr };
}

test('Ctrl-C during analyze: the report of what was read, marked partial (text line; JSON "partial": true), exit 130', { timeout: 60_000 }, async () => {
  const json = await interrupted(['analyze', '--json', '-']);
  assert.equal(json.code, 130, json.stderr);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.partial, true);
  assert.deepEqual(validate(doc, JSON.parse(readFileSync(join(REPO, 'src', 'output', 'analyze.schema.json'), 'utf8')) as Schema), []);
  assert.equal(doc.files[0].capture.packets, 4170);
  assert.equal(doc.files[0].sip.messages, 125);
  assert.deepEqual(doc.files[0].warnings, [], 'the read was stopped, not cut short');
  assert.equal(json.stderr, 'ucprobe: interrupted (Ctrl-C) after 4170 packets of stdin: the report covers what was read\n');

  const text = await interrupted(['analyze', '-', DEMO]);
  assert.equal(text.code, 130, text.stderr);
  assert.match(text.stdout, /^== -$/m);
  assert.match(text.stdout, /^-- partial report: interrupted \(Ctrl-C\) after 4170 packets of stdin: the report covers what was read; not read: .*demo\.pcap$/m);
  // Without Ctrl-C: not partial.
  const whole = runCli(['analyze', '--json', DEMO]);
  assert.equal(JSON.parse(whole.stdout).partial, false);
});

test('Ctrl-C during report: the HTML of what was read, saying it is partial, exit 130', { timeout: 60_000 }, async () => {
  const out = join(mkdtempSync(join(tmpdir(), 'ucprobe-partial-')), 'r.html');
  const r = await interrupted(['report', '-', '-o', out]);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^ucprobe: warning: partial report: interrupted \(Ctrl-C\) after 4170 packets of stdin/m);
  assert.match(r.stderr, /^ucprobe: interrupted \(Ctrl-C\) after 4170 packets of stdin: the report covers what was read; wrote .*r\.html \(\d+\.\d KiB\)$/m);
  const html = readFileSync(out, 'utf8');
  assert.ok(html.includes('partial report: interrupted (Ctrl-C) after 4170 packets of stdin'));
});
