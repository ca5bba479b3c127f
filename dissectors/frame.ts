// Layered decode of one captured frame: link -> IP (through IP-in-IP and GRE
// tunnels) -> UDP/TCP -> application by port or by shape. Pure: everything
// that needs memory across packets (fragments, TCP streams, streams learned
// from SDP or by their shape) is done by the pipeline in src/.

import type { ByteOrder, FrameInfo, IpHeader, PacketRecord } from './types.js';
import {
  AF_INET, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_QINQ, ETHERTYPE_QINQ_OLD, ETHERTYPE_VLAN, ETH_HEADER_LEN, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, NULL_HEADER_LEN, SLL2_HEADER_LEN, SLL_HEADER_LEN, SLL_PROTOCOL, VLAN_TAG_LEN,
  decodeEthernet, isInet6Family, isRawIp, linkDecoder, linkTypeName, nullFamily,
} from './link.js';
import { decodePpp } from './ppp.js';
import { IPV4_MIN_HEADER_LEN, Ipv4Header, decodeIpv4, type IpDecode } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { GRE_PROTO_PPP, GRE_PROTO_TEB, decodeGre } from './gre.js';
import { UDP_HEADER_LEN, decodeUdp } from './udp.js';
import { decodeTcp } from './tcp.js';
import { DEFAULT_HEARTBEAT_PORTS, decodeHeartbeat } from './mds-heartbeat.js';
import { looksLikeSip, parseSipDatagram } from './sip.js';
import { decodeIgmp } from './igmp.js';
import { IPPROTO_ICMPV6, decodeMld } from './mld.js';

export const IPPROTO_IGMP = 2;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
/** Tunnels nest; a bound keeps a crafted packet from looping us. */
const MAX_TUNNEL_DEPTH = 8;

export interface DecodeOptions {
  /** Inclusive UDP port range where a 4-byte payload is an MDS heartbeat. */
  heartbeatPorts: readonly [number, number];
  /** Force the heartbeat byte order instead of guessing it. */
  heartbeatByteOrder?: ByteOrder;
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { heartbeatPorts: DEFAULT_HEARTBEAT_PORTS };

export function emptyRecord(info: FrameInfo): PacketRecord {
  return {
    frame: info.frame, tsSec: info.tsSec, tsNsec: info.tsNsec, caplen: info.caplen, len: info.len,
    linkType: info.linkType, iface: info.iface,
    truncated: info.caplen < info.len,
    vlans: null, ip: null, outerIp: null,
    transport: null, sport: 0, dport: 0, tcp: null, payload: null,
    app: null, hb: null, rtp: null, sip: null, membership: null, error: null, flow: -1,
  };
}

function decodeIp(etherType: number, b: Uint8Array, off: number, end: number, cut: boolean): IpDecode | null {
  // Like Wireshark, trust the version nibble over an IPv4 EtherType that carries IPv6.
  if (etherType === ETHERTYPE_IPV4) return off < end && b[off] >> 4 === 6 ? decodeIpv6(b, off, end, cut) : decodeIpv4(b, off, end, cut);
  if (etherType === ETHERTYPE_IPV6) return decodeIpv6(b, off, end, cut);
  return null;
}

/** Decode a frame's bytes (`b` holds exactly the captured bytes) into a record. */
export function decodeFrame(info: FrameInfo, b: Uint8Array, opts: DecodeOptions = DEFAULT_DECODE_OPTIONS): PacketRecord {
  const rec = emptyRecord(info);
  return plainIpv4Udp(rec, b, opts) ? rec : decodeLayers(rec, b, opts);
}

/** The layered decode alone, without decodeFrame's one-pass common case: what that case must agree with (tests). */
export function decodeFrameLayered(info: FrameInfo, b: Uint8Array, opts: DecodeOptions = DEFAULT_DECODE_OPTIONS): PacketRecord {
  return decodeLayers(emptyRecord(info), b, opts);
}

function decodeLayers(rec: PacketRecord, b: Uint8Array, opts: DecodeOptions): PacketRecord {
  const link = linkDecoder(rec.linkType);
  if (!link) return rec; // not a link type we dissect (netlink, ...): a bare frame, not an error
  const l2 = link(b, 0, b.length);
  rec.vlans = l2.vlans;
  if (l2.error) {
    rec.error = l2.error;
    return rec;
  }
  let etherType = l2.etherType;
  let off = l2.offset;
  let end = b.length;
  for (let depth = 0; depth < MAX_TUNNEL_DEPTH; depth++) {
    const ip = decodeIp(etherType, b, off, end, rec.truncated);
    if (!ip) return rec; // ARP, LLC, ...
    if (!ip.header) {
      rec.error = ip.error;
      return rec;
    }
    if (rec.ip) (rec.outerIp ??= []).push(rec.ip);
    rec.ip = ip.header;
    if (ip.error) rec.error = ip.error;
    off = ip.offset;
    end = ip.end;
    const h = ip.header;
    if (h.fragment && h.fragment.offset > 0) return fragmentOnly(rec, b, off, end);
    if (h.proto === IPPROTO_IPIP || h.proto === IPPROTO_IPV6) {
      if (h.fragment) return fragmentOnly(rec, b, off, end);
      etherType = h.proto === IPPROTO_IPIP ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
      continue;
    }
    if (h.proto === IPPROTO_GRE) {
      if (h.fragment) return fragmentOnly(rec, b, off, end);
      const gre = decodeGre(b, off, end);
      if (gre.error) {
        rec.error ??= gre.error;
        return rec;
      }
      off = gre.offset;
      if (gre.protocol === GRE_PROTO_PPP || gre.protocol === GRE_PROTO_TEB) {
        const inner = gre.protocol === GRE_PROTO_PPP ? decodePpp(b, off, end) : decodeEthernet(b, off, end);
        if (inner.error) {
          rec.error ??= inner.error;
          return rec;
        }
        etherType = inner.etherType;
        off = inner.offset;
      } else etherType = gre.protocol;
      continue;
    }
    // A first fragment is decoded once whole, by the pipeline, as tshark does.
    if (h.fragment) return fragmentOnly(rec, b, off, end);
    decodeTransport(rec, b, off, end, opts);
    return rec;
  }
  rec.error ??= `tunnel nesting deeper than ${MAX_TUNNEL_DEPTH}`;
  return rec;
}

/** The fields of a plain IPv4 or IPv6 UDP frame, filled in place by readIpUdp. */
export interface IpUdpFields {
  version: 4 | 6;
  /** IPv4 addresses as the header's 32 bits (IPv4 only). */
  src: number;
  dst: number;
  /** IPv6: where the 16-byte addresses start in the frame's buffer. */
  srcOffset: number;
  dstOffset: number;
  /** The TOS byte or the traffic class: DSCP << 2 | ECN. */
  tos: number;
  ttl: number;
  id: number;
  sport: number;
  dport: number;
  /** The UDP payload is b[payload..payloadEnd). */
  payload: number;
  payloadEnd: number;
  /** The Ethernet frame carried 802.1Q/802.1ad tags (the record's `vlans` is not null). */
  vlanTagged: boolean;
  /** What the link header named: ETHERTYPE_IPV4 or ETHERTYPE_IPV6 (raw IP: by the version nibble). */
  etherType: number;
}

export function newIpUdpFields(): IpUdpFields {
  return { version: 4, src: 0, dst: 0, srcOffset: 0, dstOffset: 0, tos: 0, ttl: 0, id: 0, sport: 0, dport: 0, payload: 0, payloadEnd: 0, vlanTagged: false, etherType: 0 };
}

/**
 * Whether the datagram read into `f` carries SIP: decodeUdpApp's test, after
 * a cheap look at its first byte (SIP starts with an ASCII letter), for the
 * callers that sort datagrams before any record is made.
 */
export function udpPayloadIsSip(b: Uint8Array, f: IpUdpFields): boolean {
  const p = f.payload;
  const end = f.payloadEnd;
  return end - p > 12 && b[p] < 0x80 && looksLikeSip(b, p, end);
}

const IPV6_HEADER_LEN = 40;

/**
 * Where IP starts behind the link header of b[start..end), read in place by
 * the same rules as the link decoders (link.ts): Ethernet, untagged or
 * tagged (802.1Q, 802.1ad; `out.vlanTagged` says which), Linux cooked SLL
 * and SLL2 (what `tcpdump -i any` writes), BSD null/loopback and raw IP;
 * `out.etherType` says which IP the link header named. -1 for anything else
 * (ARP, PPPoE, a cut header), which the layered decode handles.
 */
function ipOffset(linkType: number, b: Uint8Array, start: number, end: number, out: IpUdpFields): number {
  out.vlanTagged = false;
  let type: number;
  let p: number;
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (end - start < ETH_HEADER_LEN) return -1;
      p = start + ETH_HEADER_LEN;
      type = (b[p - 2] << 8) | b[p - 1];
      while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
        if (end - p < VLAN_TAG_LEN) return -1;
        out.vlanTagged = true;
        type = (b[p + 2] << 8) | b[p + 3];
        p += VLAN_TAG_LEN;
      }
      break;
    }
    case LINKTYPE_LINUX_SLL:
      if (end - start < SLL_HEADER_LEN) return -1;
      type = (b[start + SLL_PROTOCOL] << 8) | b[start + SLL_PROTOCOL + 1];
      p = start + SLL_HEADER_LEN;
      break;
    case LINKTYPE_LINUX_SLL2:
      if (end - start < SLL2_HEADER_LEN) return -1;
      type = (b[start] << 8) | b[start + 1];
      p = start + SLL2_HEADER_LEN;
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (end - start < NULL_HEADER_LEN) return -1;
      const family = nullFamily(b, start);
      type = family === AF_INET ? ETHERTYPE_IPV4 : isInet6Family(family) ? ETHERTYPE_IPV6 : -1;
      p = start + NULL_HEADER_LEN;
      break;
    }
    default:
      if (!isRawIp(linkType) || end <= start) return -1;
      // Raw IP: the version nibble says which, as decodeRawIp reads it.
      type = b[start] >> 4 === 4 ? ETHERTYPE_IPV4 : b[start] >> 4 === 6 ? ETHERTYPE_IPV6 : -1;
      p = start;
  }
  if (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6) return -1;
  out.etherType = type;
  return p;
}

/**
 * The common case in one pass, with no allocation: a whole (unfragmented)
 * IPv4 datagram, or an IPv6 one with UDP as its first next header, behind
 * one of the link headers ipOffset reads, whose lengths all fit, carrying
 * UDP whose length fits. Fills `out` and returns true; returns false for
 * anything else (extension headers, jumbograms, tunnels, fragments, cut
 * lengths), which the layered decode handles.
 */
export function readIpUdp(linkType: number, b: Uint8Array, start: number, end: number, out: IpUdpFields): boolean {
  const o = ipOffset(linkType, b, start, end, out);
  if (o < 0 || end - o < IPV4_MIN_HEADER_LEN) return false;
  const version = b[o] >> 4;
  // Like Wireshark (and decodeIp), an IPv4 link type carrying version 6 is read as IPv6.
  if (version === 6) return readIpv6Udp(b, o, end, out);
  if (version !== 4 || out.etherType !== ETHERTYPE_IPV4) return false;
  const ihl = (b[o] & 0x0f) * 4;
  if (ihl < IPV4_MIN_HEADER_LEN || ihl > end - o) return false;
  const totalLength = (b[o + 2] << 8) | b[o + 3];
  const ipEnd = o + totalLength;
  // Fragments (MF set or an offset) and lengths that need the general path's care.
  if (totalLength < ihl || ipEnd > end || ((b[o + 6] << 8) | b[o + 7]) & 0x3fff || b[o + 9] !== IPPROTO_UDP) return false;
  if (!readUdp(b, o + ihl, ipEnd, out)) return false;
  out.version = 4;
  out.src = (b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15];
  out.dst = (b[o + 16] << 24) | (b[o + 17] << 16) | (b[o + 18] << 8) | b[o + 19];
  out.tos = b[o + 1];
  out.ttl = b[o + 8];
  out.id = (b[o + 4] << 8) | b[o + 5];
  return true;
}

function readIpv6Udp(b: Uint8Array, o: number, end: number, out: IpUdpFields): boolean {
  if (end - o < IPV6_HEADER_LEN || b[o + 6] !== IPPROTO_UDP) return false;
  const payloadLength = (b[o + 4] << 8) | b[o + 5];
  const ipEnd = o + IPV6_HEADER_LEN + payloadLength;
  // Payload length 0 (a jumbogram, TSO) and one past the captured bytes take the general path.
  if (payloadLength === 0 || ipEnd > end || !readUdp(b, o + IPV6_HEADER_LEN, ipEnd, out)) return false;
  out.version = 6;
  out.src = 0;
  out.dst = 0;
  out.srcOffset = o + 8;
  out.dstOffset = o + 24;
  out.tos = ((b[o] & 0x0f) << 4) | (b[o + 1] >> 4);
  out.ttl = b[o + 7];
  out.id = 0;
  return true;
}

/** The UDP header at b[u..ipEnd): ports and payload into `out`; false when its length does not fit. */
function readUdp(b: Uint8Array, u: number, ipEnd: number, out: IpUdpFields): boolean {
  if (ipEnd - u < UDP_HEADER_LEN) return false;
  const udpLength = (b[u + 4] << 8) | b[u + 5];
  if (udpLength < UDP_HEADER_LEN || u + udpLength > ipEnd) return false;
  out.sport = (b[u] << 8) | b[u + 1];
  out.dport = (b[u + 2] << 8) | b[u + 3];
  out.payload = u + UDP_HEADER_LEN;
  out.payloadEnd = u + udpLength;
  return true;
}

const scratch = newIpUdpFields();

/** The common case of decodeFrame: fills `rec` exactly as the layered decode would, or returns false leaving it untouched. */
function plainIpv4Udp(rec: PacketRecord, b: Uint8Array, opts: DecodeOptions): boolean {
  const f = scratch;
  if (!readIpUdp(rec.linkType, b, 0, b.length, f) || !isPlainIpv4Udp(f)) return false;
  fillIpv4Udp(rec, b, f, opts, undefined);
  return true;
}

/** Whether decodeFrame's one-pass case makes the record of a frame readIpUdp read: a tagged frame's record lists its VLAN ids, which the layered decode makes. */
function isPlainIpv4Udp(f: IpUdpFields): boolean {
  return f.version === 4 && !f.vlanTagged;
}

/**
 * decodeFrame of the frame b[start, start + info.caplen), whose headers
 * readIpUdp has read into `f`: in its one-pass case the record is made from
 * those fields and the bytes where they stand (no view of the frame, no
 * second read of its headers); otherwise as decodeFrame makes it.
 * `isSip`, when given, is what looksLikeSip said of the payload (the caller
 * asked already).
 */
export function decodeIpUdpFrame(info: FrameInfo, b: Uint8Array, start: number, f: IpUdpFields, opts: DecodeOptions = DEFAULT_DECODE_OPTIONS, isSip?: boolean): PacketRecord {
  if (!isPlainIpv4Udp(f)) return decodeFrame(info, view(b, start, start + info.caplen), opts);
  const rec = emptyRecord(info);
  fillIpv4Udp(rec, b, f, opts, isSip);
  return rec;
}

/** The record of a plain IPv4 UDP frame from its fields (offsets into b). */
function fillIpv4Udp(rec: PacketRecord, b: Uint8Array, f: IpUdpFields, opts: DecodeOptions, isSip: boolean | undefined): void {
  rec.ip = new Ipv4Header(f.src, f.dst, f.tos >> 2, f.tos & 3, f.ttl, IPPROTO_UDP, f.id, null);
  rec.transport = 'udp';
  rec.sport = f.sport;
  rec.dport = f.dport;
  rec.payload = new Uint8Array(b.buffer, b.byteOffset + f.payload, f.payloadEnd - f.payload);
  decodeUdpApp(rec, b, f.payload, f.payloadEnd, opts, isSip);
}

/** b[start..end) as a Uint8Array view (cheaper than subarray(), which looks up the species constructor). */
function view(b: Uint8Array, start: number, end: number): Uint8Array {
  const n = b.length;
  const s = start < n ? start : n;
  const e = end < n ? end : n;
  return new Uint8Array(b.buffer, b.byteOffset + s, e > s ? e - s : 0);
}

/** An IP fragment: its share of the IP payload, left for the pipeline to reassemble. */
function fragmentOnly(rec: PacketRecord, b: Uint8Array, off: number, end: number): PacketRecord {
  rec.payload = view(b, off, end);
  return rec;
}

/**
 * Decode UDP/TCP and, for UDP, the application, from the IP payload
 * b[off..end). Also used by the pipeline on reassembled datagrams.
 */
export function decodeTransport(rec: PacketRecord, b: Uint8Array, off: number, end: number, opts: DecodeOptions): void {
  const proto = rec.ip?.proto;
  if (proto === IPPROTO_UDP) {
    const udp = decodeUdp(b, off, end, rec.truncated);
    rec.transport = 'udp';
    rec.sport = udp.sport;
    rec.dport = udp.dport;
    if (udp.error) {
      rec.error ??= udp.error;
      if (udp.offset === off) return;
    }
    rec.payload = view(b, udp.offset, udp.end);
    decodeUdpApp(rec, b, udp.offset, udp.end, opts);
  } else if (proto === IPPROTO_TCP) {
    const tcp = decodeTcp(b, off, end);
    rec.transport = 'tcp';
    rec.sport = tcp.sport;
    rec.dport = tcp.dport;
    rec.tcp = tcp.header;
    if (tcp.error) {
      rec.error ??= tcp.error;
      return;
    }
    rec.payload = view(b, tcp.offset, end);
  } else if (proto === IPPROTO_IGMP || (proto === IPPROTO_ICMPV6 && rec.ip!.version === 6)) {
    decodeMembership(rec, b, off, end, proto);
  }
}

/** Group membership: IGMP, or MLD among the ICMPv6 messages (other ICMPv6 is left undecoded). */
function decodeMembership(rec: PacketRecord, b: Uint8Array, off: number, end: number, proto: number): void {
  const m = proto === IPPROTO_IGMP ? decodeIgmp(b, off, end) : decodeMld(b, off, end);
  if (m === null) return;
  rec.membership = m;
  if (m.error) rec.error ??= m.error;
}

function inRange(port: number, range: readonly [number, number]): boolean {
  return port >= range[0] && port <= range[1];
}

/** Either port in the heartbeat range: a 4-byte payload there is a heartbeat, whatever its value. */
export function onHeartbeatPort(sport: number, dport: number, ports: readonly [number, number]): boolean {
  return inRange(dport, ports) || inRange(sport, ports);
}

/** The application of the UDP payload b[off..end); `isSip`: what looksLikeSip says of it, when the caller knows. */
function decodeUdpApp(rec: PacketRecord, b: Uint8Array, off: number, end: number, opts: DecodeOptions, isSip?: boolean): void {
  const n = end - off;
  if (n === 4 && onHeartbeatPort(rec.sport, rec.dport, opts.heartbeatPorts)) {
    rec.hb = decodeHeartbeat(b, off, end, opts.heartbeatByteOrder);
    rec.app = 'mds-heartbeat';
    return;
  }
  if (n > 12 && (isSip ?? looksLikeSip(b, off, end))) {
    // The payload's own view (rec.payload, set by the caller): the parser reads it whole, as one run, making no view of its own.
    const msgs = parseSipDatagram(rec.payload!, 0, n);
    rec.sip = msgs;
    rec.app = 'sip';
    // A loop, not find(): its callback would be a new function for every datagram.
    for (const m of msgs) {
      if (m.error !== undefined) {
        if (m.error) rec.error ??= `sip: ${m.error}`;
        break;
      }
    }
  }
}

export { linkTypeName };
export type { IpHeader };
