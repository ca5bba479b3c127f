// RTP captures with scripted impairments, written by the project's writer:
// each stream is a plan of packets (send time, sequence number, timestamp,
// payload type, marker) that a script then damages (drops, bursts, swaps,
// duplicates, delays, an SSRC change, a sequence wrap, a timestamp jump),
// so a test knows every figure the analysis must find.

import { PcapWriter } from '../src/writer/pcap-writer.js';
import { buildUdpFrame, parseIpv4, parseIpv6, rtpPayload, sipBytes, sipRequest, sipResponse, type IpSpec, type SdpSpec } from '../src/writer/frame-builder.js';
import { Rng } from '../src/generator/rng.js';

export const START_SEC = 1_800_000_000;

export interface PlannedPacket {
  /** Arrival time in seconds after START_SEC. */
  t: number;
  seq: number;
  ts: number;
  pt: number;
  marker: boolean;
  ssrc: number;
  dscp: number;
  ecn: number;
  /** Payload bytes after the RTP header (RFC 4733 events carry their 4 bytes here). */
  media: Uint8Array;
}

export interface StreamSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  packets: PlannedPacket[];
}

export interface PlanOptions {
  count: number;
  start?: number;
  seq?: number;
  ts?: number;
  ssrc?: number;
  pt?: number;
  ptimeMs?: number;
  clockRate?: number;
  dscp?: number;
  payloadBytes?: number;
}

/** A clean stream: one packet every ptime, sequence and timestamp in step, marker on the first. */
export function plan(o: PlanOptions): PlannedPacket[] {
  const ptime = (o.ptimeMs ?? 20) / 1000;
  const ticks = Math.round(ptime * (o.clockRate ?? 8000));
  const media = new Uint8Array(o.payloadBytes ?? 160).fill(0xd5);
  const out: PlannedPacket[] = [];
  for (let n = 0; n < o.count; n++) {
    out.push({
      t: (o.start ?? 0) + n * ptime, seq: ((o.seq ?? 1000) + n) & 0xffff, ts: ((o.ts ?? 160_000) + n * ticks) >>> 0, pt: o.pt ?? 0,
      marker: n === 0, ssrc: o.ssrc ?? 0x11223344, dscp: o.dscp ?? 46, ecn: 0, media,
    });
  }
  return out;
}

/** Remove the packets at these indexes (of the plan as it is). */
export function drop(p: PlannedPacket[], indexes: Iterable<number>): PlannedPacket[] {
  const gone = new Set(indexes);
  return p.filter((_, i) => !gone.has(i));
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => from + k);
}

/** Packet i arrives just after packet i+1 (sent order kept, arrival order swapped). */
export function swapAfter(p: PlannedPacket[], i: number): void {
  const later = p[i + 1];
  p[i] = { ...p[i], t: later.t + 0.001 };
}

/** Packet i arrives again, `afterS` later. */
export function duplicate(p: PlannedPacket[], i: number, afterS = 0.002): void {
  p.push({ ...p[i], t: p[i].t + afterS });
}

/** Every arrival delayed by 0..maxMs (seeded); the spacing stays above 0 so the order holds. */
export function jitter(p: PlannedPacket[], maxMs: number, seed: number): void {
  const rng = new Rng(seed);
  for (const x of p) x.t += (rng.float() * maxMs) / 1000;
}

/** RFC 4733 event packets (PT `pt`, 8 kHz): updates every 50 ms, then the end packet three times with the same number. */
export function dtmfEvent(start: number, seq: number, ts: number, ssrc: number, pt: number, digit: number, updates: number): PlannedPacket[] {
  const out: PlannedPacket[] = [];
  for (let k = 0; k < updates; k++) {
    const end = k === updates - 1;
    const duration = (k + 1) * 400;
    const media = Uint8Array.of(digit, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
    const times = end ? 3 : 1;
    for (let r = 0; r < times; r++) out.push({ t: start + k * 0.05 + r * 0.02, seq: (seq + k) & 0xffff, ts, pt, marker: k === 0, ssrc, dscp: 46, ecn: 0, media });
  }
  return out;
}

export interface SipCall {
  callId: string;
  /** Offer (caller) and answer (callee) SDP. */
  offer: { from: string; to: string; sport: number; sdp: SdpSpec };
  answer: { sdp: SdpSpec };
  /** Seconds after START_SEC of the INVITE; the 200 follows 0.1 s later. */
  at: number;
  /** The Via branch (several calls in one capture need their own); z9hG4bKmedia1 when absent. */
  branch?: string;
}

function ipSpec(src: string, dst: string, dscp: number, ecn: number): IpSpec {
  return src.includes(':') ? { version: 6, src, dst, dscp, ecn } : { src, dst, dscp, ecn, ttl: 64 };
}

function mac(addr: string): Uint8Array {
  const b = addr.includes(':') ? parseIpv6(addr).subarray(12) : parseIpv4(addr);
  return Uint8Array.of(2, 0, ...b);
}

/** Any other UDP datagram (RTCP from the emitters in dissectors/rtcp.ts). */
export interface Datagram {
  t: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload: Uint8Array;
}

/** Write the streams, the calls' INVITE/200 with SDP and the datagrams in time order as a classic pcap, microseconds. */
export function writeMediaCapture(path: string, streams: StreamSpec[], calls: SipCall[] = [], datagrams: Datagram[] = []): void {
  const frames: Array<{ t: number; n: number; bytes: Uint8Array }> = [];
  let n = 0;
  for (const c of calls) {
    const common = {
      from: { uri: `sip:a@${c.offer.from}`, tag: 'a1' }, callId: c.callId,
      via: [{ transport: 'UDP' as const, host: c.offer.from, port: c.offer.sport, branch: c.branch ?? 'z9hG4bKmedia1' }], cseq: { seq: 1, method: 'INVITE' },
    };
    const invite = sipRequest({ ...common, method: 'INVITE', requestUri: `sip:b@${c.offer.to}`, to: { uri: `sip:b@${c.offer.to}` }, sdp: c.offer.sdp });
    const ok = sipResponse({ ...common, status: 200, to: { uri: `sip:b@${c.offer.to}`, tag: 'b1' }, sdp: c.answer.sdp });
    for (const [t, src, dst, text] of [[c.at, c.offer.from, c.offer.to, invite], [c.at + 0.1, c.offer.to, c.offer.from, ok]] as const) {
      frames.push({ t, n: n++, bytes: buildUdpFrame({ src: mac(src), dst: mac(dst) }, ipSpec(src, dst, 24, 0), { sport: 5060, dport: 5060, payload: sipBytes(text) }) });
    }
  }
  for (const s of streams) {
    for (const p of s.packets) {
      const payload = rtpPayload({ payloadType: p.pt, seq: p.seq, timestamp: p.ts, ssrc: p.ssrc, marker: p.marker }, p.media);
      frames.push({ t: p.t, n: n++, bytes: buildUdpFrame({ src: mac(s.src), dst: mac(s.dst) }, ipSpec(s.src, s.dst, p.dscp, p.ecn), { sport: s.sport, dport: s.dport, payload }) });
    }
  }
  for (const d of datagrams) {
    frames.push({ t: d.t, n: n++, bytes: buildUdpFrame({ src: mac(d.src), dst: mac(d.dst) }, ipSpec(d.src, d.dst, 46, 0), { sport: d.sport, dport: d.dport, payload: d.payload }) });
  }
  frames.sort((a, b) => a.t - b.t || a.n - b.n);
  const w = new PcapWriter(path, { precision: 'us' });
  for (const f of frames) {
    const us = Math.round(f.t * 1e6);
    w.writePacket(START_SEC + Math.floor(us / 1e6), (us % 1e6) * 1000, f.bytes);
  }
  w.close();
}
