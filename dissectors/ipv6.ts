// IPv6 header and extension-header chain (hop-by-hop, routing, fragment,
// destination options, AH, mobility), ending at the upper-layer protocol.

import type { IpHeader, IpFragmentInfo } from './types.js';
import type { IpDecode } from './ipv4.js';

export const IPV6_HEADER_LEN = 40;
const PAYLOAD_LENGTH = 4;
const NEXT_HEADER = 6;
const HOP_LIMIT = 7;
const SRC = 8;
const DST = 24;

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
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[o + 2 * i] << 8) | b[o + 2 * i + 1];
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
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  if (bestStart < 0) return g.map((x) => HEX[x]).join(':');
  const head = g.slice(0, bestStart).map((x) => HEX[x]).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => HEX[x]).join(':');
  return `${head}::${tail}`;
}

export function decodeIpv6(b: Uint8Array, off: number, end: number, captureCut: boolean): IpDecode {
  const avail = end - off;
  if (avail < IPV6_HEADER_LEN) {
    return { header: null, offset: off, end, error: `ipv6: ${avail} bytes, header needs ${IPV6_HEADER_LEN}` };
  }
  const version = b[off] >> 4;
  if (version !== 6) return { header: null, offset: off, end, error: `ipv6: version field is ${version}` };
  const tclass = ((b[off] & 0x0f) << 4) | (b[off + 1] >> 4);
  const payloadLength = (b[off + PAYLOAD_LENGTH] << 8) | b[off + PAYLOAD_LENGTH + 1];
  let error: string | null = null;
  let payloadEnd = off + IPV6_HEADER_LEN + payloadLength;
  // Payload length 0 is a jumbogram or TSO; use what was captured.
  if (payloadLength === 0) payloadEnd = end;
  else if (payloadEnd > end) {
    if (!captureCut) error = `ipv6: payload length ${payloadLength} exceeds ${avail - IPV6_HEADER_LEN} captured bytes`;
    payloadEnd = end;
  }
  let next = b[off + NEXT_HEADER];
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
  const header: IpHeader = {
    version: 6,
    src: ipv6ToString(b, off + SRC),
    dst: ipv6ToString(b, off + DST),
    dscp: tclass >> 2,
    ecn: tclass & 3,
    ttl: b[off + HOP_LIMIT],
    proto: next,
    id,
    fragment,
  };
  return { header, offset: p, end: payloadEnd, error };
}
