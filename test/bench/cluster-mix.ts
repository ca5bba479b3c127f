// The cluster-shaped mix for `npm run bench`: per 10 packets, 6 RTP, 2 MDS
// heartbeats, 1 SIP message over UDP and 1 TCP segment, as a capture point on
// a contact-center cluster's network sees them. Written streaming by the
// project's writer: one pending packet per source in a heap, never the file.
//
// The shares fix the rate. Four heartbeat streams at 100 ms are 40 packets/s,
// so 20 % makes 200 packets/s in all: 120 RTP packets/s (2.4 streams, 1.2
// answered calls in flight on average), 20 SIP messages/s and 20 TCP
// segments/s. Three agent lines each take a 24 s call every 60 s (phases 20 s
// apart, so the calls in flight stay at 1 or 2); SIP is mostly OPTIONS
// keepalives (the SBC and 8 trunks ping each other every 3 s) and a dialer's
// attempts that meet busy (INVITE, 100, 486, ACK), timed so that the SIP
// messages come to exactly 20/s. TCP: database replication (bursts of four
// full segments and an ACK every 312.5 ms, best effort) and ICCS between two
// call-processing nodes (a message and its ACK twice a second, CS3), every
// segment with the timestamps option (a 32-byte header).

import type { ByteOrder } from '../../dissectors/types.js';
import { TCP_ACK, TCP_PSH } from '../../dissectors/types.js';
import { MinHeap } from '../../src/common/min-heap.js';
import { Rng } from '../../src/generator/rng.js';
import { buildTcpFrame, buildUdpFrame, heartbeatPayload, rtpPayload, type EthernetSpec } from '../../src/writer/frame-builder.js';
import { PcapWriter } from '../../src/writer/pcap-writer.js';
import { SBC, TRUNKS, legOf, request, response, sdp, type Leg } from './sip-only.js';

/** What a packet is, as the shares count it. */
export type MixKind = 'rtp' | 'heartbeat' | 'sip' | 'tcp';

interface Packet {
  /** Microseconds from the capture start. */
  t: number;
  frame: Uint8Array;
  kind: MixKind;
}

export interface ClusterMixSummary {
  packets: number;
  bytes: number;
  seconds: number;
  byKind: Record<MixKind, number>;
  /** SIP messages written, by method or status code. */
  sip: Record<string, number>;
}

const MS = 1000;
const SEC = 1_000_000;
const ETH: EthernetSpec = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
const enc = new TextEncoder();

const DSCP_BE = 0;
const DSCP_CS3 = 24;
const DSCP_AF31 = 26;
const DSCP_EF = 46;

// ---------------------------------------------------------------------------
// Heartbeats: two duplexed pairs (CallRouters, Loggers), one stream each way,
// on the MDS heartbeat port range (39500-39999), AF31, no loss.

const HEARTBEAT_PAIRS: Array<{ a: string; b: string; port: number; order: ByteOrder }> = [
  { a: '10.10.1.11', b: '10.10.2.11', port: 39500, order: 'le' },
  { a: '10.10.1.21', b: '10.10.2.21', port: 39502, order: 'be' },
];

function* heartbeats(src: string, dst: string, sport: number, dport: number, order: ByteOrder, rng: Rng): Generator<Packet> {
  const phase = rng.int(5, 95) * MS;
  let seq = rng.int(0, 999_999);
  for (let k = 0; ; k++) {
    // Up to ±1 ms of jitter: far below the 50 ms grace, so no heartbeat counts as missed.
    const t = phase + k * 100 * MS + rng.int(-1000, 1000);
    yield { t, kind: 'heartbeat', frame: buildUdpFrame(ETH, { src, dst, dscp: DSCP_AF31 }, { sport, dport, payload: heartbeatPayload(seq++, order) }) };
  }
}

// ---------------------------------------------------------------------------
// SIP over UDP, CS3

function sipFrame(src: string, dst: string, text: string): Uint8Array {
  return buildUdpFrame(ETH, { src, dst, dscp: DSCP_CS3 }, { sport: 5060, dport: 5060, payload: enc.encode(text) });
}

/** Unique dialog numbers for legOf, shared by every SIP source of one capture. */
class DialogCounter {
  private next = 0;
  take(): number {
    return this.next++;
  }
}

// ---------------------------------------------------------------------------
// Answered calls on the agent lines, with their RTP (PCMU, 20 ms, both ways)

const LINES = 3;
const CALL_EVERY = 60 * SEC;
const TALK_PACKETS = 1200; // 24 s of 20 ms packets per direction
const ANSWER_AFTER = 300 * MS;
const PCMU = 0;
const FRAME_US = 20 * MS;

/** 160 bytes of µ-law: a quiet tone, the same every packet (the payload is not what is measured). */
const PCMU_MEDIA = Uint8Array.from({ length: 160 }, (_, i) => 0xf0 + (i % 16));

function rtpFrame(src: string, dst: string, sport: number, dport: number, seq: number, ssrc: number, first: boolean): Uint8Array {
  const payload = rtpPayload({ payloadType: PCMU, seq, timestamp: seq * 160, ssrc, marker: first }, PCMU_MEDIA);
  return buildUdpFrame(ETH, { src, dst, dscp: DSCP_EF }, { sport, dport, payload });
}

interface CallTimes {
  invite: number;
  /** RTP packets per direction. */
  talkPackets: number;
}

/**
 * One answered call: INVITE (SDP offer), 100, 180, 200 (SDP answer), ACK,
 * then RTP both ways between the ports the two SDPs announced, then BYE, 200.
 */
function* answeredCall(k: number, c: CallTimes, rng: Rng): Generator<Packet> {
  const leg: Leg = legOf(k);
  const phonePort = 16384 + 2 * (k % 1000);
  const sbcPort = 20000 + 2 * (k % 4000);
  let t = c.invite;
  const sip = (dt: number, from: string, to: string, text: string): Packet => ({ t: (t += dt), kind: 'sip', frame: sipFrame(from, to, text) });
  yield sip(0, leg.phone, SBC, request('INVITE', leg, 1, leg.branch, false, sdp(leg.phone, phonePort, k)));
  yield sip(1 * MS, SBC, leg.phone, response(100, 'Trying', 'INVITE', leg, 1, leg.branch, false));
  yield sip(40 * MS, SBC, leg.phone, response(180, 'Ringing', 'INVITE', leg, 1, leg.branch, true));
  yield sip(ANSWER_AFTER - 41 * MS, SBC, leg.phone, response(200, 'OK', 'INVITE', leg, 1, leg.branch, true, sdp(SBC, sbcPort, k)));
  yield sip(2 * MS, leg.phone, SBC, request('ACK', leg, 1, `${leg.branch}a`, true));
  const start = t + FRAME_US;
  const out = { ssrc: rng.u32(), seq: rng.int(0, 60000) };
  const back = { ssrc: rng.u32(), seq: rng.int(0, 60000) };
  for (let j = 0; j < c.talkPackets; j++) {
    const at = start + j * FRAME_US;
    // The answering side sends 10 ms out of step; each side jitters by up to 0.5 ms (never past the other).
    yield { t: at + rng.int(0, 500), kind: 'rtp', frame: rtpFrame(leg.phone, SBC, phonePort, sbcPort, (out.seq + j) & 0xffff, out.ssrc, j === 0) };
    yield { t: at + 10 * MS + rng.int(0, 500), kind: 'rtp', frame: rtpFrame(SBC, leg.phone, sbcPort, phonePort, (back.seq + j) & 0xffff, back.ssrc, j === 0) };
  }
  t = start + c.talkPackets * FRAME_US + 20 * MS;
  yield sip(0, leg.phone, SBC, request('BYE', leg, 2, `${leg.branch}b`, true));
  yield sip(2 * MS, SBC, leg.phone, response(200, 'OK', 'BYE', leg, 2, `${leg.branch}b`, true));
}

/**
 * Agent line `i`: a call every 60 s, its phase i × 20 s. A line whose call of
 * the cycle before the capture would still be talking at the start opens with
 * a shorter call that ends when that one would have, so the calls in flight
 * are as many from the first second as later (and every stream's SDP is in the file).
 */
function* agentLine(i: number, dialogs: DialogCounter, rng: Rng): Generator<Packet> {
  const phase = (i * CALL_EVERY) / LINES;
  const setup = ANSWER_AFTER + 2 * MS + FRAME_US;
  const previousEnd = phase - CALL_EVERY + setup + TALK_PACKETS * FRAME_US;
  const openAt = 50 * MS * (i + 1);
  if (previousEnd > openAt + setup) {
    yield* answeredCall(dialogs.take(), { invite: openAt, talkPackets: Math.floor((previousEnd - openAt - setup) / FRAME_US) }, rng);
  }
  for (let cycle = 0; ; cycle++) {
    yield* answeredCall(dialogs.take(), { invite: phase + cycle * CALL_EVERY + rng.int(0, 999), talkPackets: TALK_PACKETS }, rng);
  }
}

// ---------------------------------------------------------------------------
// Failed calls and OPTIONS keepalives

const OPTIONS_EVERY = 3 * SEC;
/** 16 pingers × 2 messages / 3 s + 3 lines × 7 messages / 60 s + 4 × the dialer's rate = 20 SIP messages/s. */
const DIALER_EVERY = Math.round((4 * SEC) / (20 - (2 * 2 * TRUNKS.length * SEC) / OPTIONS_EVERY - (7 * LINES * SEC) / CALL_EVERY));

function* dialer(dialogs: DialogCounter): Generator<Packet> {
  for (let n = 0; ; n++) {
    const k = dialogs.take();
    const leg = legOf(k);
    let t = 200 * MS + n * DIALER_EVERY;
    const sip = (dt: number, from: string, to: string, text: string): Packet => ({ t: (t += dt), kind: 'sip', frame: sipFrame(from, to, text) });
    yield sip(0, leg.phone, SBC, request('INVITE', leg, 1, leg.branch, false, sdp(leg.phone, 16384 + 2 * (k % 1000), k)));
    yield sip(1 * MS, SBC, leg.phone, response(100, 'Trying', 'INVITE', leg, 1, leg.branch, false));
    yield sip(35 * MS, SBC, leg.phone, response(486, 'Busy Here', 'INVITE', leg, 1, leg.branch, true));
    yield sip(2 * MS, leg.phone, SBC, request('ACK', leg, 1, leg.branch, true));
  }
}

/** OPTIONS from `from` to `to` every 3 s and its 200 OK. */
function* pinger(from: string, to: string, phase: number, dialogs: DialogCounter, rng: Rng): Generator<Packet> {
  for (let n = 0; ; n++) {
    const k = dialogs.take();
    const ping: Leg = { ...legOf(k), phone: from };
    const t = phase + n * OPTIONS_EVERY;
    yield { t, kind: 'sip', frame: sipFrame(from, to, request('OPTIONS', ping, 1, ping.branch, false)) };
    yield { t: t + rng.int(800, 3000), kind: 'sip', frame: sipFrame(to, from, response(200, 'OK', 'OPTIONS', ping, 1, ping.branch, true)) };
  }
}

// ---------------------------------------------------------------------------
// TCP: long-lived connections, timestamps option on every segment

const MSS = 1448; // a 1500-byte MTU less 20 (IPv4), 20 (TCP) and 12 (timestamps)

class TcpSide {
  seq: number;
  constructor(readonly host: string, readonly port: number, rng: Rng) {
    this.seq = rng.u32();
  }
}

/** NOP, NOP, timestamps (kind 8): 12 bytes, so a 32-byte header. TSval counts milliseconds. */
function timestampsOption(t: number, echo: number): Uint8Array {
  const o = new Uint8Array(12);
  const v = new DataView(o.buffer);
  o[0] = 1;
  o[1] = 1;
  o[2] = 8;
  o[3] = 10;
  v.setUint32(4, (1_000_000 + Math.floor(t / MS)) >>> 0);
  v.setUint32(8, (1_000_000 + Math.floor(echo / MS)) >>> 0);
  return o;
}

function segment(t: number, from: TcpSide, to: TcpSide, dscp: number, payload: Uint8Array | null): Packet {
  const frame = buildTcpFrame(ETH, { src: from.host, dst: to.host, dscp }, {
    sport: from.port, dport: to.port, seq: from.seq, ack: to.seq, flags: payload ? TCP_ACK | TCP_PSH : TCP_ACK, window: 501,
    options: timestampsOption(t, t - 2 * MS), payload: payload ?? undefined,
  });
  if (payload) from.seq = (from.seq + payload.length) >>> 0;
  return { t, kind: 'tcp', frame };
}

/** Database replication, publisher to subscriber on 1500: four full segments and the subscriber's ACK (a receiver that coalesces) every 312.5 ms. */
function* replication(rng: Rng): Generator<Packet> {
  const pub = new TcpSide('10.20.1.11', 47112, rng);
  const sub = new TcpSide('10.20.1.12', 1500, rng);
  const data = Uint8Array.from({ length: MSS }, (_, i) => (i * 31) & 0xff);
  for (let n = 0; ; n++) {
    const t = 30 * MS + n * 312.5 * MS + rng.int(0, 2000);
    for (let s = 0; s < 4; s++) yield segment(t + s * 120, pub, sub, DSCP_BE, data);
    yield segment(t + 700, sub, pub, DSCP_BE, null);
  }
}

/** ICCS between two call-processing nodes on 8002: a message one way and its ACK, twice a second, sides taking turns. */
function* iccs(rng: Rng): Generator<Packet> {
  const a = new TcpSide('10.20.1.11', 8002, rng);
  const b = new TcpSide('10.20.1.13', 51220, rng);
  const messages = [700, 950, 1150, 1300, 1448].map((len) => Uint8Array.from({ length: len }, (_, i) => (i * 7 + len) & 0xff));
  for (let n = 0; ; n++) {
    const t = 140 * MS + n * 500 * MS + rng.int(0, 3000);
    const [from, to] = n % 2 === 0 ? [a, b] : [b, a];
    yield segment(t, from, to, DSCP_CS3, messages[n % messages.length]);
    yield segment(t + 300 + rng.int(0, 200), to, from, DSCP_CS3, null);
  }
}

// ---------------------------------------------------------------------------
// The merge

/** Writes the first `packets` packets of the mix to `path` (classic pcap, µs). Same seed, same bytes. */
export function writeClusterMix(path: string, packets: number, seed = 11, startSec = 1772442000): ClusterMixSummary {
  const rng = (n: number): Rng => new Rng((seed * 0x9e3779b1 + n * 0x85ebca6b) >>> 0);
  const dialogs = new DialogCounter();
  const sources: Array<Iterator<Packet>> = [];
  HEARTBEAT_PAIRS.forEach((p, i) => {
    sources.push(heartbeats(p.a, p.b, p.port, p.port + 1, p.order, rng(10 + 2 * i)));
    sources.push(heartbeats(p.b, p.a, p.port + 1, p.port, p.order, rng(11 + 2 * i)));
  });
  for (let i = 0; i < LINES; i++) sources.push(agentLine(i, dialogs, rng(20 + i)));
  sources.push(dialer(dialogs));
  TRUNKS.forEach((trunk, i) => {
    const phase = (i * OPTIONS_EVERY) / TRUNKS.length;
    sources.push(pinger(SBC, trunk, 100 * MS + phase, dialogs, rng(30 + i)));
    sources.push(pinger(trunk, SBC, 100 * MS + phase + OPTIONS_EVERY / 2, dialogs, rng(40 + i)));
  });
  sources.push(replication(rng(50)), iccs(rng(51)));

  const heap = new MinHeap<{ p: Packet; src: Iterator<Packet> }>();
  for (const src of sources) {
    const r = src.next();
    if (!r.done) heap.push(r.value.t, { p: r.value, src });
  }
  const w = new PcapWriter(path);
  const byKind: Record<MixKind, number> = { rtp: 0, heartbeat: 0, sip: 0, tcp: 0 };
  const sip: Record<string, number> = {};
  let last = 0;
  for (let n = 0; n < packets && heap.size > 0; n++) {
    const { p, src } = heap.pop()!;
    // Each source yields in time order (its jitter never crosses its own next packet), so the heap's order is the file's.
    const t = p.t;
    w.writePacket(startSec + Math.floor(t / SEC), (t % SEC) * 1000, p.frame);
    last = t;
    byKind[p.kind]++;
    if (p.kind === 'sip') {
      const what = sipFirstWord(p.frame);
      sip[what] = (sip[what] ?? 0) + 1;
    }
    const r = src.next();
    if (!r.done) heap.push(r.value.t, { p: r.value, src });
  }
  w.close();
  return { packets: w.packetsWritten, bytes: w.bytesWritten, seconds: last / SEC, byKind, sip };
}

/** The method of a request, or the status code of a response, from a SIP frame (14 + 20 + 8 bytes in). */
function sipFirstWord(frame: Uint8Array): string {
  const line = Buffer.from(frame.subarray(42, 42 + 16)).toString('latin1');
  return line.startsWith('SIP/2.0 ') ? line.slice(8, 11) : line.slice(0, line.indexOf(' '));
}

// As a script: node dist/test/bench/cluster-mix.js FILE PACKETS
if (process.argv[1]?.endsWith('cluster-mix.js') && process.argv[2]) {
  console.log(JSON.stringify(writeClusterMix(process.argv[2], Number(process.argv[3] ?? 2_000_000))));
}
