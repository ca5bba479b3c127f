// RTP fixed header (RFC 3550).

import type { RtpRecord } from './types.js';

export const RTP_HEADER_LEN = 12;

/** Decode an RTP header; null when the bytes can't be RTP v2 (RTCP payload types 72..76 excluded). */
export function decodeRtp(b: Uint8Array, off: number, end: number): RtpRecord | null {
  if (end - off < RTP_HEADER_LEN) return null;
  const version = b[off] >> 6;
  if (version !== 2) return null;
  const payloadType = b[off + 1] & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) return null;
  const csrcCount = b[off] & 0x0f;
  if (end - off < RTP_HEADER_LEN + 4 * csrcCount) return null;
  return {
    version,
    payloadType,
    marker: (b[off + 1] & 0x80) !== 0,
    seq: (b[off + 2] << 8) | b[off + 3],
    timestamp: ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0,
    ssrc: ((b[off + 8] << 24) | (b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11]) >>> 0,
  };
}
