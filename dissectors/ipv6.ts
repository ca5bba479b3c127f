// IPv6 header and extension-header chain (hop-by-hop, routing, fragment,
// destination options, AH, mobility), ending at the upper-layer protocol.

import type { IpFragmentInfo } from './types.js';
import { LazyAddressIpHeader, i32 } from './ip-header.js';
import type { IpDecode } from './ipv4.js';
import { writeU16, writeU32 } from './wire.js';

export const IPV6_HEADER_LEN = 40;
export const IPV6_FIELD = {
  VER_TC_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
} as const;
// The decoder reads through plain constants and inline byte reads: helper calls spent the inlining budget of the layered decode (~20% slower).
const { PAYLOAD_LENGTH: F_PAYLOAD_LENGTH, NEXT_HEADER: F_NEXT_HEADER, HOP_LIMIT: F_HOP_LIMIT, SRC: F_SRC, DST: F_DST } = IPV6_FIELD;


const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_AH = 51;
const EXT_DEST_OPTS = 60;
const EXT_MOBILITY = 135;
const FRAGMENT_HEADER_LEN = 8;

const HEX = Array.from({ length: 65536 }, (_, i) => i.toString(16));

/** RFC 5952 text form of 16 bytes at `o`: lower case, longest zero run (>= 2 groups) compressed. */
export function ipv6ToString(b: Uint8Array, o: number): string {
  return ipv6Text(i32(b, o), i32(b, o + 4), i32(b, o + 8), i32(b, o + 12));
}

/**
 * The text of recently seen addresses, direct-mapped by a hash of their words:
 * a capture holds few addresses and every packet names two, and formatting
 * one cost a quarter of analyzing an IPv6 capture. A hit makes no string.
 */
const TEXT_CACHE_BITS = 10;
const cachedWords = new Int32Array(4 << TEXT_CACHE_BITS);
const cachedText: Array<string | undefined> = new Array<string | undefined>(1 << TEXT_CACHE_BITS).fill(undefined);

/** RFC 5952 text of an address given as four 32-bit words, most significant first. */
export function ipv6Text(w0: number, w1: number, w2: number, w3: number): string {
  const slot = (Math.imul(w0 ^ w3, 0x9e3779b1) ^ Math.imul(w1 ^ w2, 0x85ebca6b)) >>> (32 - TEXT_CACHE_BITS);
  const k = slot << 2;
  const hit = cachedText[slot];
  if (hit !== undefined && cachedWords[k] === (w0 | 0) && cachedWords[k + 1] === (w1 | 0) && cachedWords[k + 2] === (w2 | 0) && cachedWords[k + 3] === (w3 | 0)) return hit;
  const text = formatIpv6(w0, w1, w2, w3);
  cachedWords[k] = w0;
  cachedWords[k + 1] = w1;
  cachedWords[k + 2] = w2;
  cachedWords[k + 3] = w3;
  cachedText[slot] = text;
  return text;
}

function formatIpv6(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // IPv4-mapped addresses keep their dotted tail, as tools print them.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) {
    return `::ffff:${(w3 >>> 24) & 255}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  }
  if (bestStart < 0) return g.map((x) => HEX[x]).join(':');
  const head = g.slice(0, bestStart).map((x) => HEX[x]).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => HEX[x]).join(':');
  return `${head}::${tail}`;
}

/**
 * The 16 bytes of an IPv6 address written as text (RFC 4291 2.2: any case,
 * "::", a dotted IPv4 tail; a zone "%eth0" is dropped), or null when it is not one.
 */
export function parseIpv6(text: string): Uint8Array | null {
  const pct = text.indexOf('%');
  const t = pct < 0 ? text : text.slice(0, pct);
  const halves = t.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const words = part.split(':');
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (i === words.length - 1 && w.includes('.')) {
        const q = w.split('.');
        if (q.length !== 4 || !q.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255)) return null;
        out.push((Number(q[0]) << 8) | Number(q[1]), (Number(q[2]) << 8) | Number(q[3]));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(w)) out.push(parseInt(w, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const b = new Uint8Array(16);
  all.forEach((g, i) => {
    b[2 * i] = g >> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return b;
}

/** An IPv6 header with its addresses as four 32-bit words each. */
export class Ipv6Header extends LazyAddressIpHeader {
  declare readonly version: 6;
  declare private readonly s0: number;
  declare private readonly s1: number;
  declare private readonly s2: number;
  declare private readonly s3: number;
  declare private readonly d0: number;
  declare private readonly d1: number;
  declare private readonly d2: number;
  declare private readonly d3: number;

  /** `b[off..off+40)` is the fixed header; only the addresses are read from it. */
  constructor(b: Uint8Array, off: number, dscp: number, ecn: number, ttl: number, proto: number, id: number, fragment: IpFragmentInfo | null) {
    super(6, dscp, ecn, ttl, proto, id, fragment);
    this.s0 = i32(b, off + F_SRC);
    this.s1 = i32(b, off + F_SRC + 4);
    this.s2 = i32(b, off + F_SRC + 8);
    this.s3 = i32(b, off + F_SRC + 12);
    this.d0 = i32(b, off + F_DST);
    this.d1 = i32(b, off + F_DST + 4);
    this.d2 = i32(b, off + F_DST + 8);
    this.d3 = i32(b, off + F_DST + 12);
  }

  protected srcToText(): string {
    return ipv6Text(this.s0, this.s1, this.s2, this.s3);
  }

  protected dstToText(): string {
    return ipv6Text(this.d0, this.d1, this.d2, this.d3);
  }
}

export function decodeIpv6(b: Uint8Array, off: number, end: number, captureCut: boolean): IpDecode {
  const avail = end - off;
  if (avail < IPV6_HEADER_LEN) {
    return { header: null, offset: off, end, error: `ipv6: ${avail} bytes, header needs ${IPV6_HEADER_LEN}` };
  }
  const version = b[off] >> 4;
  if (version !== 6) return { header: null, offset: off, end, error: `ipv6: version field is ${version}` };
  const tclass = ((b[off] & 0x0f) << 4) | (b[off + 1] >> 4);
  const payloadLength = (b[off + F_PAYLOAD_LENGTH] << 8) | b[off + F_PAYLOAD_LENGTH + 1];
  let error: string | null = null;
  let payloadEnd = off + IPV6_HEADER_LEN + payloadLength;
  // Payload length 0 is a jumbogram or TSO; use what was captured.
  if (payloadLength === 0) payloadEnd = end;
  else if (payloadEnd > end) {
    if (!captureCut) error = `ipv6: payload length ${payloadLength} exceeds ${avail - IPV6_HEADER_LEN} captured bytes`;
    payloadEnd = end;
  }
  let next = b[off + F_NEXT_HEADER];
  let p = off + IPV6_HEADER_LEN;
  let fragment: IpFragmentInfo | null = null;
  let id = 0;
  for (;;) {
    if (next === EXT_FRAGMENT) {
      if (payloadEnd - p < FRAGMENT_HEADER_LEN) { error ??= 'ipv6: fragment header truncated'; break; }
      const fo = (b[p + 2] << 8) | b[p + 3];
      fragment = { offset: fo & 0xfff8, moreFragments: (fo & 1) !== 0 };
      id = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
      next = b[p];
      p += FRAGMENT_HEADER_LEN;
      // An atomic fragment (offset 0, no more) is a whole datagram.
      if (fragment.offset === 0 && !fragment.moreFragments) fragment = null;
      // Later fragments carry no further headers of their own.
      if (fragment && fragment.offset > 0) break;
    } else if (next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_DEST_OPTS || next === EXT_MOBILITY || next === EXT_AH) {
      if (payloadEnd - p < 2) { error ??= `ipv6: extension header ${next} truncated`; break; }
      const len = next === EXT_AH ? (b[p + 1] + 2) * 4 : (b[p + 1] + 1) * 8;
      if (payloadEnd - p < len) { error ??= `ipv6: extension header ${next} truncated`; break; }
      next = b[p];
      p += len;
    } else break;
  }
  const header = new Ipv6Header(b, off, tclass >> 2, tclass & 3, b[off + F_HOP_LIMIT], next, id, fragment);
  return { header, offset: p, end: payloadEnd, error };
}

/** What emitIpv6 writes; addresses are the 16 raw bytes. No extension headers. */
export interface Ipv6Fields {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  dscp?: number;
  ecn?: number;
  flowLabel?: number;
  /** Default 64. */
  hopLimit?: number;
}

/** Writes an IPv6 header (traffic class = DSCP << 2 | ECN) for payloadLen bytes; throws RangeError past 65535 (no jumbograms). */
export function emitIpv6(buf: Uint8Array, off: number, h: Ipv6Fields, payloadLen: number): number {
  if (payloadLen > 0xffff) throw new RangeError(`IPv6 payload too long for a non-jumbo packet: ${payloadLen}`);
  const tc = (((h.dscp ?? 0) & 0x3f) << 2) | ((h.ecn ?? 0) & 3);
  const flow = (h.flowLabel ?? 0) & 0xfffff;
  writeU32(buf, off + IPV6_FIELD.VER_TC_FLOW, ((6 << 28) | (tc << 20) | flow) >>> 0);
  writeU16(buf, off + IPV6_FIELD.PAYLOAD_LENGTH, payloadLen);
  buf[off + IPV6_FIELD.NEXT_HEADER] = h.nextHeader;
  buf[off + IPV6_FIELD.HOP_LIMIT] = h.hopLimit ?? 64;
  buf.set(h.src, off + IPV6_FIELD.SRC);
  buf.set(h.dst, off + IPV6_FIELD.DST);
  return off + IPV6_HEADER_LEN;
}
