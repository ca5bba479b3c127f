// RTCP (RFC 3550 §6): a datagram holds one compound packet or, reduced-size
// (RFC 5506), packets of any type; each packet's length field says where the
// next one starts. SR and RR carry report blocks (a receiver's view of a
// stream: fraction lost, cumulative lost, jitter, LSR/DLSR for the round
// trip); SDES names sources; BYE ends them; APP is skipped by its length; XR
// (RFC 3611) may carry a VoIP Metrics block (block type 7). Pure: a bad
// packet ends the walk with an error in the record, never an exception.
// The emitters at the end write the same layouts from the same field
// offsets, so decodeRtcp(rtcpCompound(...)) gives back what was written.

import { pad4, readU16, readU32, writeU16, writeU32 } from './wire.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
export const RTCP_XR = 207;
export const RTCP_HEADER_LEN = 4;
/** Sender info after the SSRC of an SR: NTP (8), RTP timestamp (4), packets (4), octets (4). */
export const RTCP_SENDER_INFO_LEN = 20;
export const RTCP_REPORT_BLOCK_LEN = 24;
export const XR_VOIP_METRICS = 7;
/** Block header (4) + 32 bytes of metrics. */
export const XR_VOIP_METRICS_LEN = 36;
export const SDES_CNAME = 1;
export const RTCP_VERSION = 2;

/** The common header: version, padding, count (5 bits), packet type, length in 32-bit words minus one. */
export const RTCP_FIELD = { V_P_COUNT: 0, PT: 1, LENGTH: 2, SSRC: 4 } as const;
export const RTCP_PADDING = 0x20;
export const RTCP_COUNT_MASK = 0x1f;
/** An SR after its common header: sender SSRC, NTP time (its middle 32 bits at NTP_MIDDLE), RTP time, counts, then report blocks. */
export const RTCP_SR_FIELD = { NTP: 8, NTP_MIDDLE: 10, RTP_TIMESTAMP: 16, PACKETS: 20, OCTETS: 24, REPORTS: 28 } as const;
/** An RR's report blocks follow the sender SSRC. */
export const RTCP_RR_REPORTS = 8;
export const RTCP_REPORT_FIELD = { SSRC: 0, FRACTION_LOST: 4, CUMULATIVE_LOST: 5, HIGHEST_SEQ: 8, JITTER: 12, LSR: 16, DLSR: 20 } as const;
/** SDES chunk: SSRC, then items (type, length, text) to a zero type and padding to 32 bits. */
export const SDES_ITEM_FIELD = { TYPE: 0, LENGTH: 1, TEXT: 2 } as const;
/** APP: SSRC, 4-character name, data. */
export const RTCP_APP_FIELD = { NAME: 8, DATA: 12 } as const;
/** XR report block header: block type, type-specific byte, length in words minus one. */
export const XR_BLOCK_FIELD = { TYPE: 0, LENGTH: 2, BODY: 4 } as const;
/** A VoIP Metrics block's body (RFC 3611 §4.7), from after its block header. */
export const XR_VOIP_FIELD = {
  SSRC: 0, LOSS_RATE: 4, DISCARD_RATE: 5, BURST_DENSITY: 6, GAP_DENSITY: 7, BURST_DURATION: 8, GAP_DURATION: 10,
  ROUND_TRIP_DELAY: 12, END_SYSTEM_DELAY: 14, SIGNAL_LEVEL: 16, NOISE_LEVEL: 17, RERL: 18, GMIN: 19, R_FACTOR: 20,
  EXT_R_FACTOR: 21, MOS_LQ: 22, MOS_CQ: 23, RX_CONFIG: 24, JB_NOMINAL: 26, JB_MAX: 28, JB_ABS_MAX: 30,
} as const;
/** "Unavailable" in an XR level or quality field. */
const XR_UNAVAILABLE = 127;
/** RFC 3611's suggested Gmin. */
const XR_GMIN_DEFAULT = 16;

export interface RtcpReportBlock {
  /** The source the block reports on. */
  ssrc: number;
  /** Fraction lost since the previous report, 0..1 (the 8-bit field / 256). */
  fractionLost: number;
  /** Cumulative packets lost (signed 24 bits: duplicates can make it negative). */
  cumulativeLost: number;
  highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP time of the last SR received from the source; 0 for none. */
  lsr: number;
  /** Delay since that SR, in 1/65536 s. */
  dlsr: number;
}

export interface RtcpSenderInfo {
  /** NTP timestamp's middle 32 bits (what a receiver echoes as LSR). */
  ntpMiddle: number;
  rtpTimestamp: number;
  packets: number;
  octets: number;
}

/** RFC 3611 §4.7 VoIP Metrics, as sent (rates /256, MOS x10; 127 means unavailable). */
export interface XrVoipMetrics {
  ssrc: number;
  lossRate: number;
  discardRate: number;
  burstDensity: number;
  gapDensity: number;
  burstDurationMs: number;
  gapDurationMs: number;
  roundTripDelayMs: number;
  endSystemDelayMs: number;
  rFactor: number;
  mosLq: number;
  mosCq: number;
  jbNominalMs: number;
  jbMaxMs: number;
}

export type RtcpPacket =
  | { type: 'SR'; ssrc: number; sender: RtcpSenderInfo; reports: RtcpReportBlock[] }
  | { type: 'RR'; ssrc: number; reports: RtcpReportBlock[] }
  | { type: 'SDES'; chunks: Array<{ ssrc: number; cname: string | null }> }
  | { type: 'BYE'; ssrcs: number[]; reason: string | null }
  | { type: 'APP'; ssrc: number; name: string; subtype: number }
  | { type: 'XR'; ssrc: number; voip: XrVoipMetrics[]; otherBlocks: number }
  | { type: 'other'; packetType: number };

export interface RtcpRecord {
  packets: RtcpPacket[];
  /** The first packet is neither SR nor RR (RFC 5506 reduced-size RTCP). */
  reducedSize: boolean;
  error?: string;
}

const u16 = readU16;
const u32 = readU32;

/** Bytes a packet takes, from its length field. */
function packetLength(b: Uint8Array, p: number): number {
  return (u16(b, p + RTCP_FIELD.LENGTH) + 1) * 4;
}

/** RTCP by shape: version 2, a packet type 200..207, a length that fits, and every packet after it well framed. */
export function looksLikeRtcp(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < RTCP_HEADER_LEN * 2) return false;
  let p = off;
  while (p < end) {
    const pt = b[p + RTCP_FIELD.PT];
    if (end - p < RTCP_HEADER_LEN || b[p] >> 6 !== RTCP_VERSION || pt < 200 || pt > 207) return false;
    p += packetLength(b, p);
  }
  return p === end;
}

/** Decode every RTCP packet of the datagram b[off..end). */
export function decodeRtcp(b: Uint8Array, off: number, end: number): RtcpRecord {
  const packets: RtcpPacket[] = [];
  let p = off;
  let error: string | undefined;
  while (p < end) {
    if (end - p < RTCP_HEADER_LEN) {
      error = `${end - p} bytes after the last packet: too short for an RTCP header`;
      break;
    }
    if (b[p + RTCP_FIELD.V_P_COUNT] >> 6 !== RTCP_VERSION) {
      error = `version ${b[p] >> 6} at byte ${p - off}`;
      break;
    }
    const len = packetLength(b, p);
    if (len > end - p) {
      error = `packet type ${b[p + RTCP_FIELD.PT]} says ${len} bytes, ${end - p} left`;
      break;
    }
    let bodyEnd = p + len;
    if (b[p + RTCP_FIELD.V_P_COUNT] & RTCP_PADDING) {
      // Padding: the last byte counts it, header included in no way.
      const pad = b[bodyEnd - 1];
      if (pad === 0 || pad > len - RTCP_HEADER_LEN) {
        error = `padding of ${pad} bytes in a ${len}-byte packet`;
        break;
      }
      bodyEnd -= pad;
    }
    const got = decodePacket(b, p, bodyEnd);
    if (typeof got === 'string') {
      error = got;
      break;
    }
    packets.push(got);
    p += len;
  }
  const first = packets[0];
  const out: RtcpRecord = { packets, reducedSize: first !== undefined && first.type !== 'SR' && first.type !== 'RR' };
  if (error !== undefined) out.error = error;
  return out;
}

/** One packet at b[p..end) (end: before padding); a string says what is wrong. */
function decodePacket(b: Uint8Array, p: number, end: number): RtcpPacket | string {
  const count = b[p + RTCP_FIELD.V_P_COUNT] & RTCP_COUNT_MASK;
  const pt = b[p + RTCP_FIELD.PT];
  const body = p + RTCP_HEADER_LEN;
  switch (pt) {
    case RTCP_SR:
    case RTCP_RR: {
      const fixed = p + (pt === RTCP_SR ? RTCP_SR_FIELD.REPORTS : RTCP_RR_REPORTS);
      if (fixed + count * RTCP_REPORT_BLOCK_LEN > end) return `${pt === RTCP_SR ? 'SR' : 'RR'} with ${count} report blocks runs past its length`;
      const ssrc = u32(b, p + RTCP_FIELD.SSRC);
      const reports: RtcpReportBlock[] = [];
      for (let k = 0; k < count; k++) reports.push(reportBlock(b, fixed + k * RTCP_REPORT_BLOCK_LEN));
      if (pt === RTCP_RR) return { type: 'RR', ssrc, reports };
      const sender = { ntpMiddle: u32(b, p + RTCP_SR_FIELD.NTP_MIDDLE), rtpTimestamp: u32(b, p + RTCP_SR_FIELD.RTP_TIMESTAMP), packets: u32(b, p + RTCP_SR_FIELD.PACKETS), octets: u32(b, p + RTCP_SR_FIELD.OCTETS) };
      return { type: 'SR', ssrc, sender, reports };
    }
    case RTCP_SDES:
      return sdes(b, body, end, count);
    case RTCP_BYE: {
      if (body + count * 4 > end) return `BYE with ${count} sources runs past its length`;
      const ssrcs: number[] = [];
      for (let k = 0; k < count; k++) ssrcs.push(u32(b, body + k * 4));
      const r = body + count * 4;
      const reason = r < end && r + 1 + b[r] <= end ? latin1(b, r + 1, r + 1 + b[r]) : null;
      return { type: 'BYE', ssrcs, reason };
    }
    case RTCP_APP:
      if (end - p < RTCP_APP_FIELD.DATA) return 'APP shorter than its SSRC and name';
      return { type: 'APP', ssrc: u32(b, p + RTCP_FIELD.SSRC), name: latin1(b, p + RTCP_APP_FIELD.NAME, p + RTCP_APP_FIELD.DATA), subtype: count };
    case RTCP_XR:
      return xr(b, body, end);
    default:
      return { type: 'other', packetType: pt };
  }
}

function reportBlock(b: Uint8Array, o: number): RtcpReportBlock {
  const c = o + RTCP_REPORT_FIELD.CUMULATIVE_LOST;
  const lost = (b[c] << 16) | (b[c + 1] << 8) | b[c + 2];
  return {
    ssrc: u32(b, o + RTCP_REPORT_FIELD.SSRC), fractionLost: b[o + RTCP_REPORT_FIELD.FRACTION_LOST] / 256, cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    highestSeq: u32(b, o + RTCP_REPORT_FIELD.HIGHEST_SEQ), jitter: u32(b, o + RTCP_REPORT_FIELD.JITTER), lsr: u32(b, o + RTCP_REPORT_FIELD.LSR), dlsr: u32(b, o + RTCP_REPORT_FIELD.DLSR),
  };
}

function sdes(b: Uint8Array, p: number, end: number, count: number): RtcpPacket | string {
  // Chunks start on 32-bit boundaries of the packet (its header is 4 bytes before the first).
  const start = p - RTCP_HEADER_LEN;
  const chunks: Array<{ ssrc: number; cname: string | null }> = [];
  for (let k = 0; k < count; k++) {
    if (end - p < 4) return `SDES chunk ${k + 1} of ${count} runs past its length`;
    const ssrc = u32(b, p);
    p += 4;
    let cname: string | null = null;
    // Items until a zero type, then padding to the next 32-bit boundary.
    for (;;) {
      if (p >= end) return `SDES chunk ${k + 1} has no end item`;
      const type = b[p + SDES_ITEM_FIELD.TYPE];
      if (type === 0) break;
      const text = p + SDES_ITEM_FIELD.TEXT;
      if (text > end || text + b[p + SDES_ITEM_FIELD.LENGTH] > end) return `SDES item ${type} runs past its length`;
      if (type === SDES_CNAME) cname = latin1(b, text, text + b[p + SDES_ITEM_FIELD.LENGTH]);
      p = text + b[p + SDES_ITEM_FIELD.LENGTH];
    }
    p = start + ((p - start + 4) & ~3);
    chunks.push({ ssrc, cname });
  }
  return { type: 'SDES', chunks };
}

function xr(b: Uint8Array, p: number, end: number): RtcpPacket | string {
  if (end - p < 4) return 'XR shorter than its SSRC';
  const ssrc = u32(b, p);
  p += 4;
  const voip: XrVoipMetrics[] = [];
  let otherBlocks = 0;
  while (p < end) {
    if (end - p < 4) return 'XR block header runs past the packet';
    const len = (u16(b, p + XR_BLOCK_FIELD.LENGTH) + 1) * 4;
    if (p + len > end) return `XR block type ${b[p]} says ${len} bytes, ${end - p} left`;
    if (b[p + XR_BLOCK_FIELD.TYPE] === XR_VOIP_METRICS) {
      if (len !== XR_VOIP_METRICS_LEN) return `XR VoIP Metrics block of ${len} bytes (expected ${XR_VOIP_METRICS_LEN})`;
      const m = p + XR_BLOCK_FIELD.BODY;
      const F = XR_VOIP_FIELD;
      voip.push({
        ssrc: u32(b, m + F.SSRC), lossRate: b[m + F.LOSS_RATE] / 256, discardRate: b[m + F.DISCARD_RATE] / 256,
        burstDensity: b[m + F.BURST_DENSITY] / 256, gapDensity: b[m + F.GAP_DENSITY] / 256,
        burstDurationMs: u16(b, m + F.BURST_DURATION), gapDurationMs: u16(b, m + F.GAP_DURATION),
        roundTripDelayMs: u16(b, m + F.ROUND_TRIP_DELAY), endSystemDelayMs: u16(b, m + F.END_SYSTEM_DELAY),
        rFactor: b[m + F.R_FACTOR], mosLq: b[m + F.MOS_LQ] / 10, mosCq: b[m + F.MOS_CQ] / 10,
        jbNominalMs: u16(b, m + F.JB_NOMINAL), jbMaxMs: u16(b, m + F.JB_MAX),
      });
    } else otherBlocks++;
    p += len;
  }
  return { type: 'XR', ssrc, voip, otherBlocks };
}

/** Bytes as Latin-1 text (CNAMEs and reasons are for display; the outputs escape controls). */
function latin1(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let k = from; k < to && k < b.length; k++) s += String.fromCharCode(b[k]);
  return s;
}

// ---------------------------------------------------------------------------
// Emitters: each returns one packet in a buffer of its own (rtcpCompound joins them).

/** A packet of `bodyLen` bytes after its common header, the header written. */
function packet(count: number, pt: number, bodyLen: number): Uint8Array {
  const out = new Uint8Array(RTCP_HEADER_LEN + bodyLen);
  out[RTCP_FIELD.V_P_COUNT] = (RTCP_VERSION << 6) | (count & RTCP_COUNT_MASK);
  out[RTCP_FIELD.PT] = pt;
  writeU16(out, RTCP_FIELD.LENGTH, out.length / 4 - 1);
  return out;
}

function emitReport(b: Uint8Array, o: number, r: RtcpReportBlock): void {
  writeU32(b, o + RTCP_REPORT_FIELD.SSRC, r.ssrc);
  b[o + RTCP_REPORT_FIELD.FRACTION_LOST] = Math.min(255, Math.round(r.fractionLost * 256));
  const lost = r.cumulativeLost & 0xffffff;
  const c = o + RTCP_REPORT_FIELD.CUMULATIVE_LOST;
  b[c] = lost >> 16;
  b[c + 1] = (lost >> 8) & 0xff;
  b[c + 2] = lost & 0xff;
  writeU32(b, o + RTCP_REPORT_FIELD.HIGHEST_SEQ, r.highestSeq);
  writeU32(b, o + RTCP_REPORT_FIELD.JITTER, r.jitter);
  writeU32(b, o + RTCP_REPORT_FIELD.LSR, r.lsr);
  writeU32(b, o + RTCP_REPORT_FIELD.DLSR, r.dlsr);
}

/** A sender report; the NTP time's middle 32 bits are `sender.ntpMiddle` (its outer halves zero). */
export function rtcpSr(ssrc: number, sender: RtcpSenderInfo, reports: readonly RtcpReportBlock[] = []): Uint8Array {
  const out = packet(reports.length, RTCP_SR, RTCP_SR_FIELD.REPORTS - RTCP_HEADER_LEN + reports.length * RTCP_REPORT_BLOCK_LEN);
  writeU32(out, RTCP_FIELD.SSRC, ssrc);
  writeU32(out, RTCP_SR_FIELD.NTP_MIDDLE, sender.ntpMiddle);
  writeU32(out, RTCP_SR_FIELD.RTP_TIMESTAMP, sender.rtpTimestamp);
  writeU32(out, RTCP_SR_FIELD.PACKETS, sender.packets);
  writeU32(out, RTCP_SR_FIELD.OCTETS, sender.octets);
  reports.forEach((r, k) => emitReport(out, RTCP_SR_FIELD.REPORTS + k * RTCP_REPORT_BLOCK_LEN, r));
  return out;
}

export function rtcpRr(ssrc: number, reports: readonly RtcpReportBlock[]): Uint8Array {
  const out = packet(reports.length, RTCP_RR, RTCP_RR_REPORTS - RTCP_HEADER_LEN + reports.length * RTCP_REPORT_BLOCK_LEN);
  writeU32(out, RTCP_FIELD.SSRC, ssrc);
  reports.forEach((r, k) => emitReport(out, RTCP_RR_REPORTS + k * RTCP_REPORT_BLOCK_LEN, r));
  return out;
}

/** Latin-1 bytes of display text (CNAMEs, reasons, APP names). */
function latin1Bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);
}

/** One chunk with a CNAME item (at most 255 bytes). */
export function rtcpSdes(ssrc: number, cname: string): Uint8Array {
  const text = latin1Bytes(cname);
  // SSRC, the item, and at least one zero byte ending the item list.
  const out = packet(1, RTCP_SDES, pad4(4 + SDES_ITEM_FIELD.TEXT + text.length + 1));
  writeU32(out, RTCP_FIELD.SSRC, ssrc);
  const item = RTCP_FIELD.SSRC + 4;
  out[item + SDES_ITEM_FIELD.TYPE] = SDES_CNAME;
  out[item + SDES_ITEM_FIELD.LENGTH] = text.length;
  out.set(text, item + SDES_ITEM_FIELD.TEXT);
  return out;
}

export function rtcpBye(ssrcs: readonly number[], reason?: string): Uint8Array {
  const text = reason === undefined ? null : latin1Bytes(reason);
  const out = packet(ssrcs.length, RTCP_BYE, pad4(ssrcs.length * 4 + (text ? 1 + text.length : 0)));
  ssrcs.forEach((s, k) => writeU32(out, RTCP_FIELD.SSRC + k * 4, s));
  if (text) {
    const r = RTCP_FIELD.SSRC + ssrcs.length * 4;
    out[r] = text.length;
    out.set(text, r + 1);
  }
  return out;
}

export function rtcpApp(ssrc: number, name: string, subtype: number, data: Uint8Array): Uint8Array {
  const out = packet(subtype, RTCP_APP, RTCP_APP_FIELD.DATA - RTCP_HEADER_LEN + pad4(data.length));
  writeU32(out, RTCP_FIELD.SSRC, ssrc);
  out.set(latin1Bytes(name.padEnd(4).slice(0, 4)), RTCP_APP_FIELD.NAME);
  out.set(data, RTCP_APP_FIELD.DATA);
  return out;
}

/** An XR packet with one VoIP Metrics block (RFC 3611 §4.7); levels unavailable (127), RERL, Gmin 16, configuration 0. */
export function rtcpXrVoip(ssrc: number, m: XrVoipMetrics): Uint8Array {
  const out = packet(0, RTCP_XR, 4 + XR_VOIP_METRICS_LEN);
  writeU32(out, RTCP_FIELD.SSRC, ssrc);
  const h = RTCP_FIELD.SSRC + 4;
  out[h + XR_BLOCK_FIELD.TYPE] = XR_VOIP_METRICS;
  writeU16(out, h + XR_BLOCK_FIELD.LENGTH, XR_VOIP_METRICS_LEN / 4 - 1);
  const o = h + XR_BLOCK_FIELD.BODY;
  const F = XR_VOIP_FIELD;
  writeU32(out, o + F.SSRC, m.ssrc);
  out[o + F.LOSS_RATE] = Math.round(m.lossRate * 256);
  out[o + F.DISCARD_RATE] = Math.round(m.discardRate * 256);
  out[o + F.BURST_DENSITY] = Math.round(m.burstDensity * 256);
  out[o + F.GAP_DENSITY] = Math.round(m.gapDensity * 256);
  writeU16(out, o + F.BURST_DURATION, m.burstDurationMs);
  writeU16(out, o + F.GAP_DURATION, m.gapDurationMs);
  writeU16(out, o + F.ROUND_TRIP_DELAY, m.roundTripDelayMs);
  writeU16(out, o + F.END_SYSTEM_DELAY, m.endSystemDelayMs);
  out[o + F.SIGNAL_LEVEL] = XR_UNAVAILABLE;
  out[o + F.NOISE_LEVEL] = XR_UNAVAILABLE;
  out[o + F.RERL] = XR_UNAVAILABLE;
  out[o + F.GMIN] = XR_GMIN_DEFAULT;
  out[o + F.R_FACTOR] = m.rFactor;
  out[o + F.EXT_R_FACTOR] = XR_UNAVAILABLE;
  out[o + F.MOS_LQ] = Math.round(m.mosLq * 10);
  out[o + F.MOS_CQ] = Math.round(m.mosCq * 10);
  writeU16(out, o + F.JB_NOMINAL, m.jbNominalMs);
  writeU16(out, o + F.JB_MAX, m.jbMaxMs);
  writeU16(out, o + F.JB_ABS_MAX, m.jbMaxMs);
  return out;
}

/** Packets one after another in one datagram (a compound packet, or several). */
export function rtcpCompound(...packets: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of packets) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
