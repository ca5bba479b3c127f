// `dissect -T fields -e ...` prints what tshark -T fields prints for the same
// fields (named as ucprobe's --json lines name them).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { REPO, hasTshark, runCli, tshark } from './helpers.js';

const DEMO = join(REPO, 'captures', 'demo.pcap');
const hasTcpdump = runCli(['dissect', DEMO, 'udp', '-c', '1']).status === 0;

test('-T fields: frame, both addresses, DSCP, SIP method and Call-ID equal tshark -T fields on the demo SIP over UDP/IPv4 (tshark names IPv6 ends ipv6.addr; ours says ip.addr for both)', { skip: hasTshark && hasTcpdump ? false : 'needs tshark and tcpdump' }, () => {
  const ours = runCli(['dissect', DEMO, 'ip and udp port 5060', '-T', 'fields', '-e', 'frame', '-e', 'ip.addr', '-e', 'dscp', '-e', 'sip.method', '-e', 'sip.callId']);
  assert.equal(ours.status, 0, ours.stderr);
  const theirs = tshark(['-r', DEMO, '-Y', 'ip && udp.port==5060', '-T', 'fields', '-e', 'frame.number', '-e', 'ip.addr', '-e', 'ip.dsfield.dscp', '-e', 'sip.Method', '-e', 'sip.Call-ID']);
  assert.deepEqual(ours.stdout.trim().split('\n'), theirs.filter(Boolean));
  assert.ok(theirs.length > 100);
});

test('-T fields: header and separator as tshark -E takes them; missing -e, -e without -T fields and a bad -E are one line, exit 2', () => {
  const r = runCli(['dissect', DEMO, '-T', 'fields', '-e', 'src', '-e', 'hb.seq', '-E', 'header=y', '-E', 'separator=,', '-c', '2']);
  assert.deepEqual(r.stdout.trim().split('\n'), ['src,hb.seq', '10.10.1.11,120000', '10.10.1.21,52000']);
  for (const args of [['-T', 'fields'], ['-e', 'src'], ['-T', 'fields', '-e', 'src', '-E', 'quote=d']]) {
    const bad = runCli(['dissect', DEMO, ...args]);
    assert.equal(bad.status, 2, args.join(' '));
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  }
});

const PAIRS: Array<[string, string]> = [
  ['sip.method == "INVITE"', 'sip.Method == "INVITE"'],
  ['sip.callId contains "@10.30" || sip.status >= 400', 'sip.Call-ID contains "@10.30" || sip.Status-Code >= 400'],
  ['ip.addr == 10.30.0.102 && !(dscp == 46)', 'ip.addr == 10.30.0.102 && !(ip.dsfield.dscp == 46)'],
  ['sport >= 39600 and sport le 39601 and app == "mds-heartbeat"', 'udp.srcport >= 39600 && udp.srcport <= 39601 && udp.length == 12'],
  ['sip.from matches "^<SIP:PING"', 'sip.From matches "^<SIP:PING"'],
];

for (const [ours, theirs] of PAIRS) {
  test(`-Y '${ours}' selects the frames tshark -Y '${theirs}' selects`, { skip: hasTshark ? false : 'needs tshark' }, () => {
    const r = runCli(['dissect', DEMO, '-Y', ours, '-T', 'fields', '-e', 'frame']);
    assert.equal(r.status, 0, r.stderr);
    const want = tshark(['-r', DEMO, '-Y', theirs, '-T', 'fields', '-e', 'frame.number']).filter(Boolean);
    assert.deepEqual(r.stdout.trim().split('\n').filter(Boolean), want);
    assert.ok(want.length > 0);
  });
}

test('-Y: a bad expression is one line naming the column, exit 2', () => {
  for (const [expr, said] of [['sip.method ==', /expected a value after '==' at column 14/], ['(dscp == 46', /expected '\)' at column 12/], ['dscp == 46 junk', /unexpected 'junk' at column 12/], ['sip.from ~ "("', /bad regular expression at column 12/], ['"x" == 1', /expected a field name at column 1/]] as const) {
    const r = runCli(['dissect', DEMO, '-Y', expr]);
    assert.equal(r.status, 2, expr);
    assert.match(r.stderr, said);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});

test('sip save --call-id writes the call and the RTP its SDP announced, nothing else: tshark reads its SIP and RTP as in the original', { skip: hasTshark ? false : 'needs tshark' }, () => {
  const callId = '64d2f5e2afaefa72@10.30.0.102';
  const out = join(mkdtempSync(join(tmpdir(), 'ucprobe-save-')), 'call.pcapng');
  const r = runCli(['sip', 'save', DEMO, '--call-id', callId, '-w', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^ucprobe: 413 packets of call 64d2f5e2afaefa72@10\.30\.0\.102 \(14 SIP messages, 2 media endpoints\) written to /);
  const sipIn = (file: string): string[] => tshark(['-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Call-ID']).filter(Boolean);
  assert.deepEqual(sipIn(out), sipIn(DEMO).filter((c) => c === callId));
  const streams = (file: string): string[] => tshark(['-r', file, '-q', '-z', 'rtp,streams']).filter((l) => /0x[0-9A-F]{8}/.test(l)).map((l) => l.trim().split(/\s+/).slice(2).join(' '));
  const ours = streams(out);
  assert.equal(ours.length, 2);
  assert.deepEqual(ours, streams(DEMO).filter((l) => ours.includes(l)));
  const none = runCli(['sip', 'save', DEMO, '--call-id', 'nope', '-w', out]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no SIP message with Call-ID 'nope'/);
});
