// GRE (RFC 2784/2890) and enhanced GRE v1 (PPTP, RFC 2637): sites carry
// multicast paging and PPP over it, so the inner packet is what matters.
// emitGre writes the same layout, for tests and captures of tunnels.

import { readU16, writeU16, writeU32 } from './wire.js';

export const GRE_PROTO_PPP = 0x880b;
export const GRE_PROTO_TEB = 0x6558;
const GRE_MIN_LEN = 4;
/** Flags and version, protocol type, then the optional 32-bit fields in this order: checksum, key, sequence, ack (v1). */
export const GRE_FIELD = { FLAGS_VERSION: 0, PROTOCOL: 2, OPTIONAL: 4 } as const;
const FLAG_CHECKSUM = 0x8000;
const FLAG_ROUTING = 0x4000;
const FLAG_KEY = 0x2000;
const FLAG_SEQ = 0x1000;
const FLAG_ACK = 0x0080; // v1 only
const VERSION_MASK = 7;

export interface GreResult {
  /** Protocol type (an EtherType, or GRE_PROTO_PPP). */
  protocol: number;
  offset: number;
  error: string | null;
}

export function decodeGre(b: Uint8Array, off: number, end: number): GreResult {
  if (end - off < GRE_MIN_LEN) return { protocol: -1, offset: off, error: 'gre: header truncated' };
  const flags = readU16(b, off + GRE_FIELD.FLAGS_VERSION);
  const version = flags & VERSION_MASK;
  const protocol = readU16(b, off + GRE_FIELD.PROTOCOL);
  if (version > 1) return { protocol: -1, offset: off, error: `gre: version ${version}` };
  if (flags & FLAG_ROUTING) return { protocol: -1, offset: off, error: 'gre: source routing not supported' };
  let len = GRE_MIN_LEN;
  if (flags & FLAG_CHECKSUM) len += 4;
  if (flags & FLAG_KEY) len += 4;
  if (flags & FLAG_SEQ) len += 4;
  if (version === 1 && flags & FLAG_ACK) len += 4;
  if (end - off < len) return { protocol, offset: off, error: 'gre: header truncated' };
  return { protocol, offset: off + len, error: null };
}

/** What emitGre writes; each optional field present sets its flag. */
export interface GreHeader {
  protocol: number;
  /** 0 (RFC 2784) or 1 (enhanced GRE, PPTP). */
  version?: 0 | 1;
  /** The checksum word as sent (checksum and reserved1): ucprobe does not verify it. */
  checksum?: number;
  /** v1: payload length (high 16 bits) and call id (low 16). */
  key?: number;
  seq?: number;
  /** v1 only. */
  ack?: number;
}

export function greHeaderLength(h: GreHeader): number {
  const words = [h.checksum, h.key, h.seq, h.version === 1 ? h.ack : undefined].filter((v) => v !== undefined).length;
  return GRE_MIN_LEN + 4 * words;
}

/** Writes a GRE header; returns where the payload goes. */
export function emitGre(buf: Uint8Array, off: number, h: GreHeader): number {
  const version = h.version ?? 0;
  const ack = version === 1 ? h.ack : undefined;
  const flags = (h.checksum !== undefined ? FLAG_CHECKSUM : 0) | (h.key !== undefined ? FLAG_KEY : 0) | (h.seq !== undefined ? FLAG_SEQ : 0) | (ack !== undefined ? FLAG_ACK : 0) | version;
  writeU16(buf, off + GRE_FIELD.FLAGS_VERSION, flags);
  writeU16(buf, off + GRE_FIELD.PROTOCOL, h.protocol);
  let p = off + GRE_FIELD.OPTIONAL;
  for (const v of [h.checksum, h.key, h.seq, ack]) {
    if (v === undefined) continue;
    writeU32(buf, p, v >>> 0);
    p += 4;
  }
  return p;
}
