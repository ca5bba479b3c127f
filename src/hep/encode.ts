// HEPv3 encoder: turns a message with text addresses into the byte fields
// dissectors/hep.ts emits (the same chunk ids and offsets its decoder reads,
// so decodeHep(encodeHep(m)) gives m back, a test), and says in one error
// what cannot be a packet.

import { emitHep3, hep3Length, HEP3_MAX_LEN, type Hep3Fields, type HepChunk } from '../../dissectors/hep.js';
import { ipBytes, type IpAddress } from '../writer/frame-builder.js';

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

const utf8 = new TextEncoder();

interface Prepared {
  fields: Hep3Fields;
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
  const fields: Hep3Fields = {
    ipFamily: m.ipFamily, ipProto: m.ipProto, src, dst, sport: m.sport, dport: m.dport, tsSec: m.tsSec, tsUsec: m.tsUsec,
    protoType: m.protoType, captureId: m.captureId,
    authKey: m.authKey ? utf8.encode(m.authKey) : null,
    correlationId: m.correlationId ? utf8.encode(m.correlationId) : null,
    ipTos: m.ipTos ?? null,
    vendorChunks: m.vendorChunks ?? [],
    payload: m.payload,
  };
  const length = hep3Length(fields);
  if (length > HEP3_MAX_LEN) throw new HepEncodeError(`hep: a ${m.payload.length}-byte payload makes a ${length}-byte packet, more than HEPv3's ${HEP3_MAX_LEN}`);
  return { fields, length };
}

/** Bytes encodeHep(m) will take. */
export function hepLength(m: HepMessage): number {
  return prepare(m).length;
}

/** Writes the packet into buf at off; returns the offset after it. Throws HepEncodeError when it cannot be encoded. */
export function emitHep(buf: Uint8Array, off: number, m: HepMessage): number {
  const pre = prepare(m);
  if (buf.length - off < pre.length) throw new RangeError(`hep: ${pre.length} bytes needed, ${buf.length - off} available`);
  return emitHep3(buf, off, pre.fields, pre.length);
}

/** One HEPv3 packet in a buffer of its own. */
export function encodeHep(m: HepMessage): Uint8Array {
  const pre = prepare(m);
  const buf = new Uint8Array(pre.length);
  emitHep3(buf, 0, pre.fields, pre.length);
  return buf;
}
