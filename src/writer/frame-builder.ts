// Frame builders: Ethernet II (+802.1Q), IPv4, IPv6, UDP, TCP, RTP, the MDS
// heartbeat payload, and SIP/SDP message text.
//
// Layout follows /work/shared/STYLE.md: every header's byte offsets are named
// constants (the *_FIELD objects) and the emitters write at those offsets, so
// the dissectors can import the same constants and parse(emit(x)) = x can be
// a test. Emitters write into a caller's buffer at an offset and return the
// offset after what they wrote; the build* helpers size one buffer and call
// them, so a frame costs one allocation.

// ---------------------------------------------------------------------------
// Constants

// Shared with the dissectors: one definition of each number.
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETH_HEADER_LEN } from '../../dissectors/link.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../dissectors/frame.js';
import { RTP_HEADER_LEN } from '../../dissectors/rtp.js';
import { HEARTBEAT_PAYLOAD_LEN } from '../../dissectors/mds-heartbeat.js';
import { parseIpv6 as parseIpv6Text } from '../../dissectors/ipv6.js';
export { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, ETHERTYPE_QINQ, ETH_HEADER_LEN, IPPROTO_TCP, IPPROTO_UDP, RTP_HEADER_LEN, HEARTBEAT_PAYLOAD_LEN };

export const ETH_FIELD = { DST: 0, SRC: 6, ETHERTYPE: 12 } as const;
/** One 802.1Q tag: TPID then TCI; the next ethertype (or tag) follows it. */
export const VLAN_TAG_LEN = 4;
export const VLAN_FIELD = { TPID: 0, TCI: 2 } as const;

export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_OPTIONS_LEN = 40;
export const IPV4_FIELD = {
  VER_IHL: 0,
  TOS: 1,
  TOTAL_LENGTH: 2,
  IDENT: 4,
  FLAGS_FRAG: 6,
  TTL: 8,
  PROTOCOL: 9,
  CHECKSUM: 10,
  SRC: 12,
  DST: 16,
  OPTIONS: 20,
} as const;
export const IPV4_FLAG_DF = 0x4000;
export const IPV4_FLAG_MF = 0x2000;
/** Fragment offset field, in units of 8 bytes. */
export const IPV4_FRAG_OFFSET_MASK = 0x1fff;

export const IPV6_HEADER_LEN = 40;
export const IPV6_FIELD = {
  VER_TC_FLOW: 0,
  PAYLOAD_LENGTH: 4,
  NEXT_HEADER: 6,
  HOP_LIMIT: 7,
  SRC: 8,
  DST: 24,
} as const;

export const UDP_HEADER_LEN = 8;
export const UDP_FIELD = { SRC_PORT: 0, DST_PORT: 2, LENGTH: 4, CHECKSUM: 6 } as const;

export const TCP_HEADER_LEN = 20;
export const TCP_MAX_OPTIONS_LEN = 40;
export const TCP_FIELD = {
  SRC_PORT: 0,
  DST_PORT: 2,
  SEQ: 4,
  ACK: 8,
  DATA_OFFSET: 12,
  FLAGS: 13,
  WINDOW: 14,
  CHECKSUM: 16,
  URGENT: 18,
  OPTIONS: 20,
} as const;

export const RTP_VERSION = 2;
export const RTP_FIELD = { VPXCC: 0, M_PT: 1, SEQ: 2, TIMESTAMP: 4, SSRC: 8 } as const;

/** The MDS heartbeat payload is one DWORD (HEARTBEAT_PAYLOAD_LEN bytes): the sender's sequence number. */
export const HEARTBEAT_FIELD = { SEQ: 0 } as const;

// ---------------------------------------------------------------------------
// Addresses

/** "aa:bb:cc:dd:ee:ff" (':' or '-') or 6 bytes. */
export type MacAddress = string | Uint8Array;
/** Dotted IPv4, RFC 4291 text IPv6, or the raw 4/16 bytes. */
export type IpAddress = string | Uint8Array;

const macCache = new Map<string, Uint8Array>();
const ipCache = new Map<string, Uint8Array>();

export function parseMac(mac: MacAddress): Uint8Array {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw new RangeError(`MAC address must be 6 bytes, got ${mac.length}`);
    return mac;
  }
  const hit = macCache.get(mac);
  if (hit) return hit;
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TypeError(`bad MAC address: ${mac}`);
  }
  const out = Uint8Array.from(parts, (p) => parseInt(p, 16));
  macCache.set(mac, out);
  return out;
}

export function parseIpv4(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TypeError(`bad IPv4 address: ${text}`);
  }
  return Uint8Array.from(parts, Number);
}

export function parseIpv6(text: string): Uint8Array {
  const b = parseIpv6Text(text);
  if (b === null) throw new TypeError(`bad IPv6 address: ${text}`);
  return b;
}

/** Address bytes for the given IP version; string parses are cached because generators reuse a handful of hosts millions of times. */
export function ipBytes(addr: IpAddress, version: 4 | 6): Uint8Array {
  const want = version === 4 ? 4 : 16;
  if (typeof addr !== 'string') {
    if (addr.length !== want) throw new RangeError(`IPv${version} address must be ${want} bytes, got ${addr.length}`);
    return addr;
  }
  const hit = ipCache.get(addr);
  if (hit && hit.length === want) return hit;
  const out = version === 4 ? parseIpv4(addr) : parseIpv6(addr);
  ipCache.set(addr, out);
  return out;
}

// ---------------------------------------------------------------------------
// Checksums (RFC 1071)

/** Adds big-endian 16-bit words of data[start, end) to acc without folding; an odd tail byte is padded with zero. */
export function onesComplementSum(data: Uint8Array, start = 0, end = data.length, acc = 0): number {
  let sum = acc;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function internetChecksum(data: Uint8Array, start = 0, end = data.length): number {
  return finishChecksum(onesComplementSum(data, start, end));
}

/** Sum of the TCP/UDP pseudo-header (RFC 768 / RFC 793 for v4, RFC 8200 §8.1 for v6). */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, proto: number, l4Length: number): number {
  let sum = onesComplementSum(src) + onesComplementSum(dst) + proto;
  if (src.length === 4) sum += l4Length;
  else sum += Math.floor(l4Length / 0x10000) + (l4Length & 0xffff);
  return sum;
}

// ---------------------------------------------------------------------------
// Layer specs

export interface VlanTag {
  /** VLAN id, 0..4095. */
  vid: number;
  /** 802.1p priority code point, 0..7. */
  pcp?: number;
  dei?: boolean;
  /** Tag protocol id; 0x8100 unless an outer 802.1ad tag (0x88a8). */
  tpid?: number;
}

export interface EthernetSpec {
  src: MacAddress;
  dst: MacAddress;
  /** Outermost first. */
  vlans?: VlanTag[];
}

export interface Ipv4Spec {
  version?: 4;
  src: IpAddress;
  dst: IpAddress;
  dscp?: number;
  ecn?: number;
  ttl?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragmentOffset?: number;
  /** Raw option bytes; padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array;
}

export interface Ipv6Spec {
  version: 6;
  src: IpAddress;
  dst: IpAddress;
  dscp?: number;
  ecn?: number;
  flowLabel?: number;
  hopLimit?: number;
}

export type IpSpec = Ipv4Spec | Ipv6Spec;

export interface UdpSpec {
  sport: number;
  dport: number;
  payload: Uint8Array;
  /** Fill the checksum (default). IPv4 allows 0 = "none"; IPv6 does not, so this is ignored there. */
  checksum?: boolean;
}

export interface TcpSpec {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** TCP_* flag bits from dissectors/types.ts; bit 8 is NS. */
  flags: number;
  window: number;
  urgent?: number;
  /** Raw option bytes; padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array;
  payload?: Uint8Array;
}

function isV6(ip: IpSpec): ip is Ipv6Spec {
  return ip.version === 6;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

// ---------------------------------------------------------------------------
// Emitters

export function ethernetHeaderLength(eth: EthernetSpec): number {
  return ETH_HEADER_LEN + VLAN_TAG_LEN * (eth.vlans?.length ?? 0);
}

export function ipHeaderLength(ip: IpSpec): number {
  return isV6(ip) ? IPV6_HEADER_LEN : IPV4_HEADER_LEN + pad4(ip.options?.length ?? 0);
}

/** Writes dst, src, any 802.1Q tags and the ethertype; returns the offset of the next layer. */
export function emitEthernet(buf: Uint8Array, off: number, eth: EthernetSpec, ethertype: number): number {
  buf.set(parseMac(eth.dst), off + ETH_FIELD.DST);
  buf.set(parseMac(eth.src), off + ETH_FIELD.SRC);
  let p = off + ETH_FIELD.ETHERTYPE;
  for (const tag of eth.vlans ?? []) {
    if (tag.vid < 0 || tag.vid > 4095) throw new RangeError(`VLAN id out of range: ${tag.vid}`);
    const tci = ((tag.pcp ?? 0) & 7) << 13 | (tag.dei ? 0x1000 : 0) | tag.vid;
    writeU16(buf, p + VLAN_FIELD.TPID, tag.tpid ?? ETHERTYPE_VLAN);
    writeU16(buf, p + VLAN_FIELD.TCI, tci);
    p += VLAN_TAG_LEN;
  }
  writeU16(buf, p, ethertype);
  return p + 2;
}

/** Writes an IPv4 header (with a correct header checksum) for payloadLen bytes of protocol proto. */
export function emitIpv4(buf: Uint8Array, off: number, ip: Ipv4Spec, proto: number, payloadLen: number): number {
  const optLen = ip.options?.length ?? 0;
  if (optLen > IPV4_MAX_OPTIONS_LEN) throw new RangeError(`IPv4 options too long: ${optLen}`);
  const hlen = IPV4_HEADER_LEN + pad4(optLen);
  const total = hlen + payloadLen;
  if (total > 0xffff) throw new RangeError(`IPv4 datagram too long: ${total}`);
  const fragOff = ip.fragmentOffset ?? 0;
  if (fragOff % 8 !== 0 || fragOff / 8 > IPV4_FRAG_OFFSET_MASK) throw new RangeError(`bad fragment offset: ${fragOff}`);
  buf[off + IPV4_FIELD.VER_IHL] = 0x40 | (hlen >> 2);
  buf[off + IPV4_FIELD.TOS] = (((ip.dscp ?? 0) & 0x3f) << 2) | ((ip.ecn ?? 0) & 3);
  writeU16(buf, off + IPV4_FIELD.TOTAL_LENGTH, total);
  writeU16(buf, off + IPV4_FIELD.IDENT, (ip.id ?? 0) & 0xffff);
  writeU16(buf, off + IPV4_FIELD.FLAGS_FRAG, (ip.df ? IPV4_FLAG_DF : 0) | (ip.mf ? IPV4_FLAG_MF : 0) | (fragOff / 8));
  buf[off + IPV4_FIELD.TTL] = ip.ttl ?? 64;
  buf[off + IPV4_FIELD.PROTOCOL] = proto;
  writeU16(buf, off + IPV4_FIELD.CHECKSUM, 0);
  buf.set(ipBytes(ip.src, 4), off + IPV4_FIELD.SRC);
  buf.set(ipBytes(ip.dst, 4), off + IPV4_FIELD.DST);
  if (ip.options) {
    buf.set(ip.options, off + IPV4_FIELD.OPTIONS);
    buf.fill(0, off + IPV4_FIELD.OPTIONS + optLen, off + hlen);
  }
  writeU16(buf, off + IPV4_FIELD.CHECKSUM, internetChecksum(buf, off, off + hlen));
  return off + hlen;
}

/** Writes an IPv6 header; traffic class = DSCP << 2 | ECN. No extension headers. */
export function emitIpv6(buf: Uint8Array, off: number, ip: Ipv6Spec, nextHeader: number, payloadLen: number): number {
  if (payloadLen > 0xffff) throw new RangeError(`IPv6 payload too long for a non-jumbo packet: ${payloadLen}`);
  const tc = (((ip.dscp ?? 0) & 0x3f) << 2) | ((ip.ecn ?? 0) & 3);
  const flow = (ip.flowLabel ?? 0) & 0xfffff;
  writeU32(buf, off + IPV6_FIELD.VER_TC_FLOW, ((6 << 28) | (tc << 20) | flow) >>> 0);
  writeU16(buf, off + IPV6_FIELD.PAYLOAD_LENGTH, payloadLen);
  buf[off + IPV6_FIELD.NEXT_HEADER] = nextHeader;
  buf[off + IPV6_FIELD.HOP_LIMIT] = ip.hopLimit ?? 64;
  buf.set(ipBytes(ip.src, 6), off + IPV6_FIELD.SRC);
  buf.set(ipBytes(ip.dst, 6), off + IPV6_FIELD.DST);
  return off + IPV6_HEADER_LEN;
}

/** Writes the IP header for either version. */
export function emitIp(buf: Uint8Array, off: number, ip: IpSpec, proto: number, payloadLen: number): number {
  return isV6(ip) ? emitIpv6(buf, off, ip, proto, payloadLen) : emitIpv4(buf, off, ip, proto, payloadLen);
}

function addrPair(ip: IpSpec): [Uint8Array, Uint8Array] {
  const v = isV6(ip) ? 6 : 4;
  return [ipBytes(ip.src, v), ipBytes(ip.dst, v)];
}

/** Writes a UDP header and payload with the checksum over the pseudo-header of ip. */
export function emitUdp(buf: Uint8Array, off: number, ip: IpSpec, udp: UdpSpec): number {
  const len = UDP_HEADER_LEN + udp.payload.length;
  if (len > 0xffff) throw new RangeError(`UDP datagram too long: ${len}`);
  writeU16(buf, off + UDP_FIELD.SRC_PORT, udp.sport);
  writeU16(buf, off + UDP_FIELD.DST_PORT, udp.dport);
  writeU16(buf, off + UDP_FIELD.LENGTH, len);
  writeU16(buf, off + UDP_FIELD.CHECKSUM, 0);
  buf.set(udp.payload, off + UDP_HEADER_LEN);
  if (udp.checksum !== false || isV6(ip)) {
    const [s, d] = addrPair(ip);
    const sum = finishChecksum(onesComplementSum(buf, off, off + len, pseudoHeaderSum(s, d, IPPROTO_UDP, len)));
    // A computed 0 is sent as all ones: 0 on the wire means "no checksum" (RFC 768).
    writeU16(buf, off + UDP_FIELD.CHECKSUM, sum === 0 ? 0xffff : sum);
  }
  return off + len;
}

export function tcpHeaderLength(tcp: TcpSpec): number {
  return TCP_HEADER_LEN + pad4(tcp.options?.length ?? 0);
}

/** Writes a TCP header, options and payload with the checksum over the pseudo-header of ip. */
export function emitTcp(buf: Uint8Array, off: number, ip: IpSpec, tcp: TcpSpec): number {
  const optLen = tcp.options?.length ?? 0;
  if (optLen > TCP_MAX_OPTIONS_LEN) throw new RangeError(`TCP options too long: ${optLen}`);
  const hlen = tcpHeaderLength(tcp);
  const payload = tcp.payload ?? EMPTY;
  const len = hlen + payload.length;
  writeU16(buf, off + TCP_FIELD.SRC_PORT, tcp.sport);
  writeU16(buf, off + TCP_FIELD.DST_PORT, tcp.dport);
  writeU32(buf, off + TCP_FIELD.SEQ, tcp.seq >>> 0);
  writeU32(buf, off + TCP_FIELD.ACK, tcp.ack >>> 0);
  buf[off + TCP_FIELD.DATA_OFFSET] = ((hlen >> 2) << 4) | ((tcp.flags >> 8) & 1);
  buf[off + TCP_FIELD.FLAGS] = tcp.flags & 0xff;
  writeU16(buf, off + TCP_FIELD.WINDOW, tcp.window);
  writeU16(buf, off + TCP_FIELD.CHECKSUM, 0);
  writeU16(buf, off + TCP_FIELD.URGENT, tcp.urgent ?? 0);
  if (tcp.options) {
    buf.set(tcp.options, off + TCP_FIELD.OPTIONS);
    buf.fill(0, off + TCP_FIELD.OPTIONS + optLen, off + hlen);
  }
  buf.set(payload, off + hlen);
  const [s, d] = addrPair(ip);
  writeU16(buf, off + TCP_FIELD.CHECKSUM, finishChecksum(onesComplementSum(buf, off, off + len, pseudoHeaderSum(s, d, IPPROTO_TCP, len))));
  return off + len;
}

const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------
// Whole frames

function ethertypeOf(ip: IpSpec): number {
  return isV6(ip) ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
}

/** Ethernet + IP around already-built upper-layer bytes (a transport segment, or one fragment of one). */
export function buildIpFrame(eth: EthernetSpec, ip: IpSpec, proto: number, l4: Uint8Array): Uint8Array {
  const buf = new Uint8Array(ethernetHeaderLength(eth) + ipHeaderLength(ip) + l4.length);
  const p = emitIp(buf, emitEthernet(buf, 0, eth, ethertypeOf(ip)), ip, proto, l4.length);
  buf.set(l4, p);
  return buf;
}

export function buildUdpFrame(eth: EthernetSpec, ip: IpSpec, udp: UdpSpec): Uint8Array {
  const buf = new Uint8Array(udpFrameLength(eth, ip, udp));
  writeUdpFrame(buf, eth, ip, udp);
  return buf;
}

export function udpFrameLength(eth: EthernetSpec, ip: IpSpec, udp: UdpSpec): number {
  return ethernetHeaderLength(eth) + ipHeaderLength(ip) + UDP_HEADER_LEN + udp.payload.length;
}

/** buildUdpFrame into `buf` (at least udpFrameLength bytes, reused by a caller that frames many datagrams). */
export function writeUdpFrame(buf: Uint8Array, eth: EthernetSpec, ip: IpSpec, udp: UdpSpec): void {
  const l4 = UDP_HEADER_LEN + udp.payload.length;
  emitUdp(buf, emitIp(buf, emitEthernet(buf, 0, eth, ethertypeOf(ip)), ip, IPPROTO_UDP, l4), ip, udp);
}

export function buildTcpFrame(eth: EthernetSpec, ip: IpSpec, tcp: TcpSpec): Uint8Array {
  const l4 = tcpHeaderLength(tcp) + (tcp.payload?.length ?? 0);
  const buf = new Uint8Array(ethernetHeaderLength(eth) + ipHeaderLength(ip) + l4);
  emitTcp(buf, emitIp(buf, emitEthernet(buf, 0, eth, ethertypeOf(ip)), ip, IPPROTO_TCP, l4), ip, tcp);
  return buf;
}

/** A UDP datagram (header + payload) on its own, checksummed for ip; feed it to fragmentIpv4 or buildIpFrame. */
export function udpSegment(ip: IpSpec, udp: UdpSpec): Uint8Array {
  const buf = new Uint8Array(UDP_HEADER_LEN + udp.payload.length);
  emitUdp(buf, 0, ip, udp);
  return buf;
}

export function tcpSegment(ip: IpSpec, tcp: TcpSpec): Uint8Array {
  const buf = new Uint8Array(tcpHeaderLength(tcp) + (tcp.payload?.length ?? 0));
  emitTcp(buf, 0, ip, tcp);
  return buf;
}

/**
 * Splits upper-layer bytes into IPv4 fragments of at most maxFragmentPayload
 * bytes each (rounded down to a multiple of 8), all sharing ip.id. Returns
 * frames in offset order.
 */
export function fragmentIpv4(eth: EthernetSpec, ip: Ipv4Spec, proto: number, l4: Uint8Array, maxFragmentPayload: number): Uint8Array[] {
  const step = maxFragmentPayload & ~7;
  if (step <= 0) throw new RangeError(`fragment payload too small: ${maxFragmentPayload}`);
  const frames: Uint8Array[] = [];
  for (let o = 0; o < l4.length; o += step) {
    const last = o + step >= l4.length;
    frames.push(buildIpFrame(eth, { ...ip, fragmentOffset: o, mf: !last, df: false }, proto, l4.subarray(o, Math.min(l4.length, o + step))));
  }
  return frames;
}

/** Common TCP SYN options: MSS, NOP, NOP, SACK-permitted (8 bytes). */
export function tcpSynOptions(mss = 1460): Uint8Array {
  return Uint8Array.of(2, 4, mss >> 8, mss & 0xff, 1, 1, 4, 2);
}

// ---------------------------------------------------------------------------
// Application payloads

/** MDS heartbeat: a 4-byte DWORD sequence number, nothing else. seq wraps modulo 2^32. */
export function heartbeatPayload(seq: number, order: 'le' | 'be'): Uint8Array {
  const out = new Uint8Array(HEARTBEAT_PAYLOAD_LEN);
  new DataView(out.buffer).setUint32(HEARTBEAT_FIELD.SEQ, seq >>> 0, order === 'le');
  return out;
}

export interface RtpHeaderSpec {
  payloadType: number;
  /** 16-bit sequence number (wraps). */
  seq: number;
  /** 32-bit media timestamp (wraps). */
  timestamp: number;
  ssrc: number;
  marker?: boolean;
}

/** A 12-byte RTP v2 header (no padding, extension or CSRCs) followed by the media bytes. */
export function rtpPayload(h: RtpHeaderSpec, media: Uint8Array): Uint8Array {
  const out = new Uint8Array(RTP_HEADER_LEN + media.length);
  out[RTP_FIELD.VPXCC] = RTP_VERSION << 6;
  out[RTP_FIELD.M_PT] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  writeU16(out, RTP_FIELD.SEQ, h.seq & 0xffff);
  writeU32(out, RTP_FIELD.TIMESTAMP, h.timestamp >>> 0);
  writeU32(out, RTP_FIELD.SSRC, h.ssrc >>> 0);
  out.set(media, RTP_HEADER_LEN);
  return out;
}

// ---------------------------------------------------------------------------
// SIP / SDP text

export type SipTransport = 'UDP' | 'TCP' | 'TLS';

export interface SipVia {
  transport: SipTransport;
  host: string;
  port?: number;
  /** Must start with the RFC 3261 magic cookie z9hG4bK to be matched as a 3261 transaction. */
  branch: string;
  /** Add ";rport" (RFC 3581). */
  rport?: boolean;
  received?: string;
}

export interface SipNameAddr {
  uri: string;
  display?: string;
  tag?: string;
}

export interface SdpSpec {
  /** Connection address (c=); IPv6 when it contains ':'. */
  address: string;
  port: number;
  /** Offered/answered payload types in preference order. */
  payloadTypes: number[];
  sessionId?: number;
  sessionVersion?: number;
  username?: string;
  /** Packetisation time in ms (a=ptime). */
  ptime?: number;
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  /** a=rtpmap for dynamic payload types beyond RTPMAP's (e.g. 111: 'opus/48000/2'). */
  rtpmap?: Readonly<Record<number, string>>;
}

export interface SipCommonSpec {
  /** Topmost first. */
  via: SipVia[];
  from: SipNameAddr;
  to: SipNameAddr;
  callId: string;
  cseq: { seq: number; method: string };
  /** Contact URI (without angle brackets). */
  contact?: string;
  /** Extra headers in order, e.g. Record-Route, Route, User-Agent, Allow. */
  headers?: Array<[string, string]>;
  /** A body with its Content-Type; ignored when sdp is given. */
  body?: { contentType: string; content: string };
  sdp?: SdpSpec;
}

export interface SipRequestSpec extends SipCommonSpec {
  method: string;
  requestUri: string;
  /** Default 70. */
  maxForwards?: number;
}

export interface SipResponseSpec extends SipCommonSpec {
  status: number;
  /** Default from SIP_REASONS. */
  reason?: string;
}

export const SIP_REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  401: 'Unauthorized',
  404: 'Not Found',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  503: 'Service Unavailable',
  603: 'Decline',
};

/** Static RTP/AVP payload types (RFC 3551) plus the usual dynamic telephone-event. */
export const RTPMAP: Readonly<Record<number, string>> = {
  0: 'PCMU/8000',
  8: 'PCMA/8000',
  9: 'G722/8000',
  18: 'G729/8000',
  101: 'telephone-event/8000',
};

const CRLF = '\r\n';

function hostPort(host: string, port?: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

function viaValue(v: SipVia): string {
  let s = `SIP/2.0/${v.transport} ${hostPort(v.host, v.port)};branch=${v.branch}`;
  if (v.received) s += `;received=${v.received}`;
  if (v.rport) s += ';rport';
  return s;
}

function nameAddr(a: SipNameAddr): string {
  const base = a.display ? `"${a.display}" <${a.uri}>` : `<${a.uri}>`;
  return a.tag ? `${base};tag=${a.tag}` : base;
}

/** SDP (RFC 4566) for one audio stream. */
export function sdpBody(s: SdpSpec): string {
  const fam = s.address.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=${s.username ?? '-'} ${s.sessionId ?? 1} ${s.sessionVersion ?? 1} IN ${fam} ${s.address}`,
    's=-',
    `c=IN ${fam} ${s.address}`,
    't=0 0',
    `m=audio ${s.port} RTP/AVP ${s.payloadTypes.join(' ')}`,
  ];
  for (const pt of s.payloadTypes) {
    const map = s.rtpmap?.[pt] ?? RTPMAP[pt];
    if (map) lines.push(`a=rtpmap:${pt} ${map}`);
    if (pt === 101) lines.push('a=fmtp:101 0-15');
  }
  if (s.ptime) lines.push(`a=ptime:${s.ptime}`);
  lines.push(`a=${s.direction ?? 'sendrecv'}`);
  return lines.join(CRLF) + CRLF;
}

function headerBlock(spec: SipCommonSpec, maxForwards: number | null): string {
  const h: string[] = spec.via.map((v) => `Via: ${viaValue(v)}`);
  if (maxForwards !== null) h.push(`Max-Forwards: ${maxForwards}`);
  h.push(`From: ${nameAddr(spec.from)}`, `To: ${nameAddr(spec.to)}`, `Call-ID: ${spec.callId}`, `CSeq: ${spec.cseq.seq} ${spec.cseq.method}`);
  if (spec.contact) h.push(`Contact: <${spec.contact}>`);
  for (const [name, value] of spec.headers ?? []) h.push(`${name}: ${value}`);
  const body = spec.sdp ? { contentType: 'application/sdp', content: sdpBody(spec.sdp) } : spec.body;
  if (body) h.push(`Content-Type: ${body.contentType}`);
  // Content-Length counts bytes, not characters, and is always sent: over TCP it is the framing.
  h.push(`Content-Length: ${body ? Buffer.byteLength(body.content, 'utf8') : 0}`);
  return h.join(CRLF) + CRLF + CRLF + (body ? body.content : '');
}

export function sipRequest(spec: SipRequestSpec): string {
  return `${spec.method} ${spec.requestUri} SIP/2.0${CRLF}` + headerBlock(spec, spec.maxForwards ?? 70);
}

export function sipResponse(spec: SipResponseSpec): string {
  return `SIP/2.0 ${spec.status} ${spec.reason ?? SIP_REASONS[spec.status] ?? 'Unknown'}${CRLF}` + headerBlock(spec, null);
}

/** UTF-8 bytes of a SIP message, ready for a UDP payload or a TCP stream. */
export function sipBytes(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

// ---------------------------------------------------------------------------

/** Big-endian (network order) writes, shared with the HEP encoder. */
export function writeU16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >> 8) & 0xff;
  buf[off + 1] = v & 0xff;
}

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff;
  buf[off + 1] = (v >>> 16) & 0xff;
  buf[off + 2] = (v >>> 8) & 0xff;
  buf[off + 3] = v & 0xff;
}
