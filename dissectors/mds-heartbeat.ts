// MDS heartbeat: a UDP datagram whose whole payload is one 4-byte DWORD, the
// sequence number (+1 per heartbeat, back to 0 when the sender restarts).

import type { ByteOrder, HeartbeatRecord } from './types.js';

export const HEARTBEAT_PAYLOAD_LEN = 4;
/** The payload is one DWORD: the sender's sequence number, in the sender's byte order. */
export const HEARTBEAT_FIELD = { SEQ: 0 } as const;
/** The UDP port range where the contact-center software's heartbeats are documented. */
export const DEFAULT_HEARTBEAT_PORTS: readonly [number, number] = [39500, 39999];

export function readDword(b: Uint8Array, o: number, order: ByteOrder): number {
  return order === 'le'
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0
    : ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/**
 * Decode a heartbeat payload. Without a known order, guess the one giving the
 * smaller number: counters start at 0 and climb by ten a second, so the
 * right order almost always reads smaller. Streams settle the order for good.
 */
export function decodeHeartbeat(b: Uint8Array, off: number, end: number, order?: ByteOrder): HeartbeatRecord | null {
  if (end - off !== HEARTBEAT_PAYLOAD_LEN) return null;
  if (order) return { seq: readDword(b, off + HEARTBEAT_FIELD.SEQ, order), byteOrder: order };
  const le = readDword(b, off + HEARTBEAT_FIELD.SEQ, 'le');
  const be = readDword(b, off + HEARTBEAT_FIELD.SEQ, 'be');
  return le <= be ? { seq: le, byteOrder: 'le' } : { seq: be, byteOrder: 'be' };
}

/** Writes a heartbeat payload (seq wraps modulo 2^32) in `order`; returns the offset after it. */
export function emitHeartbeat(buf: Uint8Array, off: number, seq: number, order: ByteOrder): number {
  const v = seq >>> 0;
  const o = off + HEARTBEAT_FIELD.SEQ;
  for (let i = 0; i < HEARTBEAT_PAYLOAD_LEN; i++) {
    const shift = order === 'le' ? 8 * i : 8 * (HEARTBEAT_PAYLOAD_LEN - 1 - i);
    buf[o + i] = (v >>> shift) & 0xff;
  }
  return off + HEARTBEAT_PAYLOAD_LEN;
}
