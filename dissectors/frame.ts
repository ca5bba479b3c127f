// Layered decode of one captured frame: link -> IP (through IP-in-IP and GRE
// tunnels) -> UDP/TCP -> application by port or by shape. Pure: everything
// that needs memory across packets (fragments, TCP streams, streams learned
// from SDP or by their shape) is done by the pipeline in src/.

import type { ByteOrder, FrameInfo, IpHeader, PacketRecord } from './types.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, decodeEthernet, linkDecoder, linkTypeName } from './link.js';
import { decodePpp } from './ppp.js';
import { decodeIpv4, type IpDecode } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { GRE_PROTO_PPP, GRE_PROTO_TEB, decodeGre } from './gre.js';
import { decodeUdp } from './udp.js';
import { decodeTcp } from './tcp.js';
import { DEFAULT_HEARTBEAT_PORTS, decodeHeartbeat } from './mds-heartbeat.js';
import { looksLikeSip, parseSipDatagram } from './sip.js';

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
    app: null, hb: null, rtp: null, sip: null, error: null,
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
  const link = linkDecoder(info.linkType);
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

/** An IP fragment: its share of the IP payload, left for the pipeline to reassemble. */
function fragmentOnly(rec: PacketRecord, b: Uint8Array, off: number, end: number): PacketRecord {
  rec.payload = b.subarray(off, end);
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
    rec.payload = b.subarray(udp.offset, udp.end);
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
    rec.payload = b.subarray(tcp.offset, end);
  }
}

function inRange(port: number, range: readonly [number, number]): boolean {
  return port >= range[0] && port <= range[1];
}

function decodeUdpApp(rec: PacketRecord, b: Uint8Array, off: number, end: number, opts: DecodeOptions): void {
  const n = end - off;
  if (n === 4 && (inRange(rec.dport, opts.heartbeatPorts) || inRange(rec.sport, opts.heartbeatPorts))) {
    rec.hb = decodeHeartbeat(b, off, end, opts.heartbeatByteOrder);
    rec.app = 'mds-heartbeat';
    return;
  }
  if (n > 12 && looksLikeSip(b, off, end)) {
    const msgs = parseSipDatagram(b, off, end);
    rec.sip = msgs;
    rec.app = 'sip';
    const err = msgs.find((m) => m.error !== undefined)?.error;
    if (err) rec.error ??= `sip: ${err}`;
  }
}

export { linkTypeName };
export type { IpHeader };
