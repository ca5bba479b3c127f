// The one way every analyzer names a flow: "src:sport>dst:dport" for a
// direction, with IPv6 addresses in brackets; and an order-free form for both.
//
// Keys are looked up in Maps for nearly every packet, so the strings are
// memoized: the same endpoint or flow gets the same string object back, whose
// hash V8 has already computed. The memo tables are bounded (fixed size, or
// cleared when full), so endless distinct flows cost no more memory.

import type { PacketRecord, SdpMedia, SdpRecord } from '../../dissectors/types.js';
import { ipv6ToString, parseIpv6 } from '../../dissectors/ipv6.js';

const MEMO_MAX = 16384;

/**
 * Endpoint memo: a direct-mapped table indexed by a hash of (address, port).
 * A collision only costs a rebuilt string; the table never grows.
 */
const ENDPOINT_SLOTS = 4096;
const slotAddr: Array<string | null> = new Array<string | null>(ENDPOINT_SLOTS).fill(null);
const slotPort = new Int32Array(ENDPOINT_SLOTS);
const slotText: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');

/** source endpoint -> destination endpoint -> flow key */
const flows = new Map<string, Map<string, string>>();
let flowCount = 0;

export function endpoint(addr: string, port: number): string {
  // Hash the port, the length and the last few characters (where addresses differ most).
  const n = addr.length;
  let h = Math.imul(port | 0, 0x9e3779b1) ^ n;
  for (let k = n > 8 ? n - 8 : 0; k < n; k++) h = Math.imul(h ^ addr.charCodeAt(k), 0x01000193);
  const i = (h ^ (h >>> 15)) & (ENDPOINT_SLOTS - 1);
  if (slotAddr[i] === addr && slotPort[i] === port) return slotText[i];
  const s = addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
  slotAddr[i] = addr;
  slotPort[i] = port;
  slotText[i] = s;
  return s;
}

/** Directional key of a record with an IP header. */
export function flowKey(rec: PacketRecord): string {
  const ip = rec.ip!;
  return flowKeyOf(ip.src, rec.sport, ip.dst, rec.dport);
}

/** Directional key from the addresses' text and the ports. */
export function flowKeyOf(src: string, sport: number, dst: string, dport: number): string {
  const a = endpoint(src, sport);
  const b = endpoint(dst, dport);
  let byDst = flows.get(a);
  if (byDst === undefined) {
    if (flowCount >= MEMO_MAX) {
      flows.clear();
      flowCount = 0;
    }
    byDst = new Map();
    flows.set(a, byDst);
  }
  let k = byDst.get(b);
  if (k === undefined) {
    k = `${a}>${b}`;
    if (flowCount >= MEMO_MAX) {
      flows.clear();
      flows.set(a, byDst);
      byDst.clear();
      flowCount = 0;
    }
    byDst.set(b, k);
    flowCount++;
  }
  return k;
}

/**
 * An address as packets spell it, for keys: SDP may write an IPv6 address in
 * any case or form ("2001:DB8:0::1"), a packet's text is RFC 5952's
 * ("2001:db8::1"). IPv4 and what is not an address stay as they are.
 */
function packetAddress(text: string): string {
  if (!text.includes(':')) return text;
  const b = parseIpv6(text);
  return b === null ? text : ipv6ToString(b, 0);
}

/** Where SDP says a media stream is received (its m= line's c=, else the session's), as packets spell it. */
export function mediaAddress(sdp: SdpRecord, media: SdpMedia): string | null {
  const written = media.address ?? sdp.address;
  return written === null ? null : packetAddress(written);
}

/** Same key for both directions: the lower endpoint first. */
export function pairKeyOf(a: string, b: string): string {
  return a < b ? `${a}<>${b}` : `${b}<>${a}`;
}

/** One direction of a flow by name: its key and its two endpoints. */
export interface FlowId {
  key: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}
