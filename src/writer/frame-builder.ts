// Frame builders: whole Ethernet frames (Ethernet II + 802.1Q, IPv4/IPv6,
// UDP/TCP) and the MDS heartbeat and RTP payloads, plus SIP/SDP message text.
//
// Layout lives once, in the dissectors (/work/shared/STYLE.md, "Layout
// once"): each dissector file holds its header's field offsets and an emitter
// beside its decoder, and a property test checks decode(emit(x)) = x. This
// file only turns friendly specs (text addresses, optional fields) into the
// emitters' raw fields and chains them: a frame is sized once and written
// into one buffer, each emitter returning the offset where the next begins.

import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, emitEthernet, ethernetHeaderLength, type VlanTag } from '../../dissectors/link.js';
import { emitIpv4, ipv4HeaderLength, type Ipv4Fields } from '../../dissectors/ipv4.js';
import { emitIpv6, IPV6_HEADER_LEN, parseIpv6 as parseIpv6Text } from '../../dissectors/ipv6.js';
import { emitUdp, IPPROTO_UDP, UDP_HEADER_LEN } from '../../dissectors/udp.js';
import { emitTcp, IPPROTO_TCP, tcpHeaderLength as tcpHeaderLengthOf, type TcpSegment } from '../../dissectors/tcp.js';
import { emitRtp, RTP_HEADER_LEN, type RtpHeaderFields } from '../../dissectors/rtp.js';
import { emitHeartbeat, HEARTBEAT_PAYLOAD_LEN } from '../../dissectors/mds-heartbeat.js';
import type { PseudoHeader } from '../../dissectors/wire.js';
export { IPPROTO_TCP, IPPROTO_UDP };
export type { VlanTag };

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
// Layer specs

export interface EthernetSpec {
  src: MacAddress;
  dst: MacAddress;
  /** Outermost first. */
  vlans?: VlanTag[];
}

/** An IPv4 header to write: emitIpv4's fields, with addresses as text or bytes; the builder sets the protocol. */
export interface Ipv4Spec extends Omit<Ipv4Fields, 'src' | 'dst' | 'proto'> {
  version?: 4;
  src: IpAddress;
  dst: IpAddress;
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

/** A TCP segment to write: what emitTcp writes. */
export type TcpSpec = TcpSegment;

function isV6(ip: IpSpec): ip is Ipv6Spec {
  return ip.version === 6;
}

// ---------------------------------------------------------------------------
// Chaining the dissectors' emitters

function ethLength(eth: EthernetSpec): number {
  return ethernetHeaderLength(eth.vlans?.length ?? 0);
}

function ipHeaderLength(ip: IpSpec): number {
  return isV6(ip) ? IPV6_HEADER_LEN : ipv4HeaderLength(ip.options?.length ?? 0);
}

function tcpHeaderLength(tcp: TcpSpec): number {
  return tcpHeaderLengthOf(tcp.options?.length ?? 0);
}

/** Ethernet header (with any tags) for an IP packet of ip's version. */
function writeEthernet(buf: Uint8Array, eth: EthernetSpec, ip: IpSpec): number {
  return emitEthernet(buf, 0, { dst: parseMac(eth.dst), src: parseMac(eth.src), vlans: eth.vlans, etherType: isV6(ip) ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4 });
}

/** The IP header of either version for payloadLen bytes of protocol proto. */
function writeIp(buf: Uint8Array, off: number, ip: IpSpec, proto: number, payloadLen: number): number {
  if (isV6(ip)) {
    return emitIpv6(buf, off, { src: ipBytes(ip.src, 6), dst: ipBytes(ip.dst, 6), nextHeader: proto, dscp: ip.dscp, ecn: ip.ecn, flowLabel: ip.flowLabel, hopLimit: ip.hopLimit }, payloadLen);
  }
  return emitIpv4(buf, off, { ...ip, src: ipBytes(ip.src, 4), dst: ipBytes(ip.dst, 4), proto }, payloadLen);
}

function pseudoOf(ip: IpSpec): PseudoHeader {
  const v = isV6(ip) ? 6 : 4;
  return { src: ipBytes(ip.src, v), dst: ipBytes(ip.dst, v) };
}

function writeUdp(buf: Uint8Array, off: number, ip: IpSpec, udp: UdpSpec): number {
  return emitUdp(buf, off, udp.sport, udp.dport, udp.payload, udp.checksum !== false || isV6(ip) ? pseudoOf(ip) : null);
}

// ---------------------------------------------------------------------------
// Whole frames

/** Ethernet + IP around already-built upper-layer bytes (a transport segment, or one fragment of one). */
export function buildIpFrame(eth: EthernetSpec, ip: IpSpec, proto: number, l4: Uint8Array): Uint8Array {
  const buf = new Uint8Array(ethLength(eth) + ipHeaderLength(ip) + l4.length);
  buf.set(l4, writeIp(buf, writeEthernet(buf, eth, ip), ip, proto, l4.length));
  return buf;
}

export function buildUdpFrame(eth: EthernetSpec, ip: IpSpec, udp: UdpSpec): Uint8Array {
  const buf = new Uint8Array(udpFrameLength(eth, ip, udp));
  writeUdpFrame(buf, eth, ip, udp);
  return buf;
}

export function udpFrameLength(eth: EthernetSpec, ip: IpSpec, udp: UdpSpec): number {
  return ethLength(eth) + ipHeaderLength(ip) + UDP_HEADER_LEN + udp.payload.length;
}

/** buildUdpFrame into `buf` (at least udpFrameLength bytes, reused by a caller that frames many datagrams). */
export function writeUdpFrame(buf: Uint8Array, eth: EthernetSpec, ip: IpSpec, udp: UdpSpec): void {
  const l4 = UDP_HEADER_LEN + udp.payload.length;
  writeUdp(buf, writeIp(buf, writeEthernet(buf, eth, ip), ip, IPPROTO_UDP, l4), ip, udp);
}

export function buildTcpFrame(eth: EthernetSpec, ip: IpSpec, tcp: TcpSpec): Uint8Array {
  const l4 = tcpHeaderLength(tcp) + (tcp.payload?.length ?? 0);
  const buf = new Uint8Array(ethLength(eth) + ipHeaderLength(ip) + l4);
  emitTcp(buf, writeIp(buf, writeEthernet(buf, eth, ip), ip, IPPROTO_TCP, l4), tcp, pseudoOf(ip));
  return buf;
}

/** A UDP datagram (header + payload) on its own, checksummed for ip; feed it to fragmentIpv4 or buildIpFrame. */
export function udpSegment(ip: IpSpec, udp: UdpSpec): Uint8Array {
  const buf = new Uint8Array(UDP_HEADER_LEN + udp.payload.length);
  writeUdp(buf, 0, ip, udp);
  return buf;
}

export function tcpSegment(ip: IpSpec, tcp: TcpSpec): Uint8Array {
  const buf = new Uint8Array(tcpHeaderLength(tcp) + (tcp.payload?.length ?? 0));
  emitTcp(buf, 0, tcp, pseudoOf(ip));
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
  emitHeartbeat(out, 0, seq, order);
  return out;
}

/** A 12-byte RTP v2 header (no padding, extension or CSRCs) followed by the media bytes. */
export function rtpPayload(h: RtpHeaderFields, media: Uint8Array): Uint8Array {
  const out = new Uint8Array(RTP_HEADER_LEN + media.length);
  out.set(media, emitRtp(out, 0, h));
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
