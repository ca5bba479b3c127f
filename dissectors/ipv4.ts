// IPv4 header: DSCP/ECN, protocol, fragmentation. Options are skipped by IHL.

import type { IpFragmentInfo, IpHeader } from './types.js';
import { LazyAddressIpHeader, i32 } from './ip-header.js';

export const IPV4_MIN_HEADER_LEN = 20;
const TOS = 1;
const TOTAL_LENGTH = 2;
const IDENTIFICATION = 4;
const FLAGS_FRAGMENT = 6;
const TTL = 8;
const PROTOCOL = 9;
const SRC = 12;
const DST = 16;
const FLAG_MF = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

export interface IpDecode {
  header: IpHeader | null;
  /** Where the upper-layer payload starts. */
  offset: number;
  /** Where it ends: total length, or the captured end when the packet was cut short. */
  end: number;
  error: string | null;
}

/** Dotted-quad text of 4 bytes at `o`. */
export function ipv4ToString(b: Uint8Array, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/**
 * Address -> text, shared by all headers: a direct-mapped table, so each of a
 * capture's few addresses is formatted once and the table never grows.
 */
const TEXT_SLOTS = 4096;
const textAddr = new Int32Array(TEXT_SLOTS);
const textOf: Array<string | undefined> = new Array<string | undefined>(TEXT_SLOTS).fill(undefined);

/** A dotted quad as the header's 32 bits, or null when the text is not one. */
export function ipv4Number(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let a = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    a = (a << 8) | Number(p);
  }
  return a;
}

/** Dotted-quad text of an address held as a 32-bit integer (either sign). */
export function ipv4Text(addr: number): string {
  const a = addr | 0;
  const h = Math.imul(a ^ (a >>> 16), 0x45d9f3b);
  const i = (h ^ (h >>> 16)) & (TEXT_SLOTS - 1);
  let s = textOf[i];
  if (s === undefined || textAddr[i] !== a) {
    s = `${(a >>> 24) & 255}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
    textAddr[i] = a;
    textOf[i] = s;
  }
  return s;
}

/** An IPv4 header with its addresses as 32-bit integers (network order, signed). */
export class Ipv4Header extends LazyAddressIpHeader {
  declare readonly version: 4;
  declare srcAddr: number;
  declare dstAddr: number;

  constructor(srcAddr: number, dstAddr: number, dscp: number, ecn: number, ttl: number, proto: number, id: number, fragment: IpFragmentInfo | null) {
    super(4, dscp, ecn, ttl, proto, id, fragment);
    this.srcAddr = srcAddr;
    this.dstAddr = dstAddr;
  }

  protected srcToText(): string {
    return ipv4Text(this.srcAddr);
  }

  protected dstToText(): string {
    return ipv4Text(this.dstAddr);
  }
}

/**
 * `captureCut` says the frame was snaplen-truncated: a total length past the
 * captured bytes is then expected, not an error.
 */
export function decodeIpv4(b: Uint8Array, off: number, end: number, captureCut: boolean): IpDecode {
  const avail = end - off;
  if (avail < IPV4_MIN_HEADER_LEN) {
    return { header: null, offset: off, end, error: `ipv4: ${avail} bytes, header needs ${IPV4_MIN_HEADER_LEN}` };
  }
  const version = b[off] >> 4;
  if (version !== 4) return { header: null, offset: off, end, error: `ipv4: version field is ${version}` };
  const ihl = (b[off] & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER_LEN) return { header: null, offset: off, end, error: `ipv4: header length ${ihl} < 20` };
  if (ihl > avail) return { header: null, offset: off, end, error: `ipv4: header length ${ihl} exceeds ${avail} captured bytes` };
  const tos = b[off + TOS];
  const totalLength = (b[off + TOTAL_LENGTH] << 8) | b[off + TOTAL_LENGTH + 1];
  const ff = (b[off + FLAGS_FRAGMENT] << 8) | b[off + FLAGS_FRAGMENT + 1];
  const fragOffset = (ff & FRAGMENT_OFFSET_MASK) * 8;
  const mf = (ff & FLAG_MF) !== 0;
  const header = new Ipv4Header(
    i32(b, off + SRC),
    i32(b, off + DST),
    tos >> 2,
    tos & 3,
    b[off + TTL],
    b[off + PROTOCOL],
    (b[off + IDENTIFICATION] << 8) | b[off + IDENTIFICATION + 1],
    mf || fragOffset > 0 ? { offset: fragOffset, moreFragments: mf } : null,
  );
  let error: string | null = null;
  let payloadEnd = off + totalLength;
  if (totalLength < ihl) {
    // TSO-offloaded packets captured on the sender show total length 0: use what was captured.
    if (totalLength !== 0) error = `ipv4: total length ${totalLength} < header length ${ihl}`;
    payloadEnd = end;
  } else if (payloadEnd > end) {
    if (!captureCut) error = `ipv4: total length ${totalLength} exceeds ${avail} captured bytes`;
    payloadEnd = end;
  }
  return { header, offset: off + ihl, end: payloadEnd, error };
}
