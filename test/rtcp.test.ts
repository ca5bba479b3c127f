// RTCP: the dissector on packets written by its own emitters (every type,
// compound, several in one datagram, reduced-size), on those packets damaged
// by a named change (never an exception, the error in the record), against
// tshark on the corpus; and the media analysis that puts a receiver's report
// beside ucprobe's own view of the same stream, with the round trip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  decodeRtcp, looksLikeRtcp, rtcpApp, rtcpBye, rtcpCompound, rtcpRr, rtcpSdes, rtcpSr, rtcpXrVoip, type RtcpRecord, type XrVoipMetrics,
} from '../dissectors/rtcp.js';
import { analyzeFile } from '../src/analysis/analyze.js';
import { corpusCaptures, hasTshark, tshark } from './helpers.js';
import { drop, plan, writeMediaCapture, type Datagram } from './media-fixtures.js';

const block = { ssrc: 0xaabbccdd, fractionLost: 0.25, cumulativeLost: -3, highestSeq: 0x1_0005, jitter: 77, lsr: 0x12345678, dlsr: 0x8000 };
const voip: XrVoipMetrics = {
  ssrc: 0xaabbccdd, lossRate: 0.0625, discardRate: 0.03125, burstDensity: 0.5, gapDensity: 0.0078125, burstDurationMs: 120, gapDurationMs: 4000,
  roundTripDelayMs: 84, endSystemDelayMs: 60, rFactor: 82, mosLq: 4.1, mosCq: 4, jbNominalMs: 40, jbMaxMs: 80,
};

test('every packet type, compound: decode(build(x)) gives x back', () => {
  const dgram = rtcpCompound(
    rtcpSr(0x1111, { ntpMiddle: 0xdeadbeef, rtpTimestamp: 160_000, packets: 500, octets: 80_000 }, [block]),
    rtcpSdes(0x1111, 'alice@10.1.1.1'),
    rtcpApp(0x1111, 'TEST', 3, Uint8Array.of(1, 2, 3, 4)),
    rtcpXrVoip(0x1111, voip),
    rtcpBye([0x1111, 0x2222], 'hangup'),
  );
  assert.ok(looksLikeRtcp(dgram, 0, dgram.length));
  const r = decodeRtcp(dgram, 0, dgram.length);
  assert.equal(r.error, undefined);
  assert.equal(r.reducedSize, false);
  assert.deepEqual(r.packets.map((p) => p.type), ['SR', 'SDES', 'APP', 'XR', 'BYE']);
  assert.deepEqual(r.packets[0], { type: 'SR', ssrc: 0x1111, sender: { ntpMiddle: 0xdeadbeef, rtpTimestamp: 160_000, packets: 500, octets: 80_000 }, reports: [block] });
  assert.deepEqual(r.packets[1], { type: 'SDES', chunks: [{ ssrc: 0x1111, cname: 'alice@10.1.1.1' }] });
  assert.deepEqual(r.packets[2], { type: 'APP', ssrc: 0x1111, name: 'TEST', subtype: 3 });
  assert.deepEqual(r.packets[3], { type: 'XR', ssrc: 0x1111, voip: [voip], otherBlocks: 0 });
  assert.deepEqual(r.packets[4], { type: 'BYE', ssrcs: [0x1111, 0x2222], reason: 'hangup' });
});

test('reduced-size RTCP (a lone BYE, a lone XR) and RR with no blocks', () => {
  const bye = rtcpBye([7]);
  assert.deepEqual(decodeRtcp(bye, 0, bye.length), { packets: [{ type: 'BYE', ssrcs: [7], reason: null }], reducedSize: true });
  const rr = rtcpRr(9, []);
  assert.deepEqual(decodeRtcp(rr, 0, rr.length), { packets: [{ type: 'RR', ssrc: 9, reports: [] }], reducedSize: false });
  const xr = rtcpXrVoip(9, voip);
  assert.equal(decodeRtcp(xr, 0, xr.length).reducedSize, true);
});

/** A good packet, then one named change: what the dissector must say, and that it keeps what came before. */
function damaged(name: string, bytes: Uint8Array, change: (b: Uint8Array) => Uint8Array, error: RegExp, kept: number): void {
  test(`malformed RTCP: ${name}`, () => {
    const b = change(Uint8Array.from(bytes));
    let r: RtcpRecord | undefined;
    assert.doesNotThrow(() => (r = decodeRtcp(b, 0, b.length)));
    assert.match(r!.error ?? '', error);
    assert.equal(r!.packets.length, kept);
  });
}

const sr = rtcpSr(1, { ntpMiddle: 1, rtpTimestamp: 2, packets: 3, octets: 4 }, [block]);
const good = rtcpCompound(sr, rtcpSdes(1, 'x'));
damaged('bad version in the second packet', good, (b) => ((b[sr.length] = 0x41), b), /version 1/, 1);
// The padding bit with a last byte larger than the packet.
damaged('padding longer than the packet', rtcpRr(5, []), (b) => ((b[0] |= 0x20), (b[b.length - 1] = 200), b), /padding of 200 bytes/, 0);
// The report count says 3 blocks; the length holds 1.
damaged('report count past the end', sr, (b) => ((b[0] = (b[0] & 0xe0) | 3), b), /3 report blocks runs past/, 0);
// An XR VoIP block whose length field is 0 (a 4-byte block).
damaged('zero-length XR VoIP block', rtcpXrVoip(1, voip), (b) => ((b[10] = 0), (b[11] = 0), b), /VoIP Metrics block of 4 bytes/, 0);
damaged('length past the datagram', good, (b) => b.subarray(0, b.length - 4), /says 12 bytes, 8 left/, 1);
damaged('3 stray bytes after the packets', good, (b) => Buffer.concat([b, Uint8Array.of(0x80, 0xc9, 0)]), /too short for an RTCP header/, 2);

test('every cut of a compound packet: no exception, what came before the cut kept', () => {
  const whole = rtcpCompound(sr, rtcpSdes(1, 'cname'), rtcpXrVoip(1, voip), rtcpBye([1], 'bye'));
  for (let n = 0; n <= whole.length; n++) {
    const r = decodeRtcp(whole, 0, n);
    assert.ok(r.packets.length <= 4);
    if (n < whole.length && n > 0) assert.ok(r.error !== undefined || r.packets.length > 0, `cut at ${n}`);
  }
});

test('a receiver report beside ucprobe\'s view of the stream, RTT from LSR/DLSR', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ucprobe-rtcp-'));
  const path = join(dir, 'rtcp.pcap');
  const A = '10.60.0.1';
  const B = '10.60.0.2';
  // A sends 500 packets to B, 10 lost; B reports on them over RTCP (port + 1).
  // A's SR at 5.0 s; B's RR at 5.3 s answering it after holding it 250 ms, with an XR VoIP Metrics block.
  const rtcp: Datagram[] = [
    { t: 5.0, src: A, dst: B, sport: 16_385, dport: 26_385, payload: rtcpCompound(rtcpSr(0xa1, { ntpMiddle: 0x00050000, rtpTimestamp: 200_000, packets: 250, octets: 40_000 }), rtcpSdes(0xa1, 'a@x')) },
    { t: 5.3, src: B, dst: A, sport: 26_385, dport: 16_385, payload: rtcpCompound(rtcpRr(0xb1, [{ ssrc: 0xa1, fractionLost: 10 / 256, cumulativeLost: 10, highestSeq: 1499, jitter: 24, lsr: 0x00050000, dlsr: 0x4000 }]), rtcpSdes(0xb1, 'b@x'), rtcpXrVoip(0xb1, { ...voip, ssrc: 0xa1 })) },
  ];
  writeMediaCapture(path, [{ src: A, dst: B, sport: 16_384, dport: 26_384, packets: drop(plan({ count: 500, ssrc: 0xa1 }), [100, 101, 102, 103, 104, 300, 301, 302, 303, 304]) }], [], rtcp);
  const both = await analyzeFile(path);
  assert.deepEqual(both.rtcp.byType, { SR: 1, RR: 1, SDES: 2, BYE: 0, APP: 0, XR: 1, other: 0 });
  assert.equal(both.rtcp.compound, 2);
  const s = both.rtp.streams[0];
  assert.equal(s.lost, 10);
  // 0.3 s between SR and RR, 0.25 s held: 50 ms round trip; jitter 24 ticks at 8 kHz = 3 ms.
  assert.deepEqual(s.rtcp, {
    reports: 1, fractionLostPercent: 3.906, cumulativeLost: 10, jitterMs: 3, rttMs: 50,
    xr: { lossRatePercent: 6.25, discardRatePercent: 3.125, roundTripDelayMs: 84, rFactor: 82, mosLq: 4.1, mosCq: 4, jbNominalMs: 40 },
  });
});

for (const file of corpusCaptures()) {
  test(`RTCP packet types agree with tshark: ${basename(file)}`, { skip: !hasTshark && 'tshark not installed' }, async () => {
    const theirs = tshark(['-r', file, '-Y', 'rtcp && !icmp', '-T', 'fields', '-e', 'rtcp.pt']).flatMap((l) => l.split(','));
    const r = await analyzeFile(file);
    const ours = Object.values(r.rtcp.byType).reduce((a, b) => a + b, 0);
    // tshark decodes RTCP only where SDP or its conversation logic put it; ucprobe by shape: at least as many.
    assert.ok(ours >= theirs.length, `ucprobe ${ours} RTCP packets, tshark ${theirs.length}`);
    const n = (pt: number): number => theirs.filter((x) => Number(x) === pt).length;
    if (ours === theirs.length) assert.deepEqual([r.rtcp.byType.SR, r.rtcp.byType.RR, r.rtcp.byType.SDES, r.rtcp.byType.BYE], [n(200), n(201), n(202), n(203)]);
  });
}

test('a compound packet read at an odd offset of a buffer decodes the same', () => {
  const dgram = rtcpCompound(rtcpSr(1, { ntpMiddle: 9, rtpTimestamp: 8, packets: 7, octets: 6 }), rtcpSdes(1, 'odd'), rtcpSdes(2, 'a-longer-cname'), rtcpBye([1]));
  const shifted = new Uint8Array(dgram.length + 3);
  shifted.set(dgram, 3);
  assert.deepEqual(decodeRtcp(shifted, 3, shifted.length), decodeRtcp(dgram, 0, dgram.length));
  assert.equal(decodeRtcp(shifted, 3, shifted.length).error, undefined);
});
