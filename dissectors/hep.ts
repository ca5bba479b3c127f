// HEP (Homer Encapsulation Protocol, a.k.a. EEP): how capture agents
// (heplify, sngrep -H, Kamailio/OpenSIPS sipcapture, captagent) hand a
// captured message with its original addresses, ports and timestamp to a
// collector. Version 3 is a 6-byte header ("HEP3" + total length) followed by
// TLV chunks (vendor id, type id, length including the 6-byte chunk header),
// all big-endian. Versions 1 and 2 are the older fixed layouts, decoded here
// because some agents still send them (sngrep's eep.send.version 2).
//
// Pure: bytes in, a record out; nothing here throws. A truncated or absurd
// packet gives a record with `error` set and every field decoded up to there.
// emitHep3 writes a v3 packet with the same chunk ids and offsets.

import { ipv4ToString } from './ipv4.js';
import { ipv6ToString } from './ipv6.js';
import { writeU16, writeU32 } from './wire.js';

/** "HEP3" */
export const HEP3_MAGIC = Uint8Array.of(0x48, 0x45, 0x50, 0x33);
export const HEP3_HEADER_LEN = 6;
export const HEP3_FIELD = { MAGIC: 0, TOTAL_LENGTH: 4 } as const;
/** The total length field is 16 bits: no HEPv3 packet is longer. */
export const HEP3_MAX_LEN = 0xffff;

export const HEP_CHUNK_HEADER_LEN = 6;
export const HEP_CHUNK_FIELD = { VENDOR: 0, TYPE: 2, LENGTH: 4, DATA: 6 } as const;

/** Vendor id of the chunk types every HEP implementation shares. */
export const HEP_VENDOR_GENERIC = 0x0000;

/** Generic chunk types (vendor 0), as the HEP3 specification numbers them. */
export const HEP_CHUNK = {
  IP_FAMILY: 0x0001,
  IP_PROTO: 0x0002,
  IPV4_SRC: 0x0003,
  IPV4_DST: 0x0004,
  IPV6_SRC: 0x0005,
  IPV6_DST: 0x0006,
  SRC_PORT: 0x0007,
  DST_PORT: 0x0008,
  TS_SEC: 0x0009,
  TS_USEC: 0x000a,
  PROTO_TYPE: 0x000b,
  CAPTURE_ID: 0x000c,
  KEEPALIVE_TIMER: 0x000d,
  AUTH_KEY: 0x000e,
  PAYLOAD: 0x000f,
  COMPRESSED_PAYLOAD: 0x0010,
  CORRELATION_ID: 0x0011,
  VLAN: 0x0012,
  NODE_NAME: 0x0013,
  TCP_FLAGS: 0x0017,
  /** The captured packet's TOS / traffic class byte (DSCP << 2 | ECN), as heplify sends it. */
  IP_TOS: 0x0018,
} as const;

/** The address family values HEP carries (Linux AF_INET / AF_INET6). */
export const HEP_AF_INET = 2;
export const HEP_AF_INET6 = 10;

/** Payload protocol types (chunk 0x000b) ucprobe sends or names. */
export const HEP_PROTO_TYPE = { SIP: 1, RTCP: 5, JSON_LOG: 100 } as const;

/** HEPv1/v2: a fixed 8-byte header, the two addresses, then (v2 only) a time header. */
export const HEP2_HEADER_LEN = 8;
export const HEP2_FIELD = { VERSION: 0, LENGTH: 1, FAMILY: 2, PROTO: 3, SRC_PORT: 4, DST_PORT: 6, ADDRESSES: 8 } as const;
/**
 * tv_sec, tv_usec (both in the sender's byte order: the C struct is copied as is),
 * a 16-bit capture id and the 2 bytes of padding that make the struct 12 bytes.
 */
export const HEP2_TIME_LEN = 12;
export const HEP2_TIME_FIELD = { SEC: 0, USEC: 4, CAPTURE_ID: 8 } as const;

/** A chunk kept as it came: a vendor's own, or a generic one this decoder has no field for. */
export interface HepChunk {
  vendor: number;
  type: number;
  /** The chunk's data (after its 6-byte header): a view into the input. */
  data: Uint8Array;
}

export interface HepRecord {
  /** 1, 2 or 3; null when the bytes are not HEP at all. */
  version: 1 | 2 | 3 | null;
  /** Bytes this packet occupies in the input (v3: its total length field; v1/v2: all of the input). */
  length: number;
  /** From the family chunk (2 → 4, 10 → 6); null when absent or another value. */
  ipFamily: 4 | 6 | null;
  /** IP protocol number of the captured packet (17 UDP, 6 TCP). */
  ipProto: number | null;
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  tsSec: number | null;
  tsUsec: number | null;
  /** What the payload is: 1 SIP, 5 RTCP, 100 JSON/log ... */
  protoType: number | null;
  /** TOS / traffic class of the captured packet (DSCP << 2 | ECN), when the agent sent it. */
  ipTos: number | null;
  captureId: number | null;
  authKey: string | null;
  correlationId: string | null;
  /** The captured message: a view into the input, not a copy. */
  payload: Uint8Array | null;
  /** Chunks of vendors other than 0, in order. */
  vendorChunks: HepChunk[];
  /** Generic chunks with no field above (keep-alive timer, VLAN, node name, compressed payload ...), in order. */
  otherChunks: HepChunk[];
  error: string | null;
}

function emptyHep(length: number): HepRecord {
  return {
    version: null, length, ipFamily: null, ipProto: null, src: null, dst: null, sport: null, dport: null,
    tsSec: null, tsUsec: null, protoType: null, ipTos: null, captureId: null, authKey: null, correlationId: null,
    payload: null, vendorChunks: [], otherChunks: [], error: null,
  };
}

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const u32le = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

const utf8 = new TextDecoder('utf-8');

function familyOf(v: number): 4 | 6 | null {
  return v === HEP_AF_INET ? 4 : v === HEP_AF_INET6 ? 6 : null;
}

/** Whether the bytes at `off` start like a HEPv3 packet (the magic). */
export function isHep3(b: Uint8Array, off: number, end: number): boolean {
  return end - off >= 4 && b[off] === 0x48 && b[off + 1] === 0x45 && b[off + 2] === 0x50 && b[off + 3] === 0x33;
}

/**
 * Length of the HEPv3 packet starting at `off`, as its header says: for cutting
 * packets out of a TCP stream. Null while fewer than 6 bytes are there; 0 when
 * the bytes are not a HEPv3 header (the stream cannot be framed any further).
 */
export function hep3PacketLength(b: Uint8Array, off: number, end: number): number | null {
  if (end - off < HEP3_HEADER_LEN) return null;
  if (!isHep3(b, off, end)) return 0;
  const total = u16(b, off + HEP3_FIELD.TOTAL_LENGTH);
  return total < HEP3_HEADER_LEN ? 0 : total;
}

/** Decode one HEP packet (v3, or v1/v2 by their first byte) in b[off, end). */
export function decodeHep(b: Uint8Array, off: number, end: number): HepRecord {
  const s = Math.max(0, Math.min(off, b.length));
  const e = Math.max(s, Math.min(end, b.length));
  if (isHep3(b, s, e)) return decodeHep3(b, s, e);
  const first = e > s ? b[s] : -1;
  if ((first === 1 || first === 2) && e - s >= HEP2_FIELD.ADDRESSES) return decodeHep2(b, s, e);
  const rec = emptyHep(e - s);
  rec.error = e - s < 4 ? `hep: ${e - s} bytes, too short for a HEP header` : 'hep: not a HEP packet (no HEP3 magic, not version 1 or 2)';
  return rec;
}

function decodeHep3(b: Uint8Array, s: number, e: number): HepRecord {
  const rec = emptyHep(e - s);
  rec.version = 3;
  if (e - s < HEP3_HEADER_LEN) {
    rec.error = `hep: ${e - s} bytes, the HEP3 header needs ${HEP3_HEADER_LEN}`;
    return rec;
  }
  const total = u16(b, s + HEP3_FIELD.TOTAL_LENGTH);
  let end = s + total;
  if (total < HEP3_HEADER_LEN) {
    rec.error = `hep: total length ${total} is shorter than the header`;
    return rec;
  }
  if (end > e) {
    // Decode what is there: a cut packet still names its addresses.
    rec.error = `hep: total length ${total} exceeds the ${e - s} bytes present`;
    end = e;
  } else {
    rec.length = total;
  }
  let p = s + HEP3_HEADER_LEN;
  while (p < end) {
    if (end - p < HEP_CHUNK_HEADER_LEN) {
      rec.error ??= `hep: ${end - p} bytes left at offset ${p - s}, a chunk header needs ${HEP_CHUNK_HEADER_LEN}`;
      break;
    }
    const vendor = u16(b, p + HEP_CHUNK_FIELD.VENDOR);
    const type = u16(b, p + HEP_CHUNK_FIELD.TYPE);
    const len = u16(b, p + HEP_CHUNK_FIELD.LENGTH);
    if (len < HEP_CHUNK_HEADER_LEN) {
      // A length below the header size cannot be skipped: the rest is not framable.
      rec.error ??= `hep: chunk ${hex(vendor)}/${hex(type)} at offset ${p - s} has length ${len} (< ${HEP_CHUNK_HEADER_LEN})`;
      break;
    }
    if (p + len > end) {
      rec.error ??= `hep: chunk ${hex(vendor)}/${hex(type)} at offset ${p - s} has length ${len}, ${end - p} bytes left`;
      break;
    }
    const data = b.subarray(p + HEP_CHUNK_FIELD.DATA, p + len);
    if (vendor !== HEP_VENDOR_GENERIC) rec.vendorChunks.push({ vendor, type, data });
    else {
      const bad = genericChunk(rec, type, data);
      if (bad) rec.error ??= `hep: chunk ${hex(type)} at offset ${p - s}: ${bad}`;
    }
    p += len;
  }
  return rec;
}

/** Fills the field a generic chunk carries; returns what is wrong with it, if anything. */
function genericChunk(rec: HepRecord, type: number, d: Uint8Array): string | null {
  const want = (n: number): string | null => (d.length === n ? null : `${d.length} data bytes, expected ${n}`);
  switch (type) {
    case HEP_CHUNK.IP_FAMILY:
      if (d.length !== 1) return want(1);
      rec.ipFamily = familyOf(d[0]);
      return rec.ipFamily === null ? `unknown address family ${d[0]}` : null;
    case HEP_CHUNK.IP_PROTO:
      if (d.length !== 1) return want(1);
      rec.ipProto = d[0];
      return null;
    case HEP_CHUNK.IPV4_SRC:
    case HEP_CHUNK.IPV4_DST:
      if (d.length !== 4) return want(4);
      if (type === HEP_CHUNK.IPV4_SRC) rec.src = ipv4ToString(d, 0);
      else rec.dst = ipv4ToString(d, 0);
      return null;
    case HEP_CHUNK.IPV6_SRC:
    case HEP_CHUNK.IPV6_DST:
      if (d.length !== 16) return want(16);
      if (type === HEP_CHUNK.IPV6_SRC) rec.src = ipv6ToString(d, 0);
      else rec.dst = ipv6ToString(d, 0);
      return null;
    case HEP_CHUNK.SRC_PORT:
    case HEP_CHUNK.DST_PORT:
      if (d.length !== 2) return want(2);
      if (type === HEP_CHUNK.SRC_PORT) rec.sport = u16(d, 0);
      else rec.dport = u16(d, 0);
      return null;
    case HEP_CHUNK.TS_SEC:
    case HEP_CHUNK.TS_USEC:
      if (d.length !== 4) return want(4);
      if (type === HEP_CHUNK.TS_SEC) rec.tsSec = u32(d, 0);
      else rec.tsUsec = u32(d, 0);
      return null;
    case HEP_CHUNK.PROTO_TYPE:
      if (d.length !== 1) return want(1);
      rec.protoType = d[0];
      return null;
    case HEP_CHUNK.IP_TOS:
      if (d.length !== 1) return want(1);
      rec.ipTos = d[0];
      return null;
    case HEP_CHUNK.CAPTURE_ID:
      // Older agents (captagent 4, hep-c) send 16 bits; the specification says 32.
      if (d.length === 2) rec.captureId = u16(d, 0);
      else if (d.length === 4) rec.captureId = u32(d, 0);
      else return `${d.length} data bytes, expected 4 (or 2)`;
      return null;
    case HEP_CHUNK.AUTH_KEY:
      rec.authKey = utf8.decode(d);
      return null;
    case HEP_CHUNK.PAYLOAD:
      rec.payload = d;
      return null;
    case HEP_CHUNK.CORRELATION_ID:
      rec.correlationId = utf8.decode(d);
      return null;
    default:
      rec.otherChunks.push({ vendor: HEP_VENDOR_GENERIC, type, data: d });
      return null;
  }
}

/**
 * HEPv1/v2 (the sipcapture "hep_hdr"): version, header length, family, protocol,
 * ports (network order), the two addresses; v2 adds tv_sec, tv_usec and a capture
 * id copied from a C struct in the sender's byte order. Little-endian senders are
 * the rule; when that reading gives an impossible microsecond count, big-endian is
 * taken instead. The payload is the rest of the datagram (the header length byte
 * is unreliable: sngrep stores a 16-bit total in it).
 */
function decodeHep2(b: Uint8Array, s: number, e: number): HepRecord {
  const rec = emptyHep(e - s);
  rec.version = b[s + HEP2_FIELD.VERSION] === 1 ? 1 : 2;
  rec.ipFamily = familyOf(b[s + HEP2_FIELD.FAMILY]);
  rec.ipProto = b[s + HEP2_FIELD.PROTO];
  rec.sport = u16(b, s + HEP2_FIELD.SRC_PORT);
  rec.dport = u16(b, s + HEP2_FIELD.DST_PORT);
  if (rec.ipFamily === null) {
    rec.error = `hep: version ${rec.version} with unknown address family ${b[s + HEP2_FIELD.FAMILY]}`;
    return rec;
  }
  const alen = rec.ipFamily === 4 ? 4 : 16;
  let p = s + HEP2_FIELD.ADDRESSES;
  if (e - p < 2 * alen) {
    rec.error = `hep: version ${rec.version} cut short in its addresses (${e - p} bytes, need ${2 * alen})`;
    return rec;
  }
  rec.src = alen === 4 ? ipv4ToString(b, p) : ipv6ToString(b, p);
  rec.dst = alen === 4 ? ipv4ToString(b, p + alen) : ipv6ToString(b, p + alen);
  p += 2 * alen;
  if (rec.version === 2) {
    if (e - p < HEP2_TIME_LEN) {
      rec.error = `hep: version 2 cut short in its time header (${e - p} bytes, need ${HEP2_TIME_LEN})`;
      return rec;
    }
    const le = u32le(b, p + HEP2_TIME_FIELD.USEC) < 1_000_000 || u32(b, p + HEP2_TIME_FIELD.USEC) >= 1_000_000;
    rec.tsSec = le ? u32le(b, p + HEP2_TIME_FIELD.SEC) : u32(b, p + HEP2_TIME_FIELD.SEC);
    rec.tsUsec = le ? u32le(b, p + HEP2_TIME_FIELD.USEC) : u32(b, p + HEP2_TIME_FIELD.USEC);
    rec.captureId = le ? b[p + HEP2_TIME_FIELD.CAPTURE_ID] | (b[p + HEP2_TIME_FIELD.CAPTURE_ID + 1] << 8) : u16(b, p + HEP2_TIME_FIELD.CAPTURE_ID);
    p += HEP2_TIME_LEN;
  }
  // v1/v2 carry SIP only.
  rec.protoType = HEP_PROTO_TYPE.SIP;
  rec.payload = b.subarray(p, e);
  return rec;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------
// HEPv3 emitter

/** The fields of a HEPv3 packet as bytes: what emitHep3 writes (src/hep/encode.ts makes them from text). */
export interface Hep3Fields {
  ipFamily: 4 | 6;
  ipProto: number;
  /** 4 or 16 bytes, as ipFamily says. */
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  tsSec: number;
  tsUsec: number;
  protoType: number;
  captureId: number;
  /** UTF-8; no chunk when null. */
  authKey: Uint8Array | null;
  correlationId: Uint8Array | null;
  /** No chunk when null. */
  ipTos: number | null;
  vendorChunks: readonly HepChunk[];
  payload: Uint8Array;
}

const U8_CHUNK = HEP_CHUNK_HEADER_LEN + 1;
const U16_CHUNK = HEP_CHUNK_HEADER_LEN + 2;
const U32_CHUNK = HEP_CHUNK_HEADER_LEN + 4;

/** Bytes emitHep3 writes for f; more than HEP3_MAX_LEN means it cannot be one packet. */
export function hep3Length(f: Hep3Fields): number {
  let length = HEP3_HEADER_LEN + 2 * U8_CHUNK + 2 * (HEP_CHUNK_HEADER_LEN + f.src.length) + 2 * U16_CHUNK + 2 * U32_CHUNK + U8_CHUNK + U32_CHUNK;
  if (f.authKey) length += HEP_CHUNK_HEADER_LEN + f.authKey.length;
  if (f.correlationId) length += HEP_CHUNK_HEADER_LEN + f.correlationId.length;
  if (f.ipTos !== null) length += U8_CHUNK;
  for (const c of f.vendorChunks) length += HEP_CHUNK_HEADER_LEN + c.data.length;
  return length + HEP_CHUNK_HEADER_LEN + f.payload.length;
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

/**
 * Writes one HEPv3 packet of `length` bytes (hep3Length(f), at most
 * HEP3_MAX_LEN) at off; returns the offset after it. Chunks go in the order
 * heplify sends them: family, IP protocol, addresses, ports, timestamp,
 * protocol type, capture agent id, auth key, correlation id, IP TOS (those
 * three only when given), vendor chunks, and the payload last. Collectors walk
 * chunks by type, so the order is a convention, not a requirement.
 */
export function emitHep3(buf: Uint8Array, off: number, f: Hep3Fields, length: number): number {
  buf.set(HEP3_MAGIC, off + HEP3_FIELD.MAGIC);
  writeU16(buf, off + HEP3_FIELD.TOTAL_LENGTH, length);
  const v4 = f.ipFamily === 4;
  let p = off + HEP3_HEADER_LEN;
  p = u8Chunk(buf, p, HEP_CHUNK.IP_FAMILY, v4 ? HEP_AF_INET : HEP_AF_INET6);
  p = u8Chunk(buf, p, HEP_CHUNK.IP_PROTO, f.ipProto);
  p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, v4 ? HEP_CHUNK.IPV4_SRC : HEP_CHUNK.IPV6_SRC, f.src);
  p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, v4 ? HEP_CHUNK.IPV4_DST : HEP_CHUNK.IPV6_DST, f.dst);
  p = u16Chunk(buf, p, HEP_CHUNK.SRC_PORT, f.sport);
  p = u16Chunk(buf, p, HEP_CHUNK.DST_PORT, f.dport);
  p = u32Chunk(buf, p, HEP_CHUNK.TS_SEC, f.tsSec);
  p = u32Chunk(buf, p, HEP_CHUNK.TS_USEC, f.tsUsec);
  p = u8Chunk(buf, p, HEP_CHUNK.PROTO_TYPE, f.protoType);
  p = u32Chunk(buf, p, HEP_CHUNK.CAPTURE_ID, f.captureId);
  if (f.authKey) p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, HEP_CHUNK.AUTH_KEY, f.authKey);
  if (f.correlationId) p = bytesChunk(buf, p, HEP_VENDOR_GENERIC, HEP_CHUNK.CORRELATION_ID, f.correlationId);
  if (f.ipTos !== null) p = u8Chunk(buf, p, HEP_CHUNK.IP_TOS, f.ipTos);
  for (const c of f.vendorChunks) p = bytesChunk(buf, p, c.vendor, c.type, c.data);
  return bytesChunk(buf, p, HEP_VENDOR_GENERIC, HEP_CHUNK.PAYLOAD, f.payload);
}
