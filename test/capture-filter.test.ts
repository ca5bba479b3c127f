// Capture filters on files select exactly what `tcpdump -r FILE EXPR`
// selects: libpcap compiles the expression, ucprobe runs the program. Checked
// side by side with tcpdump on the bundled captures and the public corpus.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { basename, join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { bundledCaptures, corpusCaptures, runCli } from './helpers.js';
import { readCapture } from '../src/sources/capture-reader.js';
import { CaptureFilter, filterFrames, runBpf } from '../src/sources/bpf.js';

const hasTcpdump = spawnSync('tcpdump', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = hasTcpdump ? false : 'needs tcpdump (it compiles the filters)';

const FILTERS = ['udp port 5060', 'udp and portrange 39500-39999', 'ip6 or tcp[tcpflags] & tcp-rst != 0', 'ip[1] & 0xfc == 0xb8 and not icmp', 'vlan and udp', 'greater 200 and host 10.30.0.102'];

/** Timestamps (s.µs) of the packets tcpdump selects; null when tcpdump cannot read the file with it. */
function tcpdumpTimes(file: string, expr: string): string[] | null {
  const r = spawnSync('tcpdump', ['-r', file, '-n', '-tt', expr], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return null;
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
}

async function ourTimes(file: string, expr: string): Promise<string[]> {
  const out: string[] = [];
  const f = new CaptureFilter(expr);
  await readCapture(file, filterFrames((info) => out.push(`${info.tsSec}.${String(Math.floor(info.tsNsec / 1000)).padStart(6, '0')}`), f)).catch(() => undefined);
  return out;
}

test('capture filters select the packets tcpdump selects, on every bundled and corpus capture tcpdump reads', { skip, timeout: 240_000 }, async () => {
  let compared = 0;
  let selected = 0;
  for (const file of [...bundledCaptures(), ...corpusCaptures()]) {
    for (const expr of FILTERS) {
      const want = tcpdumpTimes(file, expr);
      if (want === null) continue;
      const got = await ourTimes(file, expr);
      assert.deepEqual(got, want, `${basename(file)}: ${expr}`);
      compared++;
      selected += got.length;
    }
  }
  assert.ok(compared >= FILTERS.length, `compared ${compared}`);
  assert.ok(selected > 0);
});

test('dissect FILE EXPR, -r FILE EXPR and -f EXPR print the same packets; analyze -f and -c count only what they select', { skip }, () => {
  const demo = bundledCaptures().find((f) => basename(f) === 'demo.pcap')!;
  const a = runCli(['dissect', demo, 'udp', 'port', '5060']);
  const b = runCli(['dissect', '-r', demo, 'udp port 5060']);
  const c = runCli(['dissect', demo, '-f', 'udp port 5060']);
  assert.equal(a.status, 0);
  assert.equal(a.stdout.split('\n').filter(Boolean).length, tcpdumpTimes(demo, 'udp port 5060')!.length);
  assert.equal(b.stdout, a.stdout);
  assert.equal(c.stdout, a.stdout);
  const sip = JSON.parse(runCli(['analyze', '-r', demo, '-f', 'udp port 5060', '--json']).stdout) as { files: Array<{ protocols: { udp: number; tcp: number } }> };
  assert.equal(sip.files[0].protocols.udp, tcpdumpTimes(demo, 'udp port 5060')!.length);
  assert.equal(sip.files[0].protocols.tcp, 0);
  const first = JSON.parse(runCli(['analyze', demo, '-f', 'udp port 5060', '-c', '10', '--json']).stdout) as { files: Array<{ protocols: { udp: number } }> };
  assert.equal(first.files[0].protocols.udp, 10);
});

test('a filter tcpdump cannot parse is one line naming it, exit 2; so is one both after the file and with -f', { skip }, () => {
  const demo = bundledCaptures().find((f) => basename(f) === 'demo.pcap')!;
  for (const args of [['dissect', demo, 'udp port'], ['analyze', demo, '-f', 'bogus junk']]) {
    const r = runCli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^ucprobe: bad capture filter '[^']+': .*syntax error\n$/);
  }
  const both = runCli(['dissect', demo, 'udp', '-f', 'tcp']);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /pick one/);
});

test('the BPF interpreter: loads past the packet reject it, division by zero rejects, and it never throws on junk', () => {
  // ldh [12]; ret #65535 — on a 10-byte packet the load is out of range.
  const prog = Uint32Array.of(0x28, 0, 0, 12, 0x06, 0, 0, 65535);
  assert.equal(runBpf(prog, new Uint8Array(10), 0, 10, 10), 0);
  assert.equal(runBpf(prog, new Uint8Array(14), 0, 14, 14), 65535);
  // ld #1; div #0; ret a
  assert.equal(runBpf(Uint32Array.of(0x00, 0, 0, 1, 0x34, 0, 0, 0, 0x16, 0, 0, 0), new Uint8Array(4), 0, 4, 4), 0);
  for (let i = 0; i < 200; i++) {
    const junk = new Uint32Array(4 * 8).map(() => Math.floor(Math.random() * 2 ** 32));
    assert.doesNotThrow(() => runBpf(junk, new Uint8Array(64), 0, 64, 64));
  }
});

test('dissect -w writes what it printed: read back, it prints the same lines, and tcpdump reads the same count', { skip }, () => {
  const demo = bundledCaptures().find((f) => basename(f) === 'demo.pcap')!;
  const out = join(mkdtempSync(join(tmpdir(), 'ucprobe-w-')), 'sip.pcapng');
  const first = runCli(['dissect', demo, 'udp port 5060', '--app', 'sip', '--host', '10.30.0.101', '-w', out]);
  assert.equal(first.status, 0, first.stderr);
  const again = runCli(['dissect', out]);
  assert.equal(again.stdout, first.stdout);
  assert.equal(tcpdumpTimes(out, 'udp')!.length, first.stdout.split('\n').filter(Boolean).length);
  assert.ok(first.stdout.length > 0);
});
