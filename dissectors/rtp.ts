// RTP fixed header (RFC 3550), and the heuristic that recognises RTP without
// SDP: version 2 with a sane payload type on an even port of the range UC
// media uses (16384-32767, as CUCM and the contact-center phones assign).

import type { RtpRecord } from './types.js';

export const RTP_HEADER_LEN = 12;
/** Inclusive UDP port range where RTP is recognised by shape alone (even ports only). */
export const RTP_HEURISTIC_PORTS: readonly [number, number] = [16384, 32767];

/** RTCP packet types 200..207 (SR..XR, feedback included) read as RTP payload types 72..79 once the marker bit is taken. */
function isRtcpType(payloadType: number): boolean {
  return payloadType >= 72 && payloadType <= 79;
}

/** Bytes of the RTP header at b[off..end) (fixed part plus CSRCs), or 0 when they can't be RTP v2. */
export function rtpHeaderLength(b: Uint8Array, off: number, end: number): number {
  if (end - off < RTP_HEADER_LEN || b[off] >> 6 !== 2 || isRtcpType(b[off + 1] & 0x7f)) return 0;
  const len = RTP_HEADER_LEN + 4 * (b[off] & 0x0f);
  return end - off < len ? 0 : len;
}

/** Decode an RTP header; null when the bytes can't be RTP v2 (RTCP payload types 72..79 excluded). */
export function decodeRtp(b: Uint8Array, off: number, end: number): RtpRecord | null {
  if (rtpHeaderLength(b, off, end) === 0) return null;
  return {
    version: 2,
    payloadType: b[off + 1] & 0x7f,
    marker: (b[off + 1] & 0x80) !== 0,
    seq: (b[off + 2] << 8) | b[off + 3],
    timestamp: ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0,
    ssrc: ((b[off + 8] << 24) | (b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11]) >>> 0,
  };
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
