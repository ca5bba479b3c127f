// IGMP and MLD: the pure dissectors on bytes the project's writer emits
// (src/writer/membership-builder.ts), checked against tshark; malformed
// messages; and the multicast groups of a paging capture
// (test/cluster-fixtures.ts), every figure known by construction.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeIgmp, igmpMaxResponseMs } from '../dissectors/igmp.js';
import { decodeMld, mldMaxResponseMs } from '../dissectors/mld.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { igmpMessage, igmpV3Report, mldV1Message, mldV2Report } from '../src/writer/membership-builder.js';
import { Rng } from '../src/generator/rng.js';
import { PAGING_SERVER, START_SEC, pagingFrames, writeFrames } from './cluster-fixtures.js';
import { decodeAll, hasTshark, runCli, tshark } from './helpers.js';
import { collectFile } from '../src/report/collect.js';
import { renderReport } from '../src/report/html.js';

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-multicast-'));
const PAGING = join(tmp, 'paging.pcap');
writeFrames(PAGING, pagingFrames());

test('IGMP v1/v2/v3 round trips: reports, leave, queries, source-specific records', () => {
  assert.deepEqual(decodeIgmp(igmpMessage(0x12, '239.0.0.1'), 0, 8), {
    protocol: 'igmp', version: 1, type: 0x12, kind: 'report', group: '239.0.0.1', records: [{ type: 4, group: '239.0.0.1', sources: [] }], maxResponseMs: null,
  });
  assert.equal(decodeIgmp(igmpMessage(0x16, '239.0.0.2'), 0, 8).version, 2);
  assert.deepEqual(decodeIgmp(igmpMessage(0x17, '239.0.0.2'), 0, 8).records, [{ type: 3, group: '239.0.0.2', sources: [] }]);
  const q1 = decodeIgmp(igmpMessage(0x11, '0.0.0.0', 0), 0, 8);
  assert.deepEqual([q1.version, q1.kind, q1.group, q1.maxResponseMs], [1, 'query', '0.0.0.0', 0]);
  assert.deepEqual(decodeIgmp(igmpMessage(0x11, '239.0.0.2', 100), 0, 8).maxResponseMs, 10000);
  const v3 = igmpV3Report([{ type: 4, group: '239.1.1.2' }, { type: 5, group: '232.1.1.1', sources: ['10.0.0.1', '10.0.0.2'] }, { type: 6, group: '232.1.1.1', sources: ['10.0.0.3'] }]);
  const r = decodeIgmp(v3, 0, v3.length);
  assert.equal(r.error, undefined);
  assert.deepEqual([r.version, r.kind, r.group], [3, 'report', null]);
  assert.deepEqual(r.records, [
    { type: 4, group: '239.1.1.2', sources: [] },
    { type: 5, group: '232.1.1.1', sources: ['10.0.0.1', '10.0.0.2'] },
    { type: 6, group: '232.1.1.1', sources: ['10.0.0.3'] },
  ]);
  // RFC 3376 4.1.1: codes from 128 are a float: 0x80 is mant 0, exp 0 -> (16 << 3) tenths.
  assert.equal(igmpMaxResponseMs(0x80, true), 12800);
  assert.equal(igmpMaxResponseMs(100, true), 10000);
  assert.equal(mldMaxResponseMs(10000), 10000);
  assert.equal(mldMaxResponseMs(0x8000), 0x1000 << 3);
});

test('MLD v1/v2 round trips; other ICMPv6 is not membership', () => {
  const v1 = mldV1Message(131, 'ff15::1:1');
  assert.deepEqual(decodeMld(v1, 0, v1.length), {
    protocol: 'mld', version: 1, type: 131, kind: 'report', group: 'ff15::1:1', records: [{ type: 4, group: 'ff15::1:1', sources: [] }], maxResponseMs: null,
  });
  const done = mldV1Message(132, 'ff15::1:1');
  assert.equal(decodeMld(done, 0, done.length)!.kind, 'leave');
  const v2 = mldV2Report([{ type: 4, group: 'ff15::1:1' }, { type: 3, group: 'ff15::1:2', sources: ['2001:db8::10', '2001:db8::11'] }]);
  const r = decodeMld(v2, 0, v2.length)!;
  assert.equal(r.error, undefined);
  assert.deepEqual(r.records, [{ type: 4, group: 'ff15::1:1', sources: [] }, { type: 3, group: 'ff15::1:2', sources: ['2001:db8::10', '2001:db8::11'] }]);
  // Echo request (128), neighbour solicitation (135): not MLD.
  assert.equal(decodeMld(Uint8Array.of(128, 0, 0, 0, 0, 1, 0, 1), 0, 8), null);
  assert.equal(decodeMld(Uint8Array.of(135, 0, 0, 0), 0, 4), null);
});

test('malformed IGMP and MLD: short, unknown type, record counts past the end give errors, never an exception', () => {
  assert.equal(decodeIgmp(Uint8Array.of(0x16, 0, 0), 0, 3).error, 'igmp: 3 bytes, a message needs 8');
  assert.equal(decodeIgmp(new Uint8Array(0), 0, 0).error, 'igmp: 0 bytes, a message needs 8');
  assert.equal(decodeIgmp(Uint8Array.of(0x99, 0, 0, 0, 0, 0, 0, 0), 0, 8).error, 'igmp: unknown type 0x99');
  const v3 = igmpV3Report([{ type: 4, group: '239.1.1.2' }, { type: 1, group: '232.1.1.1', sources: ['10.0.0.1'] }]);
  // Claims 5 records; holds 2.
  const more = v3.slice();
  more[7] = 5;
  const m = decodeIgmp(more, 0, more.length);
  assert.equal(m.error, 'igmp: report lists 5 group records, 2 fit');
  assert.equal(m.records.length, 2);
  // The second record claims 9 sources.
  const srcs = v3.slice();
  srcs[8 + 8 + 3] = 9;
  assert.equal(decodeIgmp(srcs, 0, srcs.length).error, 'igmp: group record 2 (232.1.1.1) lists 9 sources past the end');
  const v3q = Uint8Array.of(0x11, 100, 0, 0, 239, 1, 1, 1, 2, 125, 0, 3, 10, 0, 0, 1);
  assert.equal(decodeIgmp(v3q, 0, v3q.length).error, 'igmp: query lists 3 sources, 1 fit in 16 bytes');
  assert.equal(decodeMld(Uint8Array.of(131, 0, 0, 0), 0, 4)!.error, 'mld: 4 bytes, a message needs 24');
  const v2 = mldV2Report([{ type: 4, group: 'ff15::1:1' }]);
  const cut = v2.subarray(0, v2.length - 4);
  assert.equal(decodeMld(cut, 0, cut.length)!.error, 'mld: report lists 1 group records, 0 fit');
  const rng = new Rng(7);
  for (let k = 0; k < 20000; k++) {
    const b = new Uint8Array(rng.int(0, 64));
    for (let i = 0; i < b.length; i++) b[i] = rng.int(0, 256);
    if (k % 2 === 0 && b.length > 0) b[0] = [0x11, 0x12, 0x16, 0x17, 0x22][k % 5];
    else if (b.length > 0) b[0] = [130, 131, 132, 143][k % 4];
    decodeIgmp(b, 0, b.length);
    decodeMld(b, 0, b.length);
  }
});

test('the layered decode and dissect show IGMP and MLD (line, -V, --json); malformed ones are record errors', async () => {
  const { records } = await decodeAll(PAGING);
  const m = records.filter((r) => r.membership !== null);
  assert.equal(m.length, 7);
  assert.deepEqual(m.map((r) => `${r.membership!.protocol}v${r.membership!.version} ${r.membership!.kind}`), [
    'igmpv2 query', 'igmpv2 report', 'igmpv2 report', 'igmpv3 report', 'mldv2 report', 'igmpv3 report', 'igmpv2 leave',
  ]);
  const lines = runCli(['dissect', PAGING, '-c', '7']).stdout.trim().split('\n');
  assert.match(lines[0], /10\.3\.0\.1 > 224\.0\.0\.1 IGMP CS0 v2 query 0\.0\.0\.0 max-resp=10000ms$/);
  assert.match(lines[5], /10\.3\.0\.24 > 224\.0\.0\.22 IGMP CS0 v3 report: to-include 239\.1\.1\.1 \[10\.3\.0\.5\]$/);
  assert.match(lines[4], /fe80::23 > ff02::16 MLD CS0 v2 report: to-exclude ff15::1:1$/);
  const tree = runCli(['dissect', PAGING, '-V', '-c', '6']).stdout;
  assert.match(tree, /  IGMP: version 3, type 34 \(0x22\), report\n    Group records: 1\n    Record: to-include \(3\), group 239\.1\.1\.1, 1 source\n      Source: 10\.3\.0\.5/);
  assert.match(tree, /  MLD \(ICMPv6\): version 2, type 143 \(0x8f\), report\n    Group records: 1\n    Record: to-exclude \(4\), group ff15::1:1, 0 sources/);
  const json = runCli(['dissect', PAGING, '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((j) => j.igmp || j.mld);
  assert.equal(json.length, 7);
  assert.deepEqual(json[6].igmp, { version: 2, type: 0x17, kind: 'leave', group: '239.1.1.1', records: [{ type: 3, group: '239.1.1.1', sources: [] }] });
  assert.deepEqual(json[4].mld, { version: 2, type: 143, kind: 'report', records: [{ type: 4, group: 'ff15::1:1', sources: [] }] });
  const fields = runCli(['dissect', PAGING, '-T', 'fields', '-e', 'igmp.type', '-e', 'igmp.group', '-c', '3']).stdout;
  assert.equal(fields, '17\t0.0.0.0\n22\t239.1.1.1\n22\t239.1.1.1\n');

  // A cut IGMPv3 report in a real frame: the record has the error, the run goes on.
  const { igmpFrame } = await import('../src/writer/membership-builder.js');
  const { ETH } = await import('./cluster-fixtures.js');
  const bad = igmpV3Report([{ type: 4, group: '239.1.1.2' }]);
  bad[7] = 3;
  const file = join(tmp, 'bad-igmp.pcap');
  writeFrames(file, [{ t: 0, frame: igmpFrame(ETH, { src: '10.3.0.30', dst: '224.0.0.22' }, bad) }, { t: 1, frame: igmpFrame(ETH, { src: '10.3.0.30', dst: '224.0.0.22' }, Uint8Array.of(0x22, 0)) }]);
  const out = runCli(['dissect', file]);
  assert.equal(out.status, 0);
  assert.match(out.stdout, /\[error: igmp: report lists 3 group records, 1 fit\]/);
  assert.match(out.stdout, /\[error: igmp: 2 bytes, a message needs 8\]/);
  const an = await analyzeFile(file);
  assert.equal(an.multicast.errors, 2);
  assert.equal(an.protocols.errors, 2);
  assert.deepEqual(an.multicast.groups.map((g) => [g.group, g.members]), [['239.1.1.2', ['10.3.0.30']]]);
});

test('IGMP and MLD fields agree with tshark', { skip: !hasTshark && 'tshark is not installed' }, async () => {
  const want = tshark(['-r', PAGING, '-Y', 'igmp || icmpv6', '-T', 'fields', '-E', 'separator=|', '-e', 'frame.number', '-e', 'igmp.type', '-e', 'igmp.maddr',
    '-e', 'igmp.record_type', '-e', 'igmp.saddr', '-e', 'icmpv6.type', '-e', 'icmpv6.mldr.mar.record_type', '-e', 'icmpv6.mldr.mar.multicast_address', '-e', 'igmp.checksum.status', '-e', 'icmpv6.checksum.status']);
  const { records } = await decodeAll(PAGING);
  const got = records.filter((r) => r.membership !== null).map((r) => {
    const m = r.membership!;
    const v3 = m.records.length > 0 && m.group === null;
    const checksum = '1';
    if (m.protocol === 'igmp') {
      const maddr = v3 ? m.records.map((x) => x.group).join(',') : m.group;
      return [r.frame, `0x${m.type.toString(16).padStart(2, '0')}`, maddr, v3 ? m.records.map((x) => x.type).join(',') : '', m.records.flatMap((x) => (v3 ? x.sources : [])).join(','), '', '', '', checksum, ''].join('|');
    }
    return [r.frame, '', '', '', '', m.type, m.records.map((x) => x.type).join(','), m.records.map((x) => x.group).join(','), '', checksum].join('|');
  });
  assert.equal(want.length, 7);
  assert.deepEqual(got, want);
});

test('paging groups: members over time, streams and their marking, a member sent nothing, a stream nobody joined', async () => {
  const r = await analyzeFile(PAGING);
  const mc = r.multicast;
  assert.deepEqual([mc.reports, mc.queries, mc.errors, mc.groupsDropped], [6, 1, 0, 0]);
  assert.deepEqual([r.protocols.igmp, r.protocols.mld], [6, 1]);
  assert.deepEqual(mc.groups.map((g) => g.group), ['239.1.1.1', '239.1.1.2', '239.1.1.9', 'ff15::1:1']);
  const [paging, silent, orphan, v6] = mc.groups;
  assert.deepEqual(paging.members, ['10.3.0.22', '10.3.0.24']);
  assert.deepEqual([paging.joins, paging.leaves], [3, 1]);
  assert.deepEqual(paging.membersOverTime.map((c) => [Number((c.time - START_SEC).toFixed(3)), c.members]), [[1, 1], [1.001, 2], [1.5, 3], [8, 2]]);
  assert.deepEqual(paging.memberDetails.map((m) => [m.address, m.protocol, m.sources, m.leftAt === null ? null : m.leftAt - START_SEC, m.receivedNothing]), [
    ['10.3.0.21', 'igmpv2', [], 8, false],
    ['10.3.0.22', 'igmpv2', null, null, false],
    ['10.3.0.24', 'igmpv3', [PAGING_SERVER], null, false],
  ]);
  assert.deepEqual(paging.streams.map((s) => [s.flow, s.ssrc, s.codecs, s.packets, s.lost, s.dscp, s.markedEf, s.nobodyJoined]), [
    ['10.3.0.5:32000>239.1.1.1:20480', '0x00001001', ['PCMU'], 500, 0, { 46: 500 }, true, false],
  ]);
  assert.deepEqual(paging.silentMembers, []);
  assert.deepEqual([silent.members, silent.silentMembers, silent.streams.length], [['10.3.0.23'], ['10.3.0.23'], 0]);
  assert.deepEqual([orphan.members, orphan.joins], [[], 0]);
  assert.deepEqual(orphan.streams.map((s) => [s.packets, s.dscp, s.markedEf, s.nobodyJoined]), [[100, { 0: 100 }, false, true]]);
  assert.deepEqual([v6.members, v6.memberDetails[0].protocol, v6.streams[0].flow, v6.streams[0].packets, v6.streams[0].markedEf], [['fe80::23'], 'mldv2', '[2001:db8::5]:32000>[ff15::1:1]:20480', 100, true]);

  const text = runCli(['analyze', PAGING]).stdout;
  assert.match(text, /Multicast groups \(4; 6 membership reports, 1 query; 1 member joined but sent nothing, 1 stream to a group nobody joined\)/);
  assert.match(text, /  239\.1\.1\.1: 2 members at the end \(10\.3\.0\.22, 10\.3\.0\.24\); 3 joins, 1 leave, 1 stream\n    members over time \+1\.000:1 \+1\.001:2 \+1\.500:3 \+8\.000:2/);
  assert.match(text, /10\.3\.0\.23 +igmpv3 +\+1\.002 +- +any +JOINED, SENT NOTHING while a member/);
  assert.match(text, /10\.3\.0\.5:32000>239\.1\.1\.9:20480 +0x00001009 +PCMU +100 +0 +CS0 +NOT EF \(paging media is EF\); NOBODY JOINED while it was sent/);
  assert.match(text, /  igmp +6\n  mld +1\n/);
  const json = runCli(['analyze', PAGING, '--json']);
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).files[0].multicast.groups[0].members, ['10.3.0.22', '10.3.0.24']);
  const csv = runCli(['analyze', PAGING, '--format', 'csv', '--table', 'multicast']).stdout.trim().split('\r\n');
  assert.equal(csv.length, 1 + 3 + 1 + 1 + 1 + 1 + 1);
  assert.ok(csv.includes(`${PAGING},239.1.1.2,member,10.3.0.23,igmpv3,2027-01-15T08:00:01.002000Z,,any,true,,,,,,,,10.3.0.23,1,0`), csv.join('\n'));
  const pbFile = join(tmp, 'paging.pb');
  assert.equal(runCli(['analyze', PAGING, '--format', 'pb', '-o', pbFile]).status, 0);
  const groups = runCli(['decode-pb', pbFile]).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>).filter((l) => l.multicastGroup).map((l) => l.multicastGroup);
  assert.deepEqual(groups.map((g) => [g.group, g.members ?? [], g.silentMembers ?? []]), [
    ['239.1.1.1', ['10.3.0.22', '10.3.0.24'], []], ['239.1.1.2', ['10.3.0.23'], ['10.3.0.23']], ['239.1.1.9', [], []], ['ff15::1:1', ['fe80::23'], []],
  ]);
});

test('the HTML report lists each group: members at the end, joins/leaves, its streams with marking and flags; escaped', async () => {
  const rf = await collectFile(PAGING);
  const html = renderReport({ files: [rf], generatedAt: new Date(Date.UTC(2026, 0, 1)), version: 'test' });
  assert.match(html, /Multicast groups \(4\): \d+ membership reports, 1 queries; 1 member\(s\) joined, sent nothing; 1 stream\(s\) nobody joined/);
  // Group rows: group, members at the end, joins, leaves, streams, flags.
  const row = (group: string): string => html.match(new RegExp(`<tr><td>${group.replace(/\./g, '\\.')}</td>.*?</tr>`))?.[0] ?? '';
  assert.match(row('239.1.1.1'), /<td>10\.3\.0\.22, 10\.3\.0\.24<\/td><td class="num">3<\/td><td class="num">1<\/td><td class="num">1<\/td><td>-<\/td>/);
  assert.match(row('239.1.1.2'), /<td>10\.3\.0\.23<\/td><td class="num">1<\/td><td class="num">0<\/td><td class="num">0<\/td><td>joined, sent nothing: 10\.3\.0\.23<\/td>/);
  assert.match(row('239.1.1.9'), /<td>-<\/td><td class="num">0<\/td><td class="num">0<\/td><td class="num">1<\/td><td>nobody joined a stream sent to it<\/td>/);
  // Stream rows: the best-effort page to the group nobody joined carries both flags.
  assert.match(html, /<td>239\.1\.1\.9<\/td><td>10\.3\.0\.5:\d+&gt;239\.1\.1\.9:\d+<\/td>.*?<td class="num">100<\/td>.*?<td>CS0<\/td><td>not EF \(paging media is EF\); nobody joined<\/td>/);
  assert.match(html, /<td>239\.1\.1\.1<\/td><td>10\.3\.0\.5:\d+&gt;239\.1\.1\.1:\d+<\/td>.*?<td class="num">500<\/td>.*?<td>EF<\/td><td>-<\/td>/);
  // The cluster nav link and styles come with it.
  assert.match(html, /href="#f1-cluster">Cluster</);
  // Text in the group table is escaped like everything else.
  rf.report.multicast.groups[0].members = ['<script>alert(1)</script>'];
  const hostile = renderReport({ files: [rf], generatedAt: new Date(0), version: 'test' });
  assert.doesNotMatch(hostile, /<script>alert/);
  assert.ok(hostile.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
});
