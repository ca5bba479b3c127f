// PPP framing as it reaches IP: PPPoE sessions on Ethernet, and PPP inside
// GRE (PPTP-style enhanced GRE carries PPP frames). The emitters write the
// same layouts.

import type { LinkResult } from './types.js';
import { readU16, writeU16 } from './wire.js';

export const PPPOE_HEADER_LEN = 6;
/** Version and type (0x11), code (0 in a session), session id, length of the PPP frame after this header. */
export const PPPOE_FIELD = { VER_TYPE: 0, CODE: 1, SESSION_ID: 2, LENGTH: 4 } as const;
const PPPOE_VER_TYPE = 0x11;
export const PPP_IPV4 = 0x0021;
export const PPP_IPV6 = 0x0057;
/** HDLC-like framing in front of the protocol field (RFC 1662): all-stations address, unnumbered information. */
const HDLC_ADDRESS = 0xff;
const HDLC_CONTROL = 0x03;

/** Map a PPP protocol field to the EtherType of what it carries (-1 when not IP). */
function pppProtocolToEtherType(proto: number): number {
  return proto === PPP_IPV4 ? 0x0800 : proto === PPP_IPV6 ? 0x86dd : -1;
}

/** PPPoE session header followed by the 2-byte PPP protocol field. */
export function decodePppoeSession(b: Uint8Array, off: number, end: number): LinkResult {
  if (end - off < PPPOE_HEADER_LEN + 2) return { etherType: -1, offset: off, vlans: null, error: 'pppoe: header truncated' };
  const p = off + PPPOE_HEADER_LEN;
  const proto = readU16(b, p);
  return { etherType: pppProtocolToEtherType(proto), offset: p + 2, vlans: null, error: null };
}

/** A PPP frame as carried in GRE: optional HDLC address/control (ff 03), then a 1- or 2-byte protocol. */
export function decodePpp(b: Uint8Array, off: number, end: number): LinkResult {
  let p = off;
  if (end - p >= 2 && b[p] === HDLC_ADDRESS && b[p + 1] === HDLC_CONTROL) p += 2;
  if (end - p < 1) return { etherType: -1, offset: p, vlans: null, error: 'ppp: truncated' };
  // Protocol-field compression: an odd first byte is a 1-byte protocol.
  let proto: number;
  if (b[p] & 1) {
    proto = b[p];
    p += 1;
  } else {
    if (end - p < 2) return { etherType: -1, offset: p, vlans: null, error: 'ppp: truncated' };
    proto = readU16(b, p);
    p += 2;
  }
  return { etherType: pppProtocolToEtherType(proto), offset: p, vlans: null, error: null };
}

/** Writes a PPPoE session header and the PPP protocol field for payloadLen bytes after them; returns where the payload goes. */
export function emitPppoeSession(buf: Uint8Array, off: number, sessionId: number, protocol: number, payloadLen: number): number {
  buf[off + PPPOE_FIELD.VER_TYPE] = PPPOE_VER_TYPE;
  buf[off + PPPOE_FIELD.CODE] = 0;
  writeU16(buf, off + PPPOE_FIELD.SESSION_ID, sessionId);
  writeU16(buf, off + PPPOE_FIELD.LENGTH, 2 + payloadLen);
  writeU16(buf, off + PPPOE_HEADER_LEN, protocol);
  return off + PPPOE_HEADER_LEN + 2;
}

/** Writes a PPP frame's header as GRE carries it: HDLC address/control unless left out, then the protocol (1 byte when compressed and odd). */
export function emitPpp(buf: Uint8Array, off: number, protocol: number, opts: { hdlc?: boolean; compress?: boolean } = {}): number {
  let p = off;
  if (opts.hdlc !== false) {
    buf[p++] = HDLC_ADDRESS;
    buf[p++] = HDLC_CONTROL;
  }
  if (opts.compress && protocol < 0x100 && protocol & 1) buf[p++] = protocol;
  else {
    writeU16(buf, p, protocol);
    p += 2;
  }
  return p;
}
