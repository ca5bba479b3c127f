// RTP fixed header (RFC 3550), and the heuristic that recognises RTP without
// SDP: version 2 with a sane payload type on an even port of the range UC
// media uses (16384-32767, as CUCM and the contact-center phones assign).

import type { RtpRecord } from './types.js';
import { writeU16, writeU32 } from './wire.js';

export const RTP_HEADER_LEN = 12;
export const RTP_VERSION = 2;
/** VPXCC: version (2 bits), padding, extension, CSRC count; M_PT: marker and payload type. */
export const RTP_FIELD = { VPXCC: 0, M_PT: 1, SEQ: 2, TIMESTAMP: 4, SSRC: 8 } as const;
// The decoder reads through plain constants and inline byte reads: helper calls spent the inlining budget of the layered decode (~20% slower).
const { VPXCC: F_VPXCC, M_PT: F_M_PT, SEQ: F_SEQ, TIMESTAMP: F_TIMESTAMP, SSRC: F_SSRC } = RTP_FIELD;

/** Inclusive UDP port range where RTP is recognised by shape alone (even ports only). */
export const RTP_HEURISTIC_PORTS: readonly [number, number] = [16384, 32767];

/** RTCP packet types 200..207 (SR..XR, feedback included) read as RTP payload types 72..79 once the marker bit is taken. */
function isRtcpType(payloadType: number): boolean {
  return payloadType >= 72 && payloadType <= 79;
}

/** Bytes of the RTP header at b[off..end) (fixed part plus CSRCs), or 0 when they can't be RTP v2. */
export function rtpHeaderLength(b: Uint8Array, off: number, end: number): number {
  if (end - off < RTP_HEADER_LEN || b[off + F_VPXCC] >> 6 !== RTP_VERSION || isRtcpType(b[off + F_M_PT] & 0x7f)) return 0;
  const len = RTP_HEADER_LEN + 4 * (b[off + F_VPXCC] & 0x0f);
  return end - off < len ? 0 : len;
}

/** Decode an RTP header; null when the bytes can't be RTP v2 (RTCP payload types 72..79 excluded). */
export function decodeRtp(b: Uint8Array, off: number, end: number): RtpRecord | null {
  if (rtpHeaderLength(b, off, end) === 0) return null;
  return {
    version: RTP_VERSION,
    payloadType: b[off + F_M_PT] & 0x7f,
    marker: (b[off + F_M_PT] & 0x80) !== 0,
    seq: ((b[off + F_SEQ] << 8) | b[off + F_SEQ + 1]),
    timestamp: (((b[off + F_TIMESTAMP] << 24) | (b[off + F_TIMESTAMP + 1] << 16) | (b[off + F_TIMESTAMP + 2] << 8) | b[off + F_TIMESTAMP + 3]) >>> 0),
    ssrc: (((b[off + F_SSRC] << 24) | (b[off + F_SSRC + 1] << 16) | (b[off + F_SSRC + 2] << 8) | b[off + F_SSRC + 3]) >>> 0),
  };
}

/** What emitRtp writes: the fixed header, no padding, extension or CSRCs. */
export interface RtpHeaderFields {
  payloadType: number;
  /** 16-bit sequence number (wraps). */
  seq: number;
  /** 32-bit media timestamp (wraps). */
  timestamp: number;
  ssrc: number;
  marker?: boolean;
}

/** Writes a 12-byte RTP v2 header at off; returns where the media goes. */
export function emitRtp(buf: Uint8Array, off: number, h: RtpHeaderFields): number {
  buf[off + RTP_FIELD.VPXCC] = RTP_VERSION << 6;
  buf[off + RTP_FIELD.M_PT] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  writeU16(buf, off + RTP_FIELD.SEQ, h.seq & 0xffff);
  writeU32(buf, off + RTP_FIELD.TIMESTAMP, h.timestamp >>> 0);
  writeU32(buf, off + RTP_FIELD.SSRC, h.ssrc >>> 0);
  return off + RTP_HEADER_LEN;
}

/** An even port in the heuristic range. */
export function isRtpHeuristicPort(port: number): boolean {
  return (port & 1) === 0 && port >= RTP_HEURISTIC_PORTS[0] && port <= RTP_HEURISTIC_PORTS[1];
}

/**
 * Payload types RFC 3551 assigns (0..34, unassigned ones included: senders
 * still use them) and the dynamic range 96..127. 35..95 is where random bytes
 * land most often and no codec lives.
 */
function isSanePayloadType(pt: number): boolean {
  return pt <= 34 || pt >= 96;
}

/** RTP by shape, for a datagram with no SDP behind it: on a heuristic port, v2, a sane payload type. */
export function looksLikeRtp(sport: number, dport: number, b: Uint8Array, off: number, end: number): boolean {
  return (isRtpHeuristicPort(dport) || isRtpHeuristicPort(sport)) && rtpHeaderLength(b, off, end) > 0 && isSanePayloadType(b[off + 1] & 0x7f);
}
