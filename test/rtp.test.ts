// RTP recognition: on the endpoints SDP announced (any port, any payload type
// but RTCP's; SDP alone or in a multipart body), and by shape alone on even
// ports 16384-32767 (version 2, a payload type of 0-34 or 96-127), unless SDP
// said that port carries other media (T.38 over udptl).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pipeline } from '../src/pipeline/pipeline.js';
import { buildUdpFrame, rtpPayload, sipBytes } from '../src/writer/frame-builder.js';
import { isRtpHeuristicPort, looksLikeRtp } from '../dissectors/rtp.js';
import type { PacketRecord } from '../dissectors/types.js';
import { PcapWriter } from '../src/writer/pcap-writer.js';
import { decodeAll, hasTshark, tshark } from './helpers.js';

const ETH = { src: '00:11:22:33:44:55', dst: '66:77:88:99:aa:bb' };
const PHONE = '10.30.0.101';
const GW = '10.20.0.20';

function udp(sport: number, dport: number, payload: Uint8Array, src = PHONE, dst = GW): Uint8Array {
  return buildUdpFrame(ETH, { src, dst, dscp: 46 }, { sport, dport, payload });
}

const rtp = (payloadType: number, seq = 1) => rtpPayload({ payloadType, seq, timestamp: 160 * seq, ssrc: 0x1234 }, new Uint8Array(160));

function run(frames: Uint8Array[]): PacketRecord[] {
  const out: PacketRecord[] = [];
  const p = new Pipeline([(r) => out.push(r)]);
  frames.forEach((b, i) => p.frame({ frame: i + 1, tsSec: 1000 + i, tsNsec: 0, caplen: b.length, len: b.length, linkType: 1, iface: 0 }, b));
  return out;
}

function invite(mediaLine: string): Uint8Array {
  const sdp = `v=0\r\no=- 1 1 IN IP4 ${GW}\r\ns=-\r\nc=IN IP4 ${GW}\r\nt=0 0\r\n${mediaLine}\r\n`;
  const text = `INVITE sip:1000@${GW} SIP/2.0\r\nVia: SIP/2.0/UDP ${PHONE}:5060;branch=z9hG4bK1\r\nFrom: <sip:2000@${PHONE}>;tag=1\r\n`
    + `To: <sip:1000@${GW}>\r\nCall-ID: c1@${PHONE}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  return udp(5060, 5060, sipBytes(text));
}

test('heuristic ports: even ports of 16384-32767 only', () => {
  assert.deepEqual([16383, 16384, 16385, 24578, 32766, 32767, 32768].map(isRtpHeuristicPort), [false, true, false, true, true, false, false]);
});

test('RTP by shape: v2 and a sane payload type on a heuristic port, either side', () => {
  const recs = run([
    udp(16386, 40000, rtp(0, 7)), // PCMU, source port in range
    udp(40000, 24578, rtp(101)), // telephone-event, destination port in range
    udp(40001, 40002, rtp(8)), // PCMA, no port in range: needs SDP
    udp(16387, 16389, rtp(8)), // odd ports: RTCP's
    udp(16386, 24578, rtp(50)), // payload type 50: no codec lives there
    udp(16386, 24578, rtpPayload({ payloadType: 72, seq: 1, timestamp: 0, ssrc: 1 }, new Uint8Array(8))), // RTCP SR read as RTP
    udp(16386, 24578, new Uint8Array(11).fill(0x80)), // shorter than a header
  ]);
  assert.deepEqual(recs.map((r) => r.app), ['rtp', 'rtp', null, null, null, null, null]);
  assert.deepEqual(recs[0].rtp, { version: 2, payloadType: 0, marker: false, seq: 7, timestamp: 1120, ssrc: 0x1234 });
  assert.equal(recs[1].rtp?.payloadType, 101);
});

test('SDP wins over the shape: RTP/AVP anywhere, any payload type; udptl is not RTP even in range', () => {
  const recs = run([
    invite('m=audio 40002 RTP/AVP 8'),
    udp(40001, 40002, rtp(50)),
    invite('m=image 24578 udptl t38'),
    udp(16386, 24578, rtp(0)),
  ]);
  assert.deepEqual(recs.map((r) => r.app), ['sip', 'rtp', 'sip', null]);
});

const tmp = mkdtempSync(join(tmpdir(), 'ucprobe-rtp-'));

/** The frames as a capture file, a second apart. */
function written(name: string, frames: Uint8Array[]): string {
  const file = join(tmp, name);
  const w = new PcapWriter(file);
  frames.forEach((b, i) => w.writePacket(1000 + i, 0, b));
  w.close();
  return file;
}

/** The frames tshark decodes as RTP (it follows SDP as ucprobe does). */
function tsharkRtpFrames(file: string): string[] {
  return tshark(['-r', file, '-Y', 'rtp', '-T', 'fields', '-e', 'frame.number']);
}

/** The INVITE of a SIP-I trunk: its SDP beside an ISUP part in a multipart/mixed body (RFC 3204). */
function sipIInvite(mediaLine: string): Uint8Array {
  const sdp = `v=0\r\no=- 1 1 IN IP4 ${GW}\r\ns=-\r\nc=IN IP4 ${GW}\r\nt=0 0\r\n${mediaLine}\r\n`;
  const body = `--sip-i\r\nContent-Type: application/sdp\r\n\r\n${sdp}\r\n--sip-i\r\nContent-Type: application/isup;version=itu-t92+\r\n\r\n\x01\x00\x60\x00\r\n--sip-i--\r\n`;
  const text = `INVITE sip:1000@${GW} SIP/2.0\r\nVia: SIP/2.0/UDP ${PHONE}:5060;branch=z9hG4bK2\r\nFrom: <sip:2000@${PHONE}>;tag=1\r\n`
    + `To: <sip:1000@${GW}>\r\nCall-ID: c2@${PHONE}\r\nCSeq: 1 INVITE\r\nContent-Type: multipart/mixed;boundary=sip-i\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  return udp(5060, 5060, sipBytes(text));
}

test('SDP in a multipart body (SIP-I) announces RTP as SDP alone does; tshark agrees', async () => {
  // Port 40002 is outside the heuristic range, and payload type 50 is no codec's: only the SDP makes it RTP.
  const frames = [sipIInvite('m=audio 40002 RTP/AVP 8'), udp(40001, 40002, rtp(50, 1)), udp(40001, 40002, rtp(50, 2)), udp(40001, 40004, rtp(50, 3))];
  assert.deepEqual(run(frames).map((r) => r.app), ['sip', 'rtp', 'rtp', null]);
  const file = written('sip-i.pcap', frames);
  if (hasTshark) assert.deepEqual(tsharkRtpFrames(file), ['2', '3']);
  const { records } = await decodeAll(file);
  assert.deepEqual(records.map((r) => r.app), ['sip', 'rtp', 'rtp', null]);
});

test('SDP writing an IPv6 address in another form (upper case, zeros spelled out) still announces RTP to it; tshark agrees', async () => {
  const phone = '2001:db8::101';
  const gw = '2001:db8::20';
  const udp6 = (src: string, sport: number, dst: string, dport: number, payload: Uint8Array): Uint8Array =>
    buildUdpFrame(ETH, { version: 6, src, dst, dscp: 46 }, { sport, dport, payload });
  const sdp = 'v=0\r\no=- 1 1 IN IP6 2001:DB8:0:0:0:0:0:20\r\ns=-\r\nc=IN IP6 2001:DB8:0:0:0:0:0:20\r\nt=0 0\r\nm=audio 40002 RTP/AVP 8\r\n';
  const invite = `INVITE sip:1000@[${gw}] SIP/2.0\r\nVia: SIP/2.0/UDP [${phone}]:5060;branch=z9hG4bK3\r\nFrom: <sip:2000@[${phone}]>;tag=1\r\n`
    + `To: <sip:1000@[${gw}]>\r\nCall-ID: c3@x\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const frames = [udp6(phone, 5060, gw, 5060, sipBytes(invite)), udp6(phone, 40001, gw, 40002, rtp(50, 1)), udp6(phone, 40001, gw, 40002, rtp(50, 2))];
  assert.deepEqual(run(frames).map((r) => r.app), ['sip', 'rtp', 'rtp']);
  if (hasTshark) assert.deepEqual(tsharkRtpFrames(written('sdp-ip6.pcap', frames)), ['2', '3']);
});

test('looksLikeRtp is pure: no throw, false on junk and short buffers', () => {
  const b = new Uint8Array([0x80, 0x00]);
  assert.equal(looksLikeRtp(16384, 16384, b, 0, b.length), false);
  assert.equal(looksLikeRtp(16384, 16384, b, 5, 2), false);
});
