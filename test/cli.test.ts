// The CLI as a user runs it: output shapes, stdin, exit codes and the
// one-line errors for bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { CORPUS, REPO, hasCorpus, hasTshark, needsCorpus, runCli, tshark, waitFor } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-cli-'));
const corpus = (name: string) => join(CORPUS, name);

function oneLineError(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${stderr}`);
  assert.match(lines[0], /^ucprobe: /);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
}

test('bin/ucprobe.js runs by its #! line, as npx and a shell run it (node refuses a flag it does not know)', { skip: process.platform === 'win32' }, () => {
  const bin = join(REPO, 'bin', 'ucprobe.js');
  const r = spawnSync(bin, ['analyze', '--json', join(REPO, 'captures', 'demo.pcap')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).files[0].capture.packets, 4170);
});

test('dissect --json gives the documented fields per packet', { skip: needsCorpus }, () => {
  const r = runCli(['dissect', '--json', corpus('pcapplusplus__sdp.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  const [p] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(p.frame, 1);
  assert.equal(p.transport, 'udp');
  assert.equal(p.dscp, 40);
  assert.equal(p.phb, 'CS5');
  assert.equal(p.ecn, 'Not-ECT');
  assert.equal(p.app, 'sip');
  assert.equal(p.sip.status, 200);
  assert.equal(typeof p.sip.callId, 'string');
  assert.equal(p.error, null);
  for (const k of ['time', 'src', 'dst', 'sport', 'dport']) assert.ok(k in p, k);
});

test('dissect one-line output and -V tree', { skip: needsCorpus }, () => {
  const r = runCli(['dissect', corpus('ndpi__gre.pcapng')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d\.\d{6} \S+:\d+ > \S+:\d+ SIP CS5 100 Trying \(1 INVITE\)$/m);
  const v = runCli(['dissect', '-V', corpus('ndpi__gre.pcapng')]);
  assert.match(v.stdout, /VLAN 142/);
  assert.match(v.stdout, /Tunnel IPv4: .* DSCP 0/);
  assert.match(v.stdout, /DSCP: 40 \(CS5\)/);
  assert.match(v.stdout, /SIP response: SIP\/2\.0 100 Trying/);
});

test('dissect --app, --host, --port: the packets printed are those tshark\'s display filter picks; -c counts what is printed', { skip: !hasTshark && 'tshark not installed' }, () => {
  const demo = join(REPO, 'captures', 'demo.pcap');
  const frames = (args: string[]): number[] => {
    const r = runCli(['dissect', '--json', ...args, demo]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { frame: number }).frame);
  };
  const theirs = (filter: string): number[] => tshark(['-r', demo, '-Y', filter, '-T', 'fields', '-e', 'frame.number']).map(Number);
  assert.deepEqual(frames(['--app', 'sip']), theirs('sip'));
  // Another spelling of the same IPv6 address is the same host.
  assert.deepEqual(frames(['--host', 'fd00:0:0::10']), theirs('ipv6.addr == fd00::10'));
  assert.deepEqual(frames(['--host', '10.10.2.11', '--port', '39610']), theirs('ip.addr == 10.10.2.11 && tcp.port == 39610'));
  // The demo's heartbeats all sit on the heartbeat range; tshark knows them only by port.
  assert.deepEqual(frames(['--app', 'mds-heartbeat', '--host', '10.10.1.21']), theirs('ip.addr == 10.10.1.21 && udp.payload && udp.length == 12'));
  assert.deepEqual(frames(['--app', 'sip', '-c', '3']), theirs('sip').slice(0, 3));
  for (const [args, re] of [[['--app', 'sip,voice'], /--app: expected mds-heartbeat, sip, rtp, none \(comma-separated\), got 'voice'/], [['--host', '10.1'], /--host: expected an IPv4 or IPv6 address/], [['--port', '70000'], /--port: expected a port number/]] as const) {
    const r = runCli(['dissect', ...args, demo]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, re);
  }
});

test('a pcapng with a section header and nothing else: no packets, and the link line says none rather than nothing', () => {
  const shb = Buffer.alloc(28);
  shb.writeUInt32LE(0x0a0d0d0a, 0);
  shb.writeUInt32LE(28, 4);
  shb.writeUInt32LE(0x1a2b3c4d, 8);
  shb.writeUInt16LE(1, 12);
  shb.writeBigInt64LE(-1n, 16);
  shb.writeUInt32LE(28, 24);
  const file = join(tmp, 'shb-only.pcapng');
  writeFileSync(file, shb);
  const r = runCli(['analyze', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}link {7}-$/m);
  assert.match(r.stdout, /^ {2}packets {4}0, 0 bytes captured$/m);
});

test('dissect -c N stops reading at the N-th packet printed: what follows is not read (here, a corrupt record)', () => {
  const demo = readFileSync(join(REPO, 'captures', 'demo.pcap'));
  // The demo, then a record header claiming 1 GiB: reading on would be an error.
  const bad = Buffer.alloc(16);
  bad.writeUInt32LE(1 << 30, 8);
  bad.writeUInt32LE(1 << 30, 12);
  const file = join(tmp, 'then-garbage.pcap');
  writeFileSync(file, Buffer.concat([demo, bad]));
  const whole = runCli(['dissect', file]);
  assert.equal(whole.status, 2);
  assert.match(whole.stderr, /record 4171 at byte \d+: captured length 1073741824 exceeds/);
  for (const args of [['-c', '3'], ['--app', 'sip', '-c', '2'], ['--json', '-c', '1']]) {
    const r = runCli(['dissect', ...args, file]);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout.trim().split('\n').length, Number(args[args.length - 1]));
  }
  // From stdin, gzipped, too.
  const piped = runCli(['dissect', '-c', '2', '-'], gzipSync(Buffer.concat([demo, bad])));
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout.trim().split('\n').length, 2);
});

test('dissect - prints each packet as it arrives, while the pipe is still open (tcpdump -U -w - | ucprobe dissect -)', async () => {
  const demo = readFileSync(join(REPO, 'captures', 'demo.pcap'));
  // The file header and the first three records (the demo's first frames are 4-byte heartbeats).
  let end = 24;
  for (let i = 0; i < 3; i++) end += 16 + demo.readUInt32LE(end + 8);
  const child = spawn(process.execPath, [join(REPO, 'bin', 'ucprobe.js'), 'dissect', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin.write(demo.subarray(0, end));
  const shown = await waitFor(() => out.split('\n').filter((l) => l.includes('MDS-HB')).length === 3, 5000);
  child.stdin.end();
  await new Promise((resolve) => child.on('exit', resolve));
  assert.ok(shown, `three lines before the input ended, got: ${out}`);
  assert.match(out, /^09:00:00\.010505 10\.10\.1\.11:39600 > 10\.10\.2\.11:39601 MDS-HB AF31 seq=120000 le$/m);
});

const hasPython = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;

test('- with a terminal on stdin: one line saying to pipe a capture in, exit 2, no wait', { skip: !hasPython && 'python3 (for a pty) not installed' }, () => {
  // python3 gives the command a pseudo-terminal as stdin and stdout, and kills it after 5 s.
  const py = [
    'import os, pty, subprocess, sys',
    'm, s = pty.openpty()',
    'p = subprocess.Popen(sys.argv[1:], stdin=s, stdout=s, stderr=s)',
    'os.close(s)',
    'out = b""',
    'while True:',
    '    try: d = os.read(m, 4096)',
    '    except OSError: break',
    '    if not d: break',
    '    out += d',
    'try: code = p.wait(5)',
    'except subprocess.TimeoutExpired: p.kill(); code = "hung"',
    'print(code); print(out.decode())',
  ].join('\n');
  for (const cmd of ['dissect', 'analyze']) {
    const r = spawnSync('python3', ['-c', py, process.execPath, join(REPO, 'bin', 'ucprobe.js'), cmd, '-'], { encoding: 'utf8', timeout: 20_000 });
    const [code, ...text] = r.stdout.trim().split(/\r?\n/);
    assert.equal(code, '2', r.stdout);
    assert.deepEqual(text, ['ucprobe: stdin: a terminal, not a capture: pipe one in (tcpdump -w - | ucprobe dissect -) or name a file']);
  }
});

test('stdin and gzip: `-` reads a capture piped in', { skip: needsCorpus }, () => {
  const bytes = readFileSync(corpus('sngrep__aaa.pcap'));
  const direct = runCli(['dissect', '--json', corpus('sngrep__aaa.pcap')]);
  const piped = runCli(['dissect', '--json', '-'], bytes);
  const gz = runCli(['dissect', '--json', '-'], gzipSync(bytes));
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stdout, direct.stdout);
  assert.equal(gz.stdout, direct.stdout);
  assert.equal(direct.stdout.trim().split('\n').length, 691);
});

test('analyze --json reports capture facts, counts and SIP by method/status', { skip: needsCorpus }, () => {
  const r = runCli(['analyze', '--json', corpus('zeek__sip__wireshark.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout).files[0];
  assert.equal(rep.capture.format, 'pcap');
  assert.equal(rep.capture.packets, 81);
  assert.equal(rep.protocols.sip, 81);
  assert.equal(rep.sip.messages, 81);
  assert.ok(rep.sip.requests.REGISTER > 0);
  assert.deepEqual(Object.keys(rep.dscp), ['sip']);
});

test('bad input: one line on stderr, exit 2, no stack trace', () => {
  const text = join(tmp, 'notes.txt');
  writeFileSync(text, 'hello world, not a capture\n');
  for (const args of [
    ['analyze', text],
    ['dissect', text],
    ['analyze', join(tmp, 'missing.pcap')],
    ...(hasCorpus ? [['dissect', corpus('gopacket__le__test901.pcapng')]] : []),
    ['analyze', '--hb-ports', '70000', join(REPO, 'captures', 'demo.pcap')],
    ['dissect', '--bogus', join(REPO, 'captures', 'demo.pcap')],
    ['dissect', '-c', 'x', join(REPO, 'captures', 'demo.pcap')],
  ]) {
    const r = runCli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    if (!args.includes('--bogus')) oneLineError(r.stderr);
    else assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});

test('truncated file: every complete record, one warning, exit 0', { skip: needsCorpus }, () => {
  const whole = readFileSync(corpus('sngrep__aaa.pcap'));
  const cut = join(tmp, 'cut.pcap');
  writeFileSync(cut, whole.subarray(0, 50_000));
  const r = runCli(['dissect', '--json', cut]);
  assert.equal(r.status, 0);
  oneLineError(r.stderr);
  assert.match(r.stderr, /warning: .*cut\.pcap: file cut short at byte \d+/);
  const n = r.stdout.trim().split('\n').length;
  assert.ok(n > 100 && n < 691);
});

test('a closed pipe ends dissect quietly', { skip: needsCorpus }, () => {
  const r = spawnSync('bash', ['-c', `node ${join(REPO, 'bin', 'ucprobe.js')} dissect ${corpus('sngrep__aaa.pcap')} | head -3`], { encoding: 'utf8' });
  assert.equal(r.stdout.trim().split('\n').length, 3);
  assert.equal(r.stderr, '');
});

test('header values with escape sequences are shown escaped', { skip: needsCorpus }, () => {
  const r = runCli(['dissect', '-V', corpus('ndpi__fuzz-2006-06-26-2594.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f]/);
});
