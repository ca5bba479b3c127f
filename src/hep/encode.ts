// HEPv3 encoder: the same chunk ids and offsets the decoder in
// dissectors/hep.ts reads, so decodeHep(encodeHep(m)) gives m back (a test).
//
// Chunks go in the order heplify sends them: family, IP protocol, addresses,
// ports, timestamp, protocol type, capture agent id, auth key (only when
// given), correlation id (only when given), IP TOS (only when known), any
// vendor chunks, and the payload last. Collectors walk the chunks by type (Homer's heplify-server, sngrep
// -L, Kamailio sipcapture), so the order is a convention, not a requirement.

import {
  HEP3_FIELD, HEP3_HEADER_LEN, HEP3_MAGIC, HEP3_MAX_LEN, HEP_AF_INET, HEP_AF_INET6, HEP_CHUNK, HEP_CHUNK_FIELD,
  HEP_CHUNK_HEADER_LEN, HEP_VENDOR_GENERIC, type HepChunk,
} from '../../dissectors/hep.js';
import { ipBytes, type IpAddress } from '../writer/frame-builder.js';
import { writeU16, writeU32 } from '../../dissectors/wire.js';

export interface HepMessage {
  ipFamily: 4 | 6;
  /** IP protocol of the captured packet: 17 UDP, 6 TCP. */
  ipProto: number;
  /** Text (dotted IPv4, IPv6) or the raw 4/16 bytes. */
  src: IpAddress;
  dst: IpAddress;
  sport: number;
  dport: number;
  tsSec: number;
  tsUsec: number;
  /** 1 SIP, 100 JSON log (HEP_PROTO_TYPE). */
  protoType: number;
  /** Sent as chunk 0x0018 when set: the packet's DSCP << 2 | ECN, so a collector (or ucprobe --hep-listen) knows its marking. */
  ipTos?: number | null;
  captureId: number;
  /** Sent as chunk 0x000e only when set. */
  authKey?: string | null;
  /** Sent as chunk 0x0011 only when set (the Call-ID for SIP). */
  correlationId?: string | null;
  /** Extra chunks (a vendor's own) placed before the payload. */
  vendorChunks?: readonly HepChunk[];
  payload: Uint8Array;
}

/** Thrown for a message that cannot be a HEPv3 packet (longer than 65535 bytes, a bad address): the sender counts it as dropped. */
export class HepEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HepEncodeError';
  }
}

const U8_CHUNK = HEP_CHUNK_HEADER_LEN + 1;
const U16_CHUNK = HEP_CHUNK_HEADER_LEN + 2;
const U32_CHUNK = HEP_CHUNK_HEADER_LEN + 4;
const utf8 = new TextEncoder();

interface Prepared {
  src: Uint8Array;
  dst: Uint8Array;
  authKey: Uint8Array | null;
  correlationId: Uint8Array | null;
  length: number;
}

function prepare(m: HepMessage): Prepared {
  let src: Uint8Array;
  let dst: Uint8Array;
  try {
    src = ipBytes(m.src, m.ipFamily);
    dst = ipBytes(m.dst, m.ipFamily);
  } catch (e) {
    throw new HepEncodeError(`hep: ${(e as Error).message}`);
  }
  const authKey = m.authKey ? utf8.encode(m.authKey) : null;
  const correlationId = m.correlationId ? utf8.encode(m.correlationId) : null;
  let length = HEP3_HEADER_LEN + 2 * U8_CHUNK + 2 * (HEP_CHUNK_HEADER_LEN + src.length) + 2 * U16_CHUNK + 2 * U32_CHUNK + U8_CHUNK + U32_CHUNK;
  if (authKey) length += HEP_CHUNK_HEADER_LEN + authKey.length;
  if (correlationId) length += HEP_CHUNK_HEADER_LEN + correlationId.length;
  if (m.ipTos !== undefined && m.ipTos !== null) length += U8_CHUNK;
  for (const c of m.vendorChunks ?? []) length += HEP_CHUNK_HEADER_LEN + c.data.length;
  length += HEP_CHUNK_HEADER_LEN + m.payload.length;
  if (length > HEP3_MAX_LEN) throw new HepEncodeError(`hep: a ${m.payload.length}-byte payload makes a ${length}-byte packet, more than HEPv3's ${HEP3_MAX_LEN}`);
  return { src, dst, authKey, correlationId, length };
}

/** Bytes encodeHep(m) will take. */
export function hepLength(m: HepMessage): number {
  return prepare(m).length;
}

function chunkHeader(buf: Uint8Array, p: number, vendor: number, type: number, dataLen: number): number {
  writeU16(buf, p + HEP_CHUNK_FIELD.VENDOR, vendor);
  writeU16(buf, p + HEP_CHUNK_FIELD.TYPE, type);
  writeU16(buf, p + HEP_CHUNK_FIELD.LENGTH, HEP_CHUNK_HEADER_LEN + dataLen);
  return p + HEP_CHUNK_FIELD.DATA;
}

function bytesChunk(buf: Uint8Array, p: number, vendor: number, type: number, data: Uint8Array): number {
  const d = chunkHeader(buf, p, vendor, type, data.length);
  buf.set(data, d);
  return d + data.length;
}

function u8Chunk(buf: Uint8Array, p: number, type: number, v: number): number {
  const d = chunkHeader(buf, p, HEP_VENDOR_GENERIC, type, 1);
  buf[d] = v & 0xff;
  return d + 1;
}

function u16Chunk(buf: Uint8Array, p: number, type: number, v: number): number {
  const d = chunkHeader(buf, p, HEP_VENDOR_GENERIC, type, 2);
  writeU16(buf, d, v);
  return d + 2;
}

function u32Chunk(buf: Uint8Array, p: number, type: number, v: number): number {
  const d = chunkHeader(buf, p, HEP_VENDOR_GENERIC, type, 4);
  writeU32(buf, d, v);
  return d + 4;
}

/** Writes the packet into buf at off; returns the offset after it. Throws HepEncodeError when it cannot be encoded. */
export function emitHep(buf: Uint8Array, off: number, m: HepMessage): number {
  return emitPrepared(buf, off, m, prepare(m));
}

function emitPrepared(buf: Uint8Array, off: number, m: HepMessage, pre: Prepared): number {
  if (buf.length - off < pre.length) throw new RangeError(`hep: ${pre.length} bytes needed, ${buf.length - off} available`);
  buf.set(HEP3_MAGIC, off + HEP3_FIELD.MAGIC);
  writeU16(buf, off + HEP3_FIELD.TOTAL_LENGTH, pre.length);
  let p = off + HEP3_HEADER_LEN;
  p = u8Chunk(buf, p, HEP_CHUNK.IP_FAMILY, m.ipFamily === 4 ? HEP_AF_INET : HEP_AF_INET6);
  p = u8Chunk(buf, p, HEP_CHUNK.IP_PROTO, m.ipProto);
  p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, m.ipFamily === 4 ? HEP_CHUNK.IPV4_SRC : HEP_CHUNK.IPV6_SRC, pre.src);
  p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, m.ipFamily === 4 ? HEP_CHUNK.IPV4_DST : HEP_CHUNK.IPV6_DST, pre.dst);
  p = u16Chunk(buf, p, HEP_CHUNK.SRC_PORT, m.sport);
  p = u16Chunk(buf, p, HEP_CHUNK.DST_PORT, m.dport);
  p = u32Chunk(buf, p, HEP_CHUNK.TS_SEC, m.tsSec);
  p = u32Chunk(buf, p, HEP_CHUNK.TS_USEC, m.tsUsec);
  p = u8Chunk(buf, p, HEP_CHUNK.PROTO_TYPE, m.protoType);
  p = u32Chunk(buf, p, HEP_CHUNK.CAPTURE_ID, m.captureId);
  if (pre.authKey) p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, HEP_CHUNK.AUTH_KEY, pre.authKey);
  if (pre.correlationId) p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, HEP_CHUNK.CORRELATION_ID, pre.correlationId);
  if (m.ipTos !== undefined && m.ipTos !== null) p = u8Chunk(buf, p, HEP_CHUNK.IP_TOS, m.ipTos);
  for (const c of m.vendorChunks ?? []) p = bytesChunk(buf, p, c.vendor, c.type, c.data);
  return bytesChunk(buf, p, HEP_VENDOR_GENERIC, HEP_CHUNK.PAYLOAD, m.payload);
}

/** One HEPv3 packet in a buffer of its own. */
export function encodeHep(m: HepMessage): Uint8Array {
  const pre = prepare(m);
  const buf = new Uint8Array(pre.length);
  emitPrepared(buf, 0, m, pre);
  return buf;
}

