// GRE (RFC 2784/2890) and enhanced GRE v1 (PPTP, RFC 2637): sites carry
// multicast paging and PPP over it, so the inner packet is what matters.

export const GRE_PROTO_PPP = 0x880b;
export const GRE_PROTO_TEB = 0x6558;
const GRE_MIN_LEN = 4;
const FLAG_CHECKSUM = 0x8000;
const FLAG_ROUTING = 0x4000;
const FLAG_KEY = 0x2000;
const FLAG_SEQ = 0x1000;
const FLAG_ACK = 0x0080; // v1 only

export interface GreResult {
  /** Protocol type (an EtherType, or GRE_PROTO_PPP). */
  protocol: number;
  offset: number;
  error: string | null;
}

export function decodeGre(b: Uint8Array, off: number, end: number): GreResult {
  if (end - off < GRE_MIN_LEN) return { protocol: -1, offset: off, error: 'gre: header truncated' };
  const flags = (b[off] << 8) | b[off + 1];
  const version = flags & 7;
  const protocol = (b[off + 2] << 8) | b[off + 3];
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
