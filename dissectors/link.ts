// Link-layer framing: Ethernet II with 802.1Q/QinQ tags, Linux cooked SLL and
// SLL2, BSD null/loopback and raw IP. Each decoder tells the next layer by an
// EtherType and where it starts; each emitter writes the same layout from the
// same field offsets, so decode(emit(h)) gives h back (a property test).

import type { LinkResult } from './types.js';
import { decodePppoeSession } from './ppp.js';
import { writeU16, writeU32 } from './wire.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
// Some writers still put the platform DLT_RAW values in files.
const DLT_RAW_ALIASES = new Set([12, 14]);

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_QINQ_OLD = 0x9100;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** Pseudo EtherType for "no EtherType: 802.3 length / LLC frame". */
export const ETHERTYPE_NONE = -1;

export const ETH_HEADER_LEN = 14;
export const ETH_FIELD = { DST: 0, SRC: 6, ETHERTYPE: 12 } as const;
/** An 802.1Q/802.1ad tag: its TPID sits where the EtherType was, then these 4 bytes follow. */
export const VLAN_TAG_LEN = 4;
export const VLAN_FIELD = { TCI: 0, ETHERTYPE: 2 } as const;
export const VLAN_VID_MASK = 0x0fff;
export const VLAN_DEI = 0x1000;
export const SLL_HEADER_LEN = 16;
export const SLL_FIELD = { PACKET_TYPE: 0, ARPHRD_TYPE: 2, ADDRESS_LENGTH: 4, ADDRESS: 6, PROTOCOL: 14 } as const;
/** Offset of the protocol (an EtherType) in the SLL header; SLL2 has it first. */
export const SLL_PROTOCOL = SLL_FIELD.PROTOCOL;
export const SLL2_HEADER_LEN = 20;
export const SLL2_FIELD = { PROTOCOL: 0, RESERVED: 2, IFINDEX: 4, ARPHRD_TYPE: 8, PACKET_TYPE: 10, ADDRESS_LENGTH: 11, ADDRESS: 12 } as const;
/** Room for a link-layer address in SLL/SLL2 headers. */
export const SLL_ADDRESS_MAX = 8;
/** ARPHRD_ETHER: the usual hardware type in cooked captures. */
export const ARPHRD_ETHER = 1;
export const NULL_HEADER_LEN = 4;

export type { LinkResult };

const LINK_NAMES: Record<number, string> = {
  [LINKTYPE_NULL]: 'null', [LINKTYPE_ETHERNET]: 'ethernet', [LINKTYPE_RAW]: 'raw',
  [LINKTYPE_LOOP]: 'loop', [LINKTYPE_LINUX_SLL]: 'linux-sll', [LINKTYPE_LINUX_SLL2]: 'linux-sll2',
  [LINKTYPE_IPV4]: 'ipv4', [LINKTYPE_IPV6]: 'ipv6', 12: 'raw', 14: 'raw', 253: 'netlink',
};

export function linkTypeName(linkType: number): string {
  return LINK_NAMES[linkType] ?? `linktype-${linkType}`;
}

function fail(offset: number, error: string): LinkResult {
  return { etherType: ETHERTYPE_NONE, offset, vlans: null, error };
}

/** Ethernet II, following any number of 802.1Q / 802.1ad tags and PPPoE session framing. */
export function decodeEthernet(b: Uint8Array, off: number, end: number): LinkResult {
  if (end - off < ETH_HEADER_LEN) return fail(off, `ethernet: ${end - off} bytes, header needs ${ETH_HEADER_LEN}`);
  let p = off + ETH_FIELD.ETHERTYPE;
  let type = (b[p] << 8) | b[p + 1];
  p += 2;
  let vlans: number[] | null = null;
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (end - p < VLAN_TAG_LEN) return { etherType: ETHERTYPE_NONE, offset: p, vlans, error: 'vlan: tag truncated' };
    (vlans ??= []).push(((b[p + VLAN_FIELD.TCI] << 8) | b[p + VLAN_FIELD.TCI + 1]) & VLAN_VID_MASK);
    type = (b[p + VLAN_FIELD.ETHERTYPE] << 8) | b[p + VLAN_FIELD.ETHERTYPE + 1];
    p += VLAN_TAG_LEN;
  }
  if (type <= 1500) return { etherType: ETHERTYPE_NONE, offset: p, vlans, error: null };
  if (type === ETHERTYPE_PPPOE_SESSION) {
    const ppp = decodePppoeSession(b, p, end);
    return { etherType: ppp.etherType, offset: ppp.offset, vlans, error: ppp.error };
  }
  return { etherType: type, offset: p, vlans, error: null };
}

/** Linux cooked capture v1 (16-byte header, protocol at the end). */
export function decodeSll(b: Uint8Array, off: number, end: number): LinkResult {
  if (end - off < SLL_HEADER_LEN) return fail(off, `sll: ${end - off} bytes, header needs ${SLL_HEADER_LEN}`);
  const type = (b[off + SLL_FIELD.PROTOCOL] << 8) | b[off + SLL_FIELD.PROTOCOL + 1];
  return { etherType: type > 1500 ? type : ETHERTYPE_NONE, offset: off + SLL_HEADER_LEN, vlans: null, error: null };
}

/** Linux cooked capture v2 (20-byte header, protocol first). */
export function decodeSll2(b: Uint8Array, off: number, end: number): LinkResult {
  if (end - off < SLL2_HEADER_LEN) return fail(off, `sll2: ${end - off} bytes, header needs ${SLL2_HEADER_LEN}`);
  const type = (b[off + SLL2_FIELD.PROTOCOL] << 8) | b[off + SLL2_FIELD.PROTOCOL + 1];
  return { etherType: type > 1500 ? type : ETHERTYPE_NONE, offset: off + SLL2_HEADER_LEN, vlans: null, error: null };
}

// AF_INET6 differs between BSDs, macOS and Linux; all of them mean IPv6 here.
export const AF_INET = 2;
const AF_INET6_VALUES = new Set([10, 24, 28, 30]);

/**
 * The address family of a BSD null (the capturing host's byte order) or loop
 * (network order) header at `off`. The byte order is guessed: a family fits
 * in one byte, so the zero bytes tell.
 */
export function nullFamily(b: Uint8Array, off: number): number {
  return b[off] !== 0 ? b[off] : b[off + 3];
}

export function decodeNull(b: Uint8Array, off: number, end: number): LinkResult {
  if (end - off < NULL_HEADER_LEN) return fail(off, `null: ${end - off} bytes, header needs ${NULL_HEADER_LEN}`);
  const family = nullFamily(b, off);
  const etherType = family === AF_INET ? ETHERTYPE_IPV4 : AF_INET6_VALUES.has(family) ? ETHERTYPE_IPV6 : ETHERTYPE_NONE;
  return { etherType, offset: off + NULL_HEADER_LEN, vlans: null, error: null };
}

/** Raw IP: the version nibble says which. */
export function decodeRawIp(b: Uint8Array, off: number, end: number): LinkResult {
  if (end <= off) return fail(off, 'raw: empty packet');
  const v = b[off] >> 4;
  const etherType = v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_NONE;
  return { etherType, offset: off, vlans: null, error: etherType === ETHERTYPE_NONE ? `raw: IP version ${v}` : null };
}

// ---------------------------------------------------------------------------
// Emitters: write a header into buf at off and return the offset after it.

export interface VlanTag {
  /** VLAN id, 0..4095. */
  vid: number;
  /** 802.1p priority code point, 0..7. */
  pcp?: number;
  dei?: boolean;
  /** Tag protocol id; 0x8100 unless an outer 802.1ad tag (0x88a8). */
  tpid?: number;
}

export interface EthernetHeader {
  dst: Uint8Array;
  src: Uint8Array;
  /** Outermost first. */
  vlans?: readonly VlanTag[];
  etherType: number;
}

export function ethernetHeaderLength(vlanCount: number): number {
  return ETH_HEADER_LEN + VLAN_TAG_LEN * vlanCount;
}

/** Writes dst, src, any 802.1Q tags and the EtherType; throws RangeError on a VLAN id past 4095. */
export function emitEthernet(buf: Uint8Array, off: number, h: EthernetHeader): number {
  buf.set(h.dst, off + ETH_FIELD.DST);
  buf.set(h.src, off + ETH_FIELD.SRC);
  let p = off + ETH_FIELD.ETHERTYPE;
  for (const tag of h.vlans ?? []) {
    if (tag.vid < 0 || tag.vid > VLAN_VID_MASK) throw new RangeError(`VLAN id out of range: ${tag.vid}`);
    writeU16(buf, p, tag.tpid ?? ETHERTYPE_VLAN);
    p += 2;
    writeU16(buf, p + VLAN_FIELD.TCI, (((tag.pcp ?? 0) & 7) << 13) | (tag.dei ? VLAN_DEI : 0) | tag.vid);
    p += VLAN_FIELD.ETHERTYPE;
  }
  writeU16(buf, p, h.etherType);
  return p + 2;
}

export interface SllHeader {
  /** 0 to us, 4 sent by us (PACKET_* of linux/if_packet.h). */
  packetType: number;
  /** ARPHRD_* hardware type; ARPHRD_ETHER when unset. */
  arphrdType?: number;
  /** Link-layer source address, up to 8 bytes. */
  address: Uint8Array;
  protocol: number;
}

function emitSllAddress(buf: Uint8Array, at: number, address: Uint8Array): void {
  if (address.length > SLL_ADDRESS_MAX) throw new RangeError(`link address of ${address.length} bytes, SLL holds ${SLL_ADDRESS_MAX}`);
  buf.fill(0, at, at + SLL_ADDRESS_MAX);
  buf.set(address, at);
}

/** Linux cooked capture v1 header. */
export function emitSll(buf: Uint8Array, off: number, h: SllHeader): number {
  writeU16(buf, off + SLL_FIELD.PACKET_TYPE, h.packetType);
  writeU16(buf, off + SLL_FIELD.ARPHRD_TYPE, h.arphrdType ?? ARPHRD_ETHER);
  writeU16(buf, off + SLL_FIELD.ADDRESS_LENGTH, h.address.length);
  emitSllAddress(buf, off + SLL_FIELD.ADDRESS, h.address);
  writeU16(buf, off + SLL_FIELD.PROTOCOL, h.protocol);
  return off + SLL_HEADER_LEN;
}

export interface Sll2Header extends SllHeader {
  /** Interface index the packet was captured on. */
  ifindex: number;
}

/** Linux cooked capture v2 header. */
export function emitSll2(buf: Uint8Array, off: number, h: Sll2Header): number {
  writeU16(buf, off + SLL2_FIELD.PROTOCOL, h.protocol);
  writeU16(buf, off + SLL2_FIELD.RESERVED, 0);
  writeU32(buf, off + SLL2_FIELD.IFINDEX, h.ifindex >>> 0);
  writeU16(buf, off + SLL2_FIELD.ARPHRD_TYPE, h.arphrdType ?? ARPHRD_ETHER);
  buf[off + SLL2_FIELD.PACKET_TYPE] = h.packetType;
  buf[off + SLL2_FIELD.ADDRESS_LENGTH] = h.address.length;
  emitSllAddress(buf, off + SLL2_FIELD.ADDRESS, h.address);
  return off + SLL2_HEADER_LEN;
}

/** BSD null (order 'le' or 'be': the capturing host's) or loop ('be') header carrying an address family. */
export function emitNull(buf: Uint8Array, off: number, family: number, order: 'le' | 'be'): number {
  if (order === 'be') writeU32(buf, off, family >>> 0);
  else {
    buf[off] = family & 0xff;
    buf[off + 1] = (family >>> 8) & 0xff;
    buf[off + 2] = (family >>> 16) & 0xff;
    buf[off + 3] = (family >>> 24) & 0xff;
  }
  return off + NULL_HEADER_LEN;
}

export type LinkDecoder = (b: Uint8Array, off: number, end: number) => LinkResult;

/** Link types whose frames are bare IP packets. */
export function isRawIp(linkType: number): boolean {
  return linkType === LINKTYPE_RAW || linkType === LINKTYPE_IPV4 || linkType === LINKTYPE_IPV6 || DLT_RAW_ALIASES.has(linkType);
}

/** Link type -> decoder; null for link types ucprobe does not decode (e.g. netlink). */
export function linkDecoder(linkType: number): LinkDecoder | null {
  switch (linkType) {
    case LINKTYPE_ETHERNET: return decodeEthernet;
    case LINKTYPE_LINUX_SLL: return decodeSll;
    case LINKTYPE_LINUX_SLL2: return decodeSll2;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: return decodeNull;
    default: return isRawIp(linkType) ? decodeRawIp : null;
  }
}
