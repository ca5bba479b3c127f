// IPv4 header: DSCP/ECN, protocol, fragmentation. Options are skipped by IHL.

import type { IpHeader } from './types.js';

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
  const header: IpHeader = {
    version: 4,
    src: ipv4ToString(b, off + SRC),
    dst: ipv4ToString(b, off + DST),
    dscp: tos >> 2,
    ecn: tos & 3,
    ttl: b[off + TTL],
    proto: b[off + PROTOCOL],
    id: (b[off + IDENTIFICATION] << 8) | b[off + IDENTIFICATION + 1],
    fragment: mf || fragOffset > 0 ? { offset: fragOffset, moreFragments: mf } : null,
  };
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
