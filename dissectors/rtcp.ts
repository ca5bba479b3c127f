// RTCP (RFC 3550 §6): a datagram holds one compound packet or, reduced-size
// (RFC 5506), packets of any type; each packet's length field says where the
// next one starts. SR and RR carry report blocks (a receiver's view of a
// stream: fraction lost, cumulative lost, jitter, LSR/DLSR for the round
// trip); SDES names sources; BYE ends them; APP is skipped by its length; XR
// (RFC 3611) may carry a VoIP Metrics block (block type 7). Pure: a bad
// packet ends the walk with an error in the record, never an exception.

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

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** RTCP by shape: version 2, a packet type 200..207, a length that fits, and every packet after it well framed. */
export function looksLikeRtcp(b: Uint8Array, off: number, end: number): boolean {
  if (end - off < RTCP_HEADER_LEN * 2) return false;
  let p = off;
  while (p < end) {
    if (end - p < RTCP_HEADER_LEN || b[p] >> 6 !== 2 || b[p + 1] < 200 || b[p + 1] > 207) return false;
    p += (u16(b, p + 2) + 1) * 4;
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
    if (b[p] >> 6 !== 2) {
      error = `version ${b[p] >> 6} at byte ${p - off}`;
      break;
    }
    const len = (u16(b, p + 2) + 1) * 4;
    if (len > end - p) {
      error = `packet type ${b[p + 1]} says ${len} bytes, ${end - p} left`;
      break;
    }
    let bodyEnd = p + len;
    if (b[p] & 0x20) {
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
  const count = b[p] & 0x1f;
  const pt = b[p + 1];
  const body = p + RTCP_HEADER_LEN;
  switch (pt) {
    case RTCP_SR:
    case RTCP_RR: {
      const fixed = body + 4 + (pt === RTCP_SR ? RTCP_SENDER_INFO_LEN : 0);
      if (fixed + count * RTCP_REPORT_BLOCK_LEN > end) return `${pt === RTCP_SR ? 'SR' : 'RR'} with ${count} report blocks runs past its length`;
      const ssrc = u32(b, body);
      const reports: RtcpReportBlock[] = [];
      for (let k = 0; k < count; k++) reports.push(reportBlock(b, fixed + k * RTCP_REPORT_BLOCK_LEN));
      if (pt === RTCP_RR) return { type: 'RR', ssrc, reports };
      const s = body + 4;
      return { type: 'SR', ssrc, sender: { ntpMiddle: u32(b, s + 2), rtpTimestamp: u32(b, s + 8), packets: u32(b, s + 12), octets: u32(b, s + 16) }, reports };
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
      if (end - body < 8) return 'APP shorter than its SSRC and name';
      return { type: 'APP', ssrc: u32(b, body), name: latin1(b, body + 4, body + 8), subtype: count };
    case RTCP_XR:
      return xr(b, body, end);
    default:
      return { type: 'other', packetType: pt };
  }
}

function reportBlock(b: Uint8Array, o: number): RtcpReportBlock {
  const lost = (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7];
  return {
    ssrc: u32(b, o), fractionLost: b[o + 4] / 256, cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
    highestSeq: u32(b, o + 8), jitter: u32(b, o + 12), lsr: u32(b, o + 16), dlsr: u32(b, o + 20),
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
      const type = b[p];
      if (type === 0) break;
      if (p + 2 > end || p + 2 + b[p + 1] > end) return `SDES item ${type} runs past its length`;
      if (type === SDES_CNAME) cname = latin1(b, p + 2, p + 2 + b[p + 1]);
      p += 2 + b[p + 1];
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
    const len = (u16(b, p + 2) + 1) * 4;
    if (p + len > end) return `XR block type ${b[p]} says ${len} bytes, ${end - p} left`;
    if (b[p] === XR_VOIP_METRICS) {
      if (len !== XR_VOIP_METRICS_LEN) return `XR VoIP Metrics block of ${len} bytes (expected ${XR_VOIP_METRICS_LEN})`;
      const m = p + 4;
      voip.push({
        ssrc: u32(b, m), lossRate: b[m + 4] / 256, discardRate: b[m + 5] / 256, burstDensity: b[m + 6] / 256, gapDensity: b[m + 7] / 256,
        burstDurationMs: u16(b, m + 8), gapDurationMs: u16(b, m + 10), roundTripDelayMs: u16(b, m + 12), endSystemDelayMs: u16(b, m + 14),
        rFactor: b[m + 20], mosLq: b[m + 22] / 10, mosCq: b[m + 23] / 10, jbNominalMs: u16(b, m + 26), jbMaxMs: u16(b, m + 28),
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
