// The DSCP policy audit: policy files (strict, one-line errors with
// file:line:col and the key), per-flow verdicts on a capture written by the project's
// writer with flows marked right, wrong, mixed, with an accepted alternative
// and asymmetrically, the demo's one wrongly marked RTP flow, --fail-on dscp,
// and the per-flow DSCP/ECN histograms against tshark.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, hasTshark, runCli, tshark } from './helpers.js';
import { TCP_ACK, TCP_PSH, TCP_SYN } from '../dissectors/types.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import type { DscpAuditReport, FlowAudit } from '../src/dscp/audit.js';
import { loadPolicyFile, parsePolicy } from '../src/dscp/policy-file.js';
import { defaultPolicy } from '../src/dscp/default-policy.js';
import { classify, type FlowFacts, type PolicyTransport } from '../src/dscp/policy.js';
import { ShapeMemo } from '../src/dscp/shape-memo.js';
import { Rng } from '../src/generator/rng.js';
import { UsageError } from '../src/common/errors.js';
import {
  buildTcpFrame, buildUdpFrame, heartbeatPayload, rtpPayload, sipBytes, sipRequest, sipResponse, type EthernetSpec, type Ipv4Spec,
} from '../src/writer/frame-builder.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-dscp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const demo = join(REPO, 'captures', 'demo.pcap');

function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

// ---------------------------------------------------------------------------
// Policy files

function policyError(text: string): string {
  try {
    parsePolicy(text, 'p.yaml');
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e.message;
  }
  assert.fail('expected a UsageError');
}

// Policy files are read by YamlFile, as scenario files are: "file:line:col: key.path: problem".
test('policy file errors are one line naming file:line:col, the key and the problem', () => {
  assert.match(policyError('rules:\n  - class: voice\n    expect: EFF\n'), /^p\.yaml:3:13: rules\[0\]\.expect: unknown PHB name or DSCP value 'EFF'/);
  assert.match(policyError('rules:\n  - class: sig\n    expect: CS3\n    ports: [5060, 70000]\n'), /^p\.yaml:4:19: rules\[0\]\.ports\[1\]: bad port '70000'/);
  assert.match(policyError('rules:\n  - class: sig\n    expect: CS3\n    ports: 5061-5060\n'), /^p\.yaml:4:12: rules\[0\]\.ports: bad port '5061-5060'/);
  assert.match(policyError('rules:\n  - clas: sip\n    expect: CS3\n'), /^p\.yaml:2:5: rules\[0\]\.clas: unknown key \(known: class, /);
  assert.match(policyError('rules:\n  - class: x\n    expect: CS3\n    address: [10.0.0.0/33]\n'), /^p\.yaml:4:15: rules\[0\]\.address\[0\]: bad CIDR '10\.0\.0\.0\/33': prefix length/);
  assert.match(policyError('rules:\n  - class: x\n    expect: CS3\n    address: 10.0.0/8\n'), /^p\.yaml:4:14: rules\[0\]\.address: bad CIDR '10\.0\.0\/8' is not an IPv4 or IPv6/);
  assert.match(policyError('rules:\n  - class: x\n    expect: CS3\n    accept: [AF31, 64]\n'), /^p\.yaml:4:20: rules\[0\]\.accept\[1\]: unknown PHB name or DSCP value '64'/);
  assert.match(policyError('rules: [\n  { class: x, expect: CS3 }\n'), /^p\.yaml:3:1: not valid YAML: /);
  assert.match(policyError('rules:\n  - class: x\n     expect: CS3\n'), /^p\.yaml:2:12: not valid YAML: Nested mappings are not allowed in compact mappings$/);
  assert.match(policyError('name: x\nname: y\nrules: []\n'), /^p\.yaml:2:1: not valid YAML: Map keys must be unique/);
  assert.match(policyError('rules:\n  - class: x\n    app: rtp-vidoe\n    expect: AF41\n'), /^p\.yaml:3:10: rules\[0\]\.app: expected one of sip, sip-tls, sip-ws, rtp, rtp-audio, rtp-video, mds-heartbeat/);
  assert.match(policyError('rules:\n  - class: x\n'), /^p\.yaml:2:5: rules\[0\]: missing 'expect'/);
  assert.match(policyError(''), /^p\.yaml:1:1: \(top level\): empty policy file/);
  assert.match(policyError('default: { expect: CS0 }\n'), /^p\.yaml:1:1: \(top level\): missing 'rules'/);
  assert.match(policyError('rules: 5\n'), /^p\.yaml:1:8: rules: expected a list$/);
  assert.match(policyError('rules:\n  - class: x\n    expect: []\n'), /^p\.yaml:3:13: rules\[0\]\.expect: empty list$/);
  assert.match(policyError('default: { enforce: yes }\nrules: []\n'), /^p\.yaml:1:21: default\.enforce: expected true or false$/);
  // JSON is YAML: the same checks, with JSON's line numbers.
  assert.match(policyError('{\n  "rules": [\n    { "class": "v", "expect": "EFF" }\n  ]\n}\n'), /^p\.yaml:3:31: rules\[0\]\.expect: unknown PHB name/);
});

test('a policy file parses names, numbers, ranges, prefixes and the default', () => {
  const p = parsePolicy([
    'name: lab',
    'default: { expect: [CS0, CS1], enforce: true }',
    'rules:',
    '  - class: signaling',
    '    transport: tcp',
    '    ports: [2000, "2748", 39500-39999]',
    '    expect: cs3',
    '    accept: [AF31, 24]',
    '  - class: media',
    '    app: rtp',
    '    address: [10.30.0.0/16, "fd00::/8", 10.1.2.3]',
    '    expect: 46',
  ].join('\n'), 'lab.yaml');
  assert.equal(p.name, 'lab');
  assert.deepEqual(p.default, { expect: [0, 8], enforce: true });
  assert.deepEqual(p.rules[0].ports, [{ lo: 2000, hi: 2000 }, { lo: 2748, hi: 2748 }, { lo: 39500, hi: 39999 }]);
  assert.deepEqual(p.rules[0].expect, [24]);
  assert.deepEqual(p.rules[0].accept, [26], 'a value both expected and accepted is expected');
  assert.deepEqual(p.rules[1].address?.map((c) => `${c.address}/${c.prefix}`), ['10.30.0.0/16', 'fd00::/8', '10.1.2.3/32']);
  assert.deepEqual(p.rules[1].expect, [46]);
});

test('a rule remembered by the flow\'s shape (transport, applications, ports) is the rule matched afresh, for the default, the example and an address policy', () => {
  const rnd = new Rng(5);
  const ports = [1, 1500, 1501, 2000, 2748, 5060, 5061, 8002, 16384, 32767, 32768, 39500, 39999, 40000, 60999];
  const port = (): number => (rnd.float() < 0.7 ? ports[rnd.int(0, ports.length - 1)] : rnd.int(1, 65535));
  const addresses = ['10.30.1.2', '10.1.2.3', '192.168.0.1', 'fd00::1', '2001:db8::7'];
  const policies = [defaultPolicy(), loadPolicyFile(join(REPO, 'examples', 'policy.yaml')), parsePolicy([
    'rules:',
    '  - { class: media, app: rtp, address: [10.30.0.0/16, "fd00::/8"], expect: EF }',
    '  - { class: signaling, transport: tcp, ports: [5060, 39500-39999], expect: CS3 }',
  ].join('\n'), 'address.yaml')];
  for (const policy of policies) {
    // A small set of shapes, so most are asked again, across other addresses.
    const shapes = Array.from({ length: 300 }, () => ({
      transport: (rnd.float() < 0.5 ? 'udp' : 'tcp') as PolicyTransport, sport: port(), dport: port(),
      serverPort: rnd.float() < 0.5 ? null : port(), apps: rnd.int(0, 255),
    }));
    const memo = new ShapeMemo(policy);
    let matched = 0;
    for (let n = 0; n < 20_000; n++) {
      const shape = shapes[rnd.int(0, shapes.length - 1)];
      const f: FlowFacts = { ...shape, src: addresses[rnd.int(0, addresses.length - 1)], dst: addresses[rnd.int(0, addresses.length - 1)] };
      const rule = classify(policy, f);
      assert.equal(memo.classify(f), rule, JSON.stringify(f));
      if (rule >= 0) matched++;
    }
    assert.ok(matched > 1000, `${policy.name}: ${matched} flows matched a rule`);
  }
});

test('the example policy in the repository loads', () => {
  const r = runCli(['analyze', demo, '--policy', join(REPO, 'examples', 'policy.yaml'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).files[0].dscpAudit.policy, 'example contact-center cluster');
});

test('a bad policy on the command line: exit 2, one line, before any capture is read', () => {
  const bad = file('bad.yaml', 'rules:\n  - class: voice\n    app: rtp\n    expect: EFF\n');
  const r = runCli(['analyze', join(tmp, 'no-such.pcap'), '--policy', bad]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `ucprobe: ${bad}:4:13: rules[0].expect: unknown PHB name or DSCP value 'EFF' (expected CS0-CS7, AF11-AF43, EF, VOICE-ADMIT, LE, BE/DF or a number 0..63)\n`);
  const missing = runCli(['analyze', demo, '--policy', join(tmp, 'none.yaml')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^ucprobe: .*none\.yaml: no such file\n$/);
});

// ---------------------------------------------------------------------------
// A capture with every kind of marking

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0) / 1000;
const ETH: EthernetSpec = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const PHONE = '10.1.0.1';
const SERVER = '10.2.0.1';
const CS0 = 0;
const CS3 = 24;
const AF21 = 18;
const AF31 = 26;
const AF41 = 34;
const EF = 46;
const ECT0 = 2;
const CE = 3;

interface Frame {
  t: number;
  bytes: Uint8Array;
}

function ip(src: string, dst: string, dscp: number, ecn = 0): Ipv4Spec {
  return { src, dst, dscp, ecn };
}

function sdp(addr: string, audio: number, video: number): string {
  return ['v=0', `o=- 1 1 IN IP4 ${addr}`, 's=-', `c=IN IP4 ${addr}`, 't=0 0', `m=audio ${audio} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000',
    `m=video ${video} RTP/AVP 96`, 'a=rtpmap:96 H264/90000', ''].join('\r\n');
}

function mixedCapture(path: string): void {
  const frames: Frame[] = [];
  let t = 0;
  const at = (): number => (t += 0.01);
  const udp = (src: string, sport: number, dst: string, dport: number, dscp: number, payload: Uint8Array, ecn = 0): void => {
    frames.push({ t: at(), bytes: buildUdpFrame(ETH, ip(src, dst, dscp, ecn), { sport, dport, payload }) });
  };
  const tcp = (src: string, sport: number, dst: string, dport: number, dscp: number, seq: number): void => {
    frames.push({ t: at(), bytes: buildTcpFrame(ETH, ip(src, dst, dscp), { sport, dport, seq, ack: 1, flags: TCP_ACK | TCP_PSH, window: 65535, payload: new Uint8Array(20) }) });
  };
  const common = {
    from: { uri: `sip:1001@${PHONE}`, tag: 'a1' }, to: { uri: `sip:2002@${SERVER}` }, callId: 'dscp-test@10.1.0.1',
  };
  // SIP both ways CS3 (ok, ok); the offer and the answer announce audio and video.
  udp(PHONE, 5060, SERVER, 5060, CS3, sipBytes(sipRequest({
    ...common, method: 'INVITE', requestUri: `sip:2002@${SERVER}`, via: [{ transport: 'UDP', host: PHONE, port: 5060, branch: 'z9hG4bK-1' }],
    cseq: { seq: 1, method: 'INVITE' }, body: { contentType: 'application/sdp', content: sdp(PHONE, 20000, 20002) },
  })));
  udp(SERVER, 5060, PHONE, 5060, CS3, sipBytes(sipResponse({
    ...common, to: { ...common.to, tag: 'b2' }, status: 200, via: [{ transport: 'UDP', host: PHONE, port: 5060, branch: 'z9hG4bK-1' }],
    cseq: { seq: 1, method: 'INVITE' }, body: { contentType: 'application/sdp', content: sdp(SERVER, 30000, 30002) },
  })));
  const media = new Uint8Array(160);
  for (let i = 0; i < 10; i++) {
    const rtp = (pt: number, ssrc: number): Uint8Array => rtpPayload({ payloadType: pt, seq: i, timestamp: i * 160, ssrc }, media);
    // Audio: EF both ways (ok, ok); the phone's direction uses ECN: 3 ECT(0), then 1 CE.
    udp(PHONE, 20000, SERVER, 30000, EF, rtp(0, 1), i < 3 ? ECT0 : i === 3 ? CE : 0);
    udp(SERVER, 30000, PHONE, 20000, EF, rtp(0, 2));
    // Video: AF41 from the phone (ok), CS0 from the server (violation, asymmetric).
    udp(PHONE, 20002, SERVER, 30002, AF41, rtp(96, 3));
    udp(SERVER, 30002, PHONE, 20002, CS0, rtp(96, 4));
  }
  // CTI on TCP 2748: the server marks CS3, the client sends CS0 (violation, asymmetric: re-mark at the access switch).
  for (let i = 0; i < 3; i++) {
    tcp('10.1.0.5', 50000, SERVER, 2748, CS0, 1000 + i * 20);
    tcp(SERVER, 2748, '10.1.0.5', 50000, CS3, 5000 + i * 20);
  }
  // Heartbeats: 5 AF31 then 3 CS0 (mixed, violation); 5 CS3 (accepted alternative); 3 AF31 + 2 CS3 (mixed, accepted).
  for (let i = 0; i < 8; i++) udp('10.10.1.1', 39600, '10.10.2.1', 39601, i < 5 ? AF31 : CS0, heartbeatPayload(100 + i, 'le'));
  for (let i = 0; i < 5; i++) udp('10.10.1.2', 39700, '10.10.2.2', 39701, CS3, heartbeatPayload(200 + i, 'le'));
  for (let i = 0; i < 5; i++) udp('10.10.1.3', 39800, '10.10.2.3', 39801, i < 3 ? AF31 : CS3, heartbeatPayload(300 + i, 'le'));
  // Nothing classifies these: AF21 is flagged unclassified, CS0 is plain best effort.
  for (let i = 0; i < 2; i++) udp('10.1.0.9', 40000, '10.3.0.1', 12345, AF21, new Uint8Array(30));
  for (let i = 0; i < 2; i++) udp('10.1.0.9', 40001, '10.3.0.1', 9999, CS0, new Uint8Array(30));

  const w = new PcapWriter(path);
  for (const f of frames) {
    const us = Math.round((T0 + f.t) * 1e6);
    w.writePacket(Math.floor(us / 1e6), (us % 1e6) * 1000, f.bytes);
  }
  w.close();
}

const mixedFile = join(tmp, 'marking.pcap');
mixedCapture(mixedFile);

function byFlow(a: DscpAuditReport): Map<string, FlowAudit> {
  return new Map(a.flows.map((f) => [`${f.transport} ${f.flow}`, f]));
}

test('per-flow verdicts: right, wrong, mixed, accepted alternative, asymmetric, unclassified', async () => {
  const a = (await analyzeFile(mixedFile)).dscpAudit;
  const f = byFlow(a);
  const row = (k: string): [string, string, string | null, Record<number, number>, boolean, boolean] => {
    const x = f.get(k);
    assert.ok(x, `flow ${k} in ${[...f.keys()].join(', ')}`);
    return [x.verdict, x.class, x.app, x.observed, x.mixed, x.asymmetric];
  };
  assert.deepEqual(row('udp 10.1.0.1:5060>10.2.0.1:5060'), ['ok', 'sip', 'sip', { [CS3]: 1 }, false, false]);
  assert.deepEqual(row('udp 10.2.0.1:5060>10.1.0.1:5060'), ['ok', 'sip', 'sip', { [CS3]: 1 }, false, false]);
  assert.deepEqual(row('udp 10.1.0.1:20000>10.2.0.1:30000'), ['ok', 'rtp-audio', 'rtp-audio', { [EF]: 10 }, false, false]);
  assert.deepEqual(row('udp 10.2.0.1:30000>10.1.0.1:20000'), ['ok', 'rtp-audio', 'rtp-audio', { [EF]: 10 }, false, false]);
  assert.deepEqual(row('udp 10.1.0.1:20002>10.2.0.1:30002'), ['ok', 'rtp-video', 'rtp-video', { [AF41]: 10 }, false, true]);
  assert.deepEqual(row('udp 10.2.0.1:30002>10.1.0.1:20002'), ['violation', 'rtp-video', 'rtp-video', { [CS0]: 10 }, false, true]);
  assert.deepEqual(row('tcp 10.1.0.5:50000>10.2.0.1:2748'), ['violation', 'cti', null, { [CS0]: 3 }, false, true]);
  assert.deepEqual(row('tcp 10.2.0.1:2748>10.1.0.5:50000'), ['ok', 'cti', null, { [CS3]: 3 }, false, true]);
  assert.deepEqual(row('udp 10.10.1.1:39600>10.10.2.1:39601'), ['violation', 'mds-heartbeat', 'mds-heartbeat', { [CS0]: 3, [AF31]: 5 }, true, false]);
  assert.deepEqual(row('udp 10.10.1.2:39700>10.10.2.2:39701'), ['accepted', 'mds-heartbeat', 'mds-heartbeat', { [CS3]: 5 }, false, false]);
  assert.deepEqual(row('udp 10.10.1.3:39800>10.10.2.3:39801'), ['accepted', 'mds-heartbeat', 'mds-heartbeat', { [CS3]: 2, [AF31]: 3 }, true, false]);
  assert.deepEqual(row('udp 10.1.0.9:40000>10.3.0.1:12345'), ['unclassified', 'best-effort', null, { [AF21]: 2 }, false, false]);
  assert.deepEqual(row('udp 10.1.0.9:40001>10.3.0.1:9999'), ['ok', 'best-effort', null, { [CS0]: 2 }, false, false]);

  const hb = f.get('udp 10.10.1.1:39600>10.10.2.1:39601')!;
  assert.equal(hb.offPolicy, 3);
  assert.equal(f.get('udp 10.10.1.3:39800>10.10.2.3:39801')!.alternative, 2);
  assert.deepEqual(f.get('tcp 10.1.0.5:50000>10.2.0.1:2748')!.reverse, { flow: '10.2.0.1:2748>10.1.0.5:50000', dscp: CS3 });
  assert.deepEqual(f.get('udp 10.1.0.1:20000>10.2.0.1:30000')!.ecn, { ect0: 3, ect1: 0, ce: 1 });

  assert.deepEqual(a.totals, {
    flows: 13, packets: 2 + 40 + 6 + 8 + 5 + 5 + 4, violation: 3, accepted: 2, unclassified: 1, ok: 7, mixed: 2,
    asymmetricConversations: 2, evicted: 0, notAudited: 0, healthCheckFlows: 0, ecn: { ect0: 3, ect1: 0, ce: 1 },
  });
  // Violations first, then accepted alternatives, unclassified, ok.
  assert.deepEqual(a.flows.map((x) => x.verdict), [
    'violation', 'violation', 'violation', 'accepted', 'accepted', 'unclassified', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok',
  ]);
  assert.equal(a.flows[0].flow, '10.2.0.1:30002>10.1.0.1:20002', 'the largest violation first');
});

test('text section: violations first with flow, class, expected and observed; an RTP flow\'s loss and jitter beside its marking', () => {
  const r = runCli(['analyze', mixedFile]);
  assert.equal(r.status, 0, r.stderr);
  const section = r.stdout.slice(r.stdout.indexOf('DSCP policy audit'));
  const lines = section.split('\n');
  assert.equal(lines[0], 'DSCP policy audit (policy default; 13 flows: 3 violating, 2 accepted alternative, 1 unclassified, 7 ok; 2 asymmetric conversations)');
  assert.match(lines[2], /^ {2}VIOLATION +udp 10\.2\.0\.1:30002>10\.1\.0\.1:20002 +rtp-video +rtp-video +AF41 +CS0\(0\)×10 +asymmetric: reverse marks AF41, re-mark this direction at the access switch; 0 % lost, jitter 10\.156 ms$/);
  assert.match(section, /VIOLATION +tcp 10\.1\.0\.5:50000>10\.2\.0\.1:2748 +cti +- +CS3 \(or AF31\) +CS0\(0\)×3 +asymmetric: reverse marks CS3, re-mark/);
  assert.match(section, /VIOLATION +udp 10\.10\.1\.1:39600>10\.10\.2\.1:39601 +mds-heartbeat +mds-heartbeat +AF31 \(or CS3\) +AF31\(26\)×5 CS0\(0\)×3 +3 of 8 off policy; mixed marking/);
  assert.match(section, /accepted +udp 10\.10\.1\.2:39700>10\.10\.2\.2:39701 +mds-heartbeat/);
  assert.match(section, /ok +udp 10\.1\.0\.1:20000>10\.2\.0\.1:30000 .* ECN ECT\(0\)×3 CE×1/);
  assert.match(section, /ECN: ECT\(0\) 3, ECT\(1\) 0, CE 1 packets/);
});

test('a policy file changes the verdicts: address rules, enforced default', () => {
  const p = file('lab.yaml', [
    'name: lab',
    'default: { expect: CS0, enforce: true }',
    'rules:',
    '  - class: partner',
    '    address: 10.3.0.0/16',
    '    ports: 12345',
    '    expect: AF21',
    '  - class: video',
    '    app: rtp-video',
    '    expect: AF41',
    '    accept: CS0',
    '  - class: signaling',
    '    transport: tcp',
    '    ports: 2748',
    '    expect: [CS3, CS0]',
    '  - class: heartbeat',
    '    app: mds-heartbeat',
    '    expect: [AF31, CS3]',
    '  - class: rest',
    '    app: rtp',
    '    expect: EF',
    '  - class: sip',
    '    app: sip',
    '    expect: CS3',
  ].join('\n'));
  const r = runCli(['analyze', mixedFile, '--policy', p, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout).files[0].dscpAudit as DscpAuditReport;
  assert.equal(a.policy, 'lab');
  const f = byFlow(a);
  assert.equal(f.get('udp 10.1.0.9:40000>10.3.0.1:12345')!.class, 'partner');
  assert.equal(f.get('udp 10.1.0.9:40000>10.3.0.1:12345')!.verdict, 'ok');
  assert.equal(f.get('udp 10.2.0.1:30002>10.1.0.1:20002')!.verdict, 'accepted');
  assert.equal(f.get('tcp 10.1.0.5:50000>10.2.0.1:2748')!.verdict, 'ok');
  assert.equal(f.get('udp 10.10.1.1:39600>10.10.2.1:39601')!.verdict, 'violation', 'CS0 is still off policy');
  assert.equal(f.get('udp 10.10.1.3:39800>10.10.2.3:39801')!.verdict, 'ok', 'both markings expected: mixed but ok');
  assert.equal(f.get('udp 10.1.0.9:40001>10.3.0.1:9999')!.verdict, 'ok', 'the default CS0 holds');
  assert.deepEqual([a.totals.violation, a.totals.accepted, a.totals.unclassified, a.totals.ok], [1, 1, 0, 11]);
});

test('the flow table is bounded: evicted flows keep their verdicts in the totals', async () => {
  const { DscpAudit } = await import('../src/dscp/audit.js');
  const { defaultPolicy } = await import('../src/dscp/default-policy.js');
  const { decodeAll } = await import('./helpers.js');
  const { records } = await decodeAll(mixedFile);
  const whole = new DscpAudit(defaultPolicy());
  const small = new DscpAudit(defaultPolicy(), 4);
  for (const rec of records) {
    whole.add(rec);
    small.add(rec);
  }
  const w = whole.report();
  const s = small.report();
  assert.equal(s.flows.length, 4);
  assert.equal(s.totals.evicted, 9);
  for (const k of ['flows', 'packets', 'violation', 'accepted', 'unclassified', 'ok', 'mixed'] as const) assert.equal(s.totals[k], w.totals[k], k);
});

test('TCP port rules look at the server\'s port: from the handshake, else an ephemeral port facing a lower one is the client\'s', async () => {
  const frames: Uint8Array[] = [];
  const seg = (src: string, sport: number, dst: string, dport: number, flags: number): void => {
    frames.push(buildTcpFrame(ETH, ip(src, dst, CS0), { sport, dport, seq: 1, ack: 1, flags, window: 65535, payload: new Uint8Array(flags & TCP_SYN ? 0 : 10) }));
  };
  const data = TCP_ACK | TCP_PSH;
  // 1. A client on port 39600 (Linux's ephemeral range crosses the MDS range) opens a connection to 40000: not MDS.
  //    Only the client's direction carried the SYN; the server's direction is judged by it too.
  seg('10.5.0.1', 39600, '10.5.0.2', 40000, TCP_SYN);
  seg('10.5.0.1', 39600, '10.5.0.2', 40000, data);
  seg('10.5.0.2', 40000, '10.5.0.1', 39600, data);
  // 2. A connection opened to 39700 (the SYN-ACK comes from it): MDS, unmarked, a violation both ways.
  seg('10.5.0.3', 50000, '10.5.0.4', 39700, TCP_SYN);
  seg('10.5.0.4', 39700, '10.5.0.3', 50000, TCP_SYN | TCP_ACK);
  seg('10.5.0.3', 50000, '10.5.0.4', 39700, data);
  // 3. No handshake: 39950 facing X11's 6000 is a client's port (a corpus capture has exactly this).
  seg('10.5.0.5', 39950, '10.5.0.6', 6000, data);
  seg('10.5.0.6', 6000, '10.5.0.5', 39950, data);
  // 4. No handshake: 50732 facing 39610, as the demo's MDS connection: MDS.
  seg('10.5.0.7', 50732, '10.5.0.8', 39610, data);
  const path = join(tmp, 'tcp-ports.pcap');
  const w = new PcapWriter(path);
  frames.forEach((b, i) => w.writePacket(T0 + i, 0, b));
  w.close();
  const f = byFlow((await analyzeFile(path)).dscpAudit);
  const cls = (k: string): [string, string] => [f.get(k)!.class, f.get(k)!.verdict];
  assert.deepEqual(cls('tcp 10.5.0.1:39600>10.5.0.2:40000'), ['best-effort', 'ok']);
  assert.deepEqual(cls('tcp 10.5.0.2:40000>10.5.0.1:39600'), ['best-effort', 'ok']);
  assert.deepEqual(cls('tcp 10.5.0.3:50000>10.5.0.4:39700'), ['mds-private', 'violation']);
  assert.deepEqual(cls('tcp 10.5.0.4:39700>10.5.0.3:50000'), ['mds-private', 'violation']);
  assert.deepEqual(cls('tcp 10.5.0.5:39950>10.5.0.6:6000'), ['best-effort', 'ok']);
  assert.deepEqual(cls('tcp 10.5.0.6:6000>10.5.0.5:39950'), ['best-effort', 'ok']);
  assert.deepEqual(cls('tcp 10.5.0.7:50732>10.5.0.8:39610'), ['mds-private', 'violation']);
});

// ---------------------------------------------------------------------------
// The demo capture

test('demo.pcap: the one wrongly marked flow is the one violation (default policy)', async () => {
  const a = (await analyzeFile(demo)).dscpAudit;
  assert.equal(a.policy, 'default');
  assert.equal(a.totals.violation, 1);
  assert.equal(a.totals.packets, 4170);
  assert.equal(a.totals.unclassified, 0);
  const v = a.flows[0];
  assert.equal(v.verdict, 'violation');
  assert.equal(v.flow, '10.30.0.102:16386>10.20.0.20:24578');
  assert.equal(v.class, 'rtp-audio');
  assert.deepEqual(v.expected, [46]);
  assert.deepEqual(v.observed, { 0: 199 });
  assert.deepEqual(v.reverse, { flow: '10.20.0.20:24578>10.30.0.102:16386', dscp: 46 });
  assert.ok(v.asymmetric);
  assert.equal(a.totals.asymmetricConversations, 1);
  assert.ok(a.flows.slice(1).every((f) => f.verdict === 'ok'), 'everything else is marked as the policy wants');
});

test('--fail-on dscp: exit 1 on a violation, 0 when the policy allows the marking', () => {
  const r = runCli(['analyze', demo, '--fail-on', 'dscp']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /VIOLATION +udp 10\.30\.0\.102:16386>10\.20\.0\.20:24578 +rtp-audio/);
  assert.match(r.stderr, /^ucprobe: --fail-on: 1 flow\(s\) violating the DSCP policy in .*demo\.pcap\n$/);
  const lenient = file('lenient.json', JSON.stringify({ rules: [{ class: 'media', app: 'rtp', expect: 'EF', accept: ['CS0'] }] }, null, 2));
  const ok = runCli(['analyze', demo, '--fail-on', 'dscp', '--policy', lenient]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(runCli(['analyze', demo, '--fail-on', 'dscpp']).status, 2);
});

test('demo.pcap: per-flow DSCP and ECN histograms agree with tshark', { skip: !hasTshark }, async () => {
  const fields = ['ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'ip.dsfield.dscp', 'ip.dsfield.ecn', 'ipv6.tclass'];
  const theirs = new Map<string, { dscp: Record<number, number>; ecn: [number, number, number] }>();
  for (const line of tshark(['-r', demo, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])])) {
    const [s4, s6, d4, d6, us, ud, ts, td, dscp4, ecn4, tclass] = line.split('\t');
    const transport = us ? 'udp' : ts ? 'tcp' : null;
    if (!transport) continue;
    const ep = (a4: string, a6: string, port: string): string => (a4 ? `${a4}:${port}` : `[${a6}]:${port}`);
    const key = `${transport} ${ep(s4, s6, us || ts)}>${ep(d4, d6, ud || td)}`;
    const dscp = dscp4 ? Number(dscp4) : Number(tclass) >> 2;
    const ecn = dscp4 ? Number(ecn4) : Number(tclass) & 3;
    const e = theirs.get(key) ?? { dscp: {}, ecn: [0, 0, 0] };
    e.dscp[dscp] = (e.dscp[dscp] ?? 0) + 1;
    if (ecn === 2) e.ecn[0]++;
    else if (ecn === 1) e.ecn[1]++;
    else if (ecn === 3) e.ecn[2]++;
    theirs.set(key, e);
  }
  const ours = byFlow((await analyzeFile(demo)).dscpAudit);
  assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
  for (const [k, f] of ours) {
    assert.deepEqual(f.observed, theirs.get(k)!.dscp, k);
    assert.deepEqual([f.ecn.ect0, f.ecn.ect1, f.ecn.ce], theirs.get(k)!.ecn, k);
  }
});
