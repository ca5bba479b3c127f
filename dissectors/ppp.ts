// PPP framing as it reaches IP: PPPoE sessions on Ethernet, and PPP inside
// GRE (PPTP-style enhanced GRE carries PPP frames).

import type { LinkResult } from './types.js';

const PPPOE_HEADER_LEN = 6;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

/** Map a PPP protocol field to the EtherType of what it carries (-1 when not IP). */
function pppProtocolToEtherType(proto: number): number {
  return proto === PPP_IPV4 ? 0x0800 : proto === PPP_IPV6 ? 0x86dd : -1;
}

/** PPPoE session header followed by the 2-byte PPP protocol field. */
export function decodePppoeSession(b: Uint8Array, off: number, end: number): LinkResult {
  if (end - off < PPPOE_HEADER_LEN + 2) return { etherType: -1, offset: off, vlans: null, error: 'pppoe: header truncated' };
  const p = off + PPPOE_HEADER_LEN;
  const proto = (b[p] << 8) | b[p + 1];
  return { etherType: pppProtocolToEtherType(proto), offset: p + 2, vlans: null, error: null };
}

/** A PPP frame as carried in GRE: optional HDLC address/control (ff 03), then a 1- or 2-byte protocol. */
export function decodePpp(b: Uint8Array, off: number, end: number): LinkResult {
  let p = off;
  if (end - p >= 2 && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
  if (end - p < 1) return { etherType: -1, offset: p, vlans: null, error: 'ppp: truncated' };
  // Protocol-field compression: an odd first byte is a 1-byte protocol.
  let proto: number;
  if (b[p] & 1) {
    proto = b[p];
    p += 1;
  } else {
    if (end - p < 2) return { etherType: -1, offset: p, vlans: null, error: 'ppp: truncated' };
    proto = (b[p] << 8) | b[p + 1];
    p += 2;
  }
  return { etherType: pppProtocolToEtherType(proto), offset: p, vlans: null, error: null };
}
