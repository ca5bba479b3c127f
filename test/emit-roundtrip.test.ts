// Layout once: every dissector's emitter writes with the offsets its decoder
// reads, so for random valid headers decode(emit(x)) gives x back (each field
// the decoder reports), and a frame the frame builder chains from those
// emitters decodes to the fields it was given. Checksums are checked by the
// RFC 1071 property (a covered range including its checksum sums to zero).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeEthernet, decodeNull, decodeSll, decodeSll2, emitEthernet, emitNull, emitSll, emitSll2, ethernetHeaderLength,
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_NONE, ETHERTYPE_PPPOE_SESSION, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_VLAN,
  NULL_HEADER_LEN, SLL2_HEADER_LEN, SLL_HEADER_LEN, type VlanTag,
} from '../dissectors/link.js';
import { decodeIpv4, emitIpv4, ipv4HeaderLength, ipv4ToString, type Ipv4Fields } from '../dissectors/ipv4.js';
import { decodeIpv6, emitIpv6, IPV6_HEADER_LEN, ipv6ToString } from '../dissectors/ipv6.js';
import { decodeUdp, emitUdp, IPPROTO_UDP, UDP_HEADER_LEN } from '../dissectors/udp.js';
import { decodeTcp, emitTcp, IPPROTO_TCP, tcpHeaderLength } from '../dissectors/tcp.js';
import { decodeRtp, emitRtp, RTP_HEADER_LEN } from '../dissectors/rtp.js';
import { decodeHeartbeat, emitHeartbeat, HEARTBEAT_PAYLOAD_LEN } from '../dissectors/mds-heartbeat.js';
import {
  decodeRtcp, rtcpApp, rtcpBye, rtcpCompound, rtcpRr, rtcpSdes, rtcpSr, rtcpXrVoip, type RtcpPacket, type RtcpReportBlock, type XrVoipMetrics,
} from '../dissectors/rtcp.js';
import { decodeGre, emitGre, greHeaderLength, GRE_PROTO_PPP, type GreHeader } from '../dissectors/gre.js';
import { decodePpp, decodePppoeSession, emitPpp, emitPppoeSession, PPP_IPV4, PPP_IPV6 } from '../dissectors/ppp.js';
import { decodeHep, emitHep3, hep3Length, HEP_CHUNK, type Hep3Fields } from '../dissectors/hep.js';
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from '../dissectors/wire.js';
import { decodeFrame } from '../dissectors/frame.js';
import type { FrameInfo, IpHeader } from '../dissectors/types.js';
import { buildTcpFrame, buildUdpFrame, fragmentIpv4, udpSegment, type EthernetSpec, type IpSpec } from '../src/writer/frame-builder.js';

const RUNS = { numRuns: 2000 };

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.nat({ max: 0xffffffff });
const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
/** An EtherType the Ethernet decoder hands on as it is (not a tag, not PPPoE, not an 802.3 length). */
const plainEtherType = u16.filter((t) => t > 1500 && t !== ETHERTYPE_VLAN && t !== ETHERTYPE_QINQ && t !== ETHERTYPE_QINQ_OLD && t !== ETHERTYPE_PPPOE_SESSION);
/** fast-check builds records without a prototype; the decoders return plain objects. */
const plain = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.map((o) => ({ ...o }));
/** Options whose length the emitter accepts (it pads them to 32 bits). */
const options = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined });

/** The fields of a decoded IP header as a plain object. */
function ipFields(h: IpHeader | null): IpHeader {
  assert.ok(h);
  return { version: h.version, src: h.src, dst: h.dst, dscp: h.dscp, ecn: h.ecn, ttl: h.ttl, proto: h.proto, id: h.id, fragment: h.fragment };
}

/** The RFC 1071 check of a transport checksum: the segment plus its pseudo-header sums to 0 once complemented. */
function transportChecksumOk(seg: Uint8Array, src: Uint8Array, dst: Uint8Array, proto: number): boolean {
  return finishChecksum(onesComplementSum(seg, 0, seg.length, pseudoHeaderSum(src, dst, proto, seg.length))) === 0;
}

test('Ethernet with 0..3 VLAN tags: decodeEthernet(emitEthernet(h)) gives the EtherType, the VLAN ids and where IP starts', () => {
  const tag: fc.Arbitrary<VlanTag> = fc.record({
    vid: fc.integer({ min: 0, max: 4095 }), pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), tpid: fc.constantFrom(ETHERTYPE_VLAN, ETHERTYPE_QINQ),
  });
  fc.assert(fc.property(bytes(6), bytes(6), fc.array(tag, { maxLength: 3 }), plainEtherType, (dst, src, vlans, etherType) => {
    const buf = new Uint8Array(ethernetHeaderLength(vlans.length));
    const end = emitEthernet(buf, 0, { dst, src, vlans, etherType });
    assert.equal(end, buf.length);
    assert.deepEqual(decodeEthernet(buf, 0, end), { etherType, offset: end, vlans: vlans.length ? vlans.map((v) => v.vid) : null, error: null });
    assert.deepEqual([buf.subarray(0, 6), buf.subarray(6, 12)], [dst, src]);
  }), RUNS);
});

test('Linux cooked SLL and SLL2, BSD null and loop: the decoders read back the protocol the emitters wrote', () => {
  fc.assert(fc.property(u8, fc.uint8Array({ maxLength: 8 }), plainEtherType, u32, (packetType, address, protocol, ifindex) => {
    const sll = new Uint8Array(SLL_HEADER_LEN);
    assert.equal(emitSll(sll, 0, { packetType, address, protocol }), SLL_HEADER_LEN);
    assert.deepEqual(decodeSll(sll, 0, sll.length), { etherType: protocol, offset: SLL_HEADER_LEN, vlans: null, error: null });
    const sll2 = new Uint8Array(SLL2_HEADER_LEN);
    assert.equal(emitSll2(sll2, 0, { packetType, address, protocol, ifindex }), SLL2_HEADER_LEN);
    assert.deepEqual(decodeSll2(sll2, 0, sll2.length), { etherType: protocol, offset: SLL2_HEADER_LEN, vlans: null, error: null });
  }), RUNS);
  for (const [family, etherType] of [[2, ETHERTYPE_IPV4], [10, ETHERTYPE_IPV6], [24, ETHERTYPE_IPV6], [28, ETHERTYPE_IPV6], [30, ETHERTYPE_IPV6], [7, ETHERTYPE_NONE]]) {
    for (const order of ['le', 'be'] as const) {
      const b = new Uint8Array(NULL_HEADER_LEN);
      assert.equal(emitNull(b, 0, family, order), NULL_HEADER_LEN);
      assert.deepEqual(decodeNull(b, 0, b.length), { etherType, offset: NULL_HEADER_LEN, vlans: null, error: null }, `family ${family} ${order}`);
    }
  }
});

const ipv4Fields: fc.Arbitrary<Ipv4Fields> = fc.record({
  src: bytes(4), dst: bytes(4), proto: u8, dscp: fc.integer({ min: 0, max: 63 }), ecn: fc.integer({ min: 0, max: 3 }), ttl: u8, id: u16,
  df: fc.boolean(), mf: fc.boolean(), fragmentOffset: fc.integer({ min: 0, max: 0x1fff }).map((n) => n * 8), options,
});

test('IPv4: decodeIpv4(emitIpv4(h)) gives every header field back, and the header checksum verifies', () => {
  fc.assert(fc.property(ipv4Fields, fc.integer({ min: 0, max: 1400 }), (h, payloadLen) => {
    const hlen = ipv4HeaderLength(h.options?.length ?? 0);
    const buf = new Uint8Array(hlen + payloadLen);
    assert.equal(emitIpv4(buf, 0, h, payloadLen), hlen);
    const d = decodeIpv4(buf, 0, buf.length, false);
    assert.equal(d.error, null);
    assert.deepEqual([d.offset, d.end], [hlen, buf.length]);
    const fragment = h.mf || h.fragmentOffset! > 0 ? { offset: h.fragmentOffset, moreFragments: h.mf } : null;
    assert.deepEqual(ipFields(d.header), {
      version: 4, src: ipv4ToString(h.src, 0), dst: ipv4ToString(h.dst, 0), dscp: h.dscp, ecn: h.ecn, ttl: h.ttl, proto: h.proto, id: h.id, fragment,
    });
    assert.equal(finishChecksum(onesComplementSum(buf, 0, hlen)), 0);
  }), RUNS);
});

/** Next-header values the IPv6 decoder walks through as extension headers; any other is the upper layer. */
const IPV6_EXTENSIONS = new Set([0, 43, 44, 51, 60, 135]);

test('IPv6: decodeIpv6(emitIpv6(h)) gives the addresses, traffic class, hop limit and next header back', () => {
  const h6 = fc.record({
    src: bytes(16), dst: bytes(16), nextHeader: u8.filter((n) => !IPV6_EXTENSIONS.has(n)), dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }), flowLabel: fc.integer({ min: 0, max: 0xfffff }), hopLimit: u8,
  });
  fc.assert(fc.property(h6, fc.integer({ min: 1, max: 1400 }), (h, payloadLen) => {
    const buf = new Uint8Array(IPV6_HEADER_LEN + payloadLen);
    assert.equal(emitIpv6(buf, 0, h, payloadLen), IPV6_HEADER_LEN);
    const d = decodeIpv6(buf, 0, buf.length, false);
    assert.equal(d.error, null);
    assert.deepEqual([d.offset, d.end], [IPV6_HEADER_LEN, buf.length]);
    assert.deepEqual(ipFields(d.header), {
      version: 6, src: ipv6ToString(h.src, 0), dst: ipv6ToString(h.dst, 0), dscp: h.dscp, ecn: h.ecn, ttl: h.hopLimit, proto: h.nextHeader, id: 0, fragment: null,
    });
  }), RUNS);
});

test('UDP: decodeUdp(emitUdp(x)) gives the ports and the payload span; the checksum verifies over either pseudo-header', () => {
  fc.assert(fc.property(u16, u16, fc.uint8Array({ maxLength: 600 }), fc.constantFrom(4, 16), fc.boolean(), (sport, dport, payload, alen, withSum) => {
    const src = new Uint8Array(alen).fill(0x0a);
    const dst = new Uint8Array(alen).fill(0x14);
    const buf = new Uint8Array(UDP_HEADER_LEN + payload.length);
    assert.equal(emitUdp(buf, 0, sport, dport, payload, withSum ? { src, dst } : null), buf.length);
    assert.deepEqual(decodeUdp(buf, 0, buf.length, false), { sport, dport, offset: UDP_HEADER_LEN, end: buf.length, error: null });
    assert.deepEqual(buf.subarray(UDP_HEADER_LEN), payload);
    if (withSum) assert.ok(transportChecksumOk(buf, src, dst, IPPROTO_UDP));
    else assert.deepEqual([buf[6], buf[7]], [0, 0]);
  }), RUNS);
});

test('TCP: decodeTcp(emitTcp(x)) gives ports, sequence numbers, flags (NS included), window and header length; the checksum verifies', () => {
  const seg = fc.record({
    sport: u16, dport: u16, seq: u32, ack: u32, flags: fc.integer({ min: 0, max: 0x1ff }), window: u16, urgent: u16, options, payload: fc.uint8Array({ maxLength: 300 }),
  });
  fc.assert(fc.property(seg, bytes(4), bytes(4), (t, src, dst) => {
    const hlen = tcpHeaderLength(t.options?.length ?? 0);
    const buf = new Uint8Array(hlen + t.payload.length);
    assert.equal(emitTcp(buf, 0, t, { src, dst }), buf.length);
    assert.deepEqual(decodeTcp(buf, 0, buf.length), {
      sport: t.sport, dport: t.dport, header: { seq: t.seq, ack: t.ack, flags: t.flags, window: t.window, headerLength: hlen }, offset: hlen, error: null,
    });
    assert.ok(transportChecksumOk(buf, src, dst, IPPROTO_TCP));
  }), RUNS);
});

test('RTP and the MDS heartbeat: decode(emit(x)) = x', () => {
  // Payload types 72..79 are RTCP's packet types once the marker is taken: the RTP decoder refuses them by design.
  const rtp = fc.record({ payloadType: fc.integer({ min: 0, max: 127 }).filter((pt) => pt < 72 || pt > 79), seq: u16, timestamp: u32, ssrc: u32, marker: fc.boolean() });
  fc.assert(fc.property(rtp, (h) => {
    const buf = new Uint8Array(RTP_HEADER_LEN + 160);
    assert.equal(emitRtp(buf, 0, h), RTP_HEADER_LEN);
    assert.deepEqual(decodeRtp(buf, 0, buf.length), { version: 2, ...h });
  }), RUNS);
  fc.assert(fc.property(u32, fc.constantFrom('le' as const, 'be' as const), (seq, order) => {
    const buf = new Uint8Array(HEARTBEAT_PAYLOAD_LEN);
    assert.equal(emitHeartbeat(buf, 0, seq, order), HEARTBEAT_PAYLOAD_LEN);
    assert.deepEqual(decodeHeartbeat(buf, 0, buf.length, order), { seq, byteOrder: order });
  }), RUNS);
});

test('RTCP: a random compound of SR, RR, SDES, BYE, APP and XR packets decodes to what was emitted', () => {
  /** Text of Latin-1 characters, as RTCP carries it. */
  const latin1 = (max: number): fc.Arbitrary<string> => fc.array(u8, { maxLength: max }).map((a) => String.fromCharCode(...a));
  const report: fc.Arbitrary<RtcpReportBlock> = plain(fc.record({
    ssrc: u32, fractionLost: u8.map((k) => k / 256), cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }), highestSeq: u32, jitter: u32, lsr: u32, dlsr: u32,
  }));
  const voip: fc.Arbitrary<XrVoipMetrics> = plain(fc.record({
    ssrc: u32, lossRate: u8.map((k) => k / 256), discardRate: u8.map((k) => k / 256), burstDensity: u8.map((k) => k / 256), gapDensity: u8.map((k) => k / 256),
    burstDurationMs: u16, gapDurationMs: u16, roundTripDelayMs: u16, endSystemDelayMs: u16, rFactor: u8, mosLq: u8.map((k) => k / 10), mosCq: u8.map((k) => k / 10),
    jbNominalMs: u16, jbMaxMs: u16,
  }));
  const reports = fc.array(report, { maxLength: 31 });
  const pkt: fc.Arbitrary<{ bytes: Uint8Array; want: RtcpPacket }> = fc.oneof(
    fc.tuple(u32, plain(fc.record({ ntpMiddle: u32, rtpTimestamp: u32, packets: u32, octets: u32 })), reports)
      .map(([ssrc, sender, r]) => ({ bytes: rtcpSr(ssrc, sender, r), want: { type: 'SR' as const, ssrc, sender, reports: r } })),
    fc.tuple(u32, reports).map(([ssrc, r]) => ({ bytes: rtcpRr(ssrc, r), want: { type: 'RR' as const, ssrc, reports: r } })),
    fc.tuple(u32, latin1(255)).map(([ssrc, cname]) => ({ bytes: rtcpSdes(ssrc, cname), want: { type: 'SDES' as const, chunks: [{ ssrc, cname }] } })),
    fc.tuple(fc.array(u32, { maxLength: 31 }), fc.option(latin1(255), { nil: undefined }))
      .map(([ssrcs, reason]) => ({ bytes: rtcpBye(ssrcs, reason), want: { type: 'BYE' as const, ssrcs, reason: reason ?? null } })),
    fc.tuple(u32, latin1(4).map((s) => s.padEnd(4)), fc.integer({ min: 0, max: 31 }), fc.uint8Array({ maxLength: 40 }))
      .map(([ssrc, name, subtype, data]) => ({ bytes: rtcpApp(ssrc, name, subtype, data), want: { type: 'APP' as const, ssrc, name, subtype } })),
    fc.tuple(u32, voip).map(([ssrc, m]) => ({ bytes: rtcpXrVoip(ssrc, m), want: { type: 'XR' as const, ssrc, voip: [m], otherBlocks: 0 } })),
  );
  fc.assert(fc.property(fc.array(pkt, { minLength: 1, maxLength: 6 }), (pkts) => {
    const dgram = rtcpCompound(...pkts.map((p) => p.bytes));
    const r = decodeRtcp(dgram, 0, dgram.length);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.packets, pkts.map((p) => p.want));
  }), { numRuns: 1000 });
});

test('GRE, PPP and PPPoE: the decoders find the protocol and the payload where the emitters put them', () => {
  const gre: fc.Arbitrary<GreHeader> = fc.record({
    protocol: fc.constantFrom(ETHERTYPE_IPV4, ETHERTYPE_IPV6, GRE_PROTO_PPP), version: fc.constantFrom(0 as const, 1 as const),
    checksum: fc.option(u32, { nil: undefined }), key: fc.option(u32, { nil: undefined }), seq: fc.option(u32, { nil: undefined }), ack: fc.option(u32, { nil: undefined }),
  });
  fc.assert(fc.property(gre, (h) => {
    const buf = new Uint8Array(greHeaderLength(h) + 20);
    const off = emitGre(buf, 0, h);
    assert.equal(off, greHeaderLength(h));
    assert.deepEqual(decodeGre(buf, 0, buf.length), { protocol: h.protocol, offset: off, error: null });
  }), RUNS);
  fc.assert(fc.property(fc.constantFrom(PPP_IPV4, PPP_IPV6, 0xc021), fc.boolean(), fc.boolean(), u16, (proto, hdlc, compress, session) => {
    const etherType = proto === PPP_IPV4 ? ETHERTYPE_IPV4 : proto === PPP_IPV6 ? ETHERTYPE_IPV6 : -1;
    const ppp = new Uint8Array(8);
    const off = emitPpp(ppp, 0, proto, { hdlc, compress });
    assert.equal(off, (hdlc ? 2 : 0) + (compress && proto < 0x100 ? 1 : 2));
    assert.deepEqual(decodePpp(ppp, 0, ppp.length), { etherType, offset: off, vlans: null, error: null });
    const pppoe = new Uint8Array(20);
    const at = emitPppoeSession(pppoe, 0, session, proto, 12);
    assert.deepEqual(decodePppoeSession(pppoe, 0, pppoe.length), { etherType, offset: at, vlans: null, error: null });
  }), RUNS);
});

test('HEPv3: decodeHep(emitHep3(f)) gives the addresses, ports, time, ids, TOS and payload back', () => {
  const fields = fc.record({
    v6: fc.boolean(), a: bytes(16), b: bytes(16), ipProto: u8, sport: u16, dport: u16, tsSec: u32, tsUsec: fc.nat({ max: 999_999 }), protoType: u8, captureId: u32,
    ipTos: fc.option(u8, { nil: null }), payload: fc.uint8Array({ maxLength: 500 }),
  });
  fc.assert(fc.property(fields, (r) => {
    const n = r.v6 ? 16 : 4;
    const f: Hep3Fields = {
      ipFamily: r.v6 ? 6 : 4, ipProto: r.ipProto, src: r.a.subarray(0, n), dst: r.b.subarray(0, n), sport: r.sport, dport: r.dport, tsSec: r.tsSec, tsUsec: r.tsUsec,
      protoType: r.protoType, captureId: r.captureId, authKey: null, correlationId: null, ipTos: r.ipTos, vendorChunks: [], payload: r.payload,
    };
    const len = hep3Length(f);
    const buf = new Uint8Array(len);
    assert.equal(emitHep3(buf, 0, f, len), len);
    const h = decodeHep(buf, 0, buf.length);
    const text = (x: Uint8Array): string => (r.v6 ? ipv6ToString(x, 0) : ipv4ToString(x, 0));
    assert.equal(h.error, null);
    assert.deepEqual(
      [h.version, h.length, h.ipFamily, h.ipProto, h.src, h.dst, h.sport, h.dport, h.tsSec, h.tsUsec, h.protoType, h.captureId, h.ipTos, h.payload],
      [3, len, f.ipFamily, f.ipProto, text(f.src), text(f.dst), f.sport, f.dport, f.tsSec, f.tsUsec, f.protoType, f.captureId, f.ipTos, f.payload],
    );
    assert.deepEqual(h.otherChunks.map((c) => c.type).filter((t) => t === HEP_CHUNK.PAYLOAD), []);
  }), RUNS);
});

// ---------------------------------------------------------------------------
// The frame builder: the emitters chained

function info(len: number): FrameInfo {
  return { frame: 1, tsSec: 0, tsNsec: 0, caplen: len, len, linkType: 1, iface: 0 };
}

const addr4 = bytes(4).map((b) => ipv4ToString(b, 0));
const addr6 = bytes(16).map((b) => ipv6ToString(b, 0));
const ethSpec: fc.Arbitrary<EthernetSpec> = fc.record({
  src: bytes(6), dst: bytes(6), vlans: fc.array(fc.record({ vid: fc.integer({ min: 1, max: 4095 }), pcp: fc.integer({ min: 0, max: 7 }) }), { maxLength: 2 }),
});
const ipSpec: fc.Arbitrary<IpSpec> = fc.oneof(
  fc.record({ src: addr4, dst: addr4, dscp: fc.integer({ min: 0, max: 63 }), ecn: fc.integer({ min: 0, max: 3 }), ttl: fc.integer({ min: 1, max: 255 }), id: u16, df: fc.boolean() }),
  fc.record({ version: fc.constant(6 as const), src: addr6, dst: addr6, dscp: fc.integer({ min: 0, max: 63 }), ecn: fc.integer({ min: 0, max: 3 }), hopLimit: fc.integer({ min: 1, max: 255 }) }),
);
/** Ports off every heuristic (heartbeat, SIP, RTP ranges), so the frame decodes as plain UDP/TCP. */
const quietPort = fc.integer({ min: 1024, max: 16383 }).filter((p) => p !== 5060 && p !== 5061);

function expectIp(got: IpHeader | null, ip: IpSpec, proto: number): void {
  const v6 = ip.version === 6;
  assert.deepEqual(
    ipFields(got),
    { version: v6 ? 6 : 4, src: ip.src, dst: ip.dst, dscp: ip.dscp, ecn: ip.ecn, ttl: v6 ? ip.hopLimit : ip.ttl, proto, id: v6 ? 0 : ip.id, fragment: null },
  );
}

test('frame builder: decodeFrame of a built UDP or TCP frame returns the VLANs, IP fields, ports, TCP header and payload it was given', () => {
  fc.assert(fc.property(ethSpec, ipSpec, quietPort, quietPort, fc.uint8Array({ minLength: 5, maxLength: 400 }), (eth, ip, sport, dport, payload) => {
    const f = buildUdpFrame(eth, ip, { sport, dport, payload });
    const r = decodeFrame(info(f.length), f);
    assert.equal(r.error, null);
    assert.deepEqual(r.vlans, eth.vlans!.length ? eth.vlans!.map((v) => v.vid) : null);
    expectIp(r.ip, ip, IPPROTO_UDP);
    assert.deepEqual([r.transport, r.sport, r.dport, r.payload], ['udp', sport, dport, payload]);
  }), RUNS);
  const tcp = fc.record({ seq: u32, ack: u32, flags: fc.integer({ min: 0, max: 0x1ff }), window: u16, payload: fc.uint8Array({ maxLength: 400 }) });
  fc.assert(fc.property(ethSpec, ipSpec, quietPort, quietPort, tcp, (eth, ip, sport, dport, t) => {
    const f = buildTcpFrame(eth, ip, { sport, dport, ...t });
    const r = decodeFrame(info(f.length), f);
    assert.equal(r.error, null);
    expectIp(r.ip, ip, IPPROTO_TCP);
    assert.deepEqual([r.transport, r.sport, r.dport], ['tcp', sport, dport]);
    assert.deepEqual(r.tcp, { seq: t.seq, ack: t.ack, flags: t.flags, window: t.window, headerLength: 20 });
    assert.deepEqual(r.payload ?? new Uint8Array(0), t.payload);
  }), RUNS);
});

test('frame builder: IPv4 fragments of a built datagram decode with their offsets and share of the payload', () => {
  fc.assert(fc.property(addr4, addr4, u16, fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.integer({ min: 8, max: 1480 }), (src, dst, id, payload, max) => {
    const ip = { src, dst, id };
    const l4 = udpSegment(ip, { sport: 4000, dport: 4001, payload });
    const frames = fragmentIpv4({ src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, ip, IPPROTO_UDP, l4, max);
    const step = max & ~7;
    assert.equal(frames.length, Math.ceil(l4.length / step));
    frames.forEach((f, k) => {
      const r = decodeFrame(info(f.length), f);
      const last = k === frames.length - 1;
      assert.deepEqual(r.ip!.fragment, frames.length === 1 ? null : { offset: k * step, moreFragments: !last });
      assert.equal(r.ip!.id, id);
    });
  }), { numRuns: 300 });
});
