// IGMP and MLD messages for captures and tests, laid out with the
// dissectors' own offsets (dissectors/igmp.ts, dissectors/mld.ts), so that
// decoding what this writes gives back what was asked for.

import {
  IGMP_FIELD, IGMP_HEADER_LEN, IGMP_QUERY, IGMP_RECORD_HEADER_LEN, IGMP_V1_REPORT, IGMP_V2_LEAVE, IGMP_V2_REPORT, IGMP_V3_REPORT,
} from '../../dissectors/igmp.js';
import { IPPROTO_ICMPV6, MLD_FIELD, MLD_RECORD_HEADER_LEN, MLD_V1_DONE, MLD_V1_LEN, MLD_V1_REPORT, MLD_V2_REPORT, MLD_V2_REPORT_HEADER_LEN } from '../../dissectors/mld.js';
import { finishChecksum, internetChecksum, onesComplementSum, pseudoHeaderSum, writeU16 } from '../../dissectors/wire.js';
import { buildIpFrame, ipBytes, parseIpv4, parseIpv6, type EthernetSpec, type Ipv4Spec, type Ipv6Spec } from './frame-builder.js';

export const IPPROTO_IGMP = 2;
const IPPROTO_HOP_BY_HOP = 0;
/** IPv4 router alert option (RFC 2113), which IGMP carries. */
export const IPV4_ROUTER_ALERT = Uint8Array.of(0x94, 0x04, 0, 0);

export interface GroupRecordSpec {
  type: number;
  group: string;
  sources?: string[];
}

/** An IGMP v1/v2 report, a v2 leave or a v1/v2 query (8 bytes), checksummed. */
export function igmpMessage(type: typeof IGMP_V1_REPORT | typeof IGMP_V2_REPORT | typeof IGMP_V2_LEAVE | typeof IGMP_QUERY, group: string, maxRespTenths = 0): Uint8Array {
  const b = new Uint8Array(IGMP_HEADER_LEN);
  b[IGMP_FIELD.TYPE] = type;
  b[IGMP_FIELD.MAX_RESP] = maxRespTenths;
  b.set(parseIpv4(group), IGMP_FIELD.GROUP);
  writeU16(b, IGMP_FIELD.CHECKSUM, internetChecksum(b));
  return b;
}

/**
 * A report's buffer with its group records written after `headerLen` bytes
 * (IGMPv3 and MLDv2 lay them out alike: type, aux length, source count,
 * group, sources; only the address size differs). The caller fills the header.
 */
function groupRecords(headerLen: number, recordHeaderLen: number, records: GroupRecordSpec[], parse: (text: string) => Uint8Array): Uint8Array {
  const rows = records.map((r) => ({ type: r.type, group: parse(r.group), sources: (r.sources ?? []).map(parse) }));
  const size = rows.reduce((n, r) => n + recordHeaderLen + r.sources.reduce((m, a) => m + a.length, 0), headerLen);
  const b = new Uint8Array(size);
  let p = headerLen;
  for (const r of rows) {
    b[p] = r.type;
    writeU16(b, p + 2, r.sources.length);
    b.set(r.group, p + 4);
    p += recordHeaderLen;
    for (const a of r.sources) {
      b.set(a, p);
      p += a.length;
    }
  }
  return b;
}

/** An IGMPv3 report with these group records, checksummed. */
export function igmpV3Report(records: GroupRecordSpec[]): Uint8Array {
  const b = groupRecords(IGMP_HEADER_LEN, IGMP_RECORD_HEADER_LEN, records, parseIpv4);
  b[IGMP_FIELD.TYPE] = IGMP_V3_REPORT;
  writeU16(b, IGMP_FIELD.V3_REPORT_RECORDS, records.length);
  writeU16(b, IGMP_FIELD.CHECKSUM, internetChecksum(b));
  return b;
}

/** IGMP in IPv4 with the router alert option and TTL 1, as hosts send it. */
export function igmpFrame(eth: EthernetSpec, ip: Omit<Ipv4Spec, 'options' | 'ttl'>, message: Uint8Array): Uint8Array {
  return buildIpFrame(eth, { ...ip, ttl: 1, options: IPV4_ROUTER_ALERT }, IPPROTO_IGMP, message);
}

/** An MLDv1 report or done (24 bytes), checksum left for mldFrame. */
export function mldV1Message(type: typeof MLD_V1_REPORT | typeof MLD_V1_DONE, group: string): Uint8Array {
  const b = new Uint8Array(MLD_V1_LEN);
  b[MLD_FIELD.TYPE] = type;
  b.set(parseIpv6(group), MLD_FIELD.GROUP);
  return b;
}

/** An MLDv2 report with these group records, checksum left for mldFrame. */
export function mldV2Report(records: GroupRecordSpec[]): Uint8Array {
  const b = groupRecords(MLD_V2_REPORT_HEADER_LEN, MLD_RECORD_HEADER_LEN, records, parseIpv6);
  b[MLD_FIELD.TYPE] = MLD_V2_REPORT;
  writeU16(b, MLD_FIELD.V2_REPORT_RECORDS, records.length);
  return b;
}

/**
 * MLD in IPv6 as hosts send it: hop limit 1, a hop-by-hop header with the
 * router alert (RFC 2711, value 0 = MLD), then ICMPv6 with its checksum over
 * the pseudo-header.
 */
export function mldFrame(eth: EthernetSpec, ip: Omit<Ipv6Spec, 'hopLimit'>, message: Uint8Array): Uint8Array {
  const icmp = message.slice();
  icmp[MLD_FIELD.CHECKSUM] = 0;
  icmp[MLD_FIELD.CHECKSUM + 1] = 0;
  const sum = pseudoHeaderSum(ipBytes(ip.src, 6), ipBytes(ip.dst, 6), IPPROTO_ICMPV6, icmp.length);
  writeU16(icmp, MLD_FIELD.CHECKSUM, finishChecksum(onesComplementSum(icmp, 0, icmp.length, sum)));
  // Hop-by-hop: next header, length 0 (8 bytes), router alert (type 5, length 2, value 0), PadN of 2.
  const hbh = Uint8Array.of(IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0);
  const l4 = new Uint8Array(hbh.length + icmp.length);
  l4.set(hbh, 0);
  l4.set(icmp, hbh.length);
  return buildIpFrame(eth, { ...ip, hopLimit: 1 }, IPPROTO_HOP_BY_HOP, l4);
}
