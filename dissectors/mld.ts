// MLD, IPv6's group membership, carried in ICMPv6 (next header 58) behind a
// hop-by-hop header with the router alert (ipv6.ts walks that chain):
// MLDv1 (RFC 2710) queries 130, reports 131 and done 132; MLDv2 (RFC 3810)
// queries (28 bytes and more) and reports 143 with source-filtered records,
// whose types are IGMPv3's. Other ICMPv6 messages are not membership: null.
// Pure: short messages and counts running past the end give `error`.

import type { GroupRecord, MembershipRecord } from './types.js';
import { ipv6ToString } from './ipv6.js';
import { CHANGE_TO_EXCLUDE, CHANGE_TO_INCLUDE, MODE_IS_INCLUDE } from './igmp.js';

export const IPPROTO_ICMPV6 = 58;
export const MLD_QUERY = 130;
export const MLD_V1_REPORT = 131;
export const MLD_V1_DONE = 132;
export const MLD_V2_REPORT = 143;

/** Type, code, checksum, max response delay (ms), reserved, multicast address. */
export const MLD_FIELD = { TYPE: 0, CODE: 1, CHECKSUM: 2, MAX_RESP: 4, GROUP: 8, V2_QRV: 24, V2_QQIC: 25, V2_SOURCES: 26, V2_REPORT_RECORDS: 6 } as const;
export const MLD_V1_LEN = 24;
export const MLD_V2_QUERY_LEN = 28;
export const MLD_V2_REPORT_HEADER_LEN = 8;
/** A v2 record: type, aux data length (32-bit words), number of sources, group (16 bytes); then sources and aux data. */
export const MLD_RECORD_HEADER_LEN = 20;

/** Whether an ICMPv6 type is one of MLD's. */
export function isMldType(type: number): boolean {
  return type === MLD_QUERY || type === MLD_V1_REPORT || type === MLD_V1_DONE || type === MLD_V2_REPORT;
}

/** RFC 3810 5.1.3: a code of 32768 and above is a float. */
export function mldMaxResponseMs(code: number): number {
  if (code < 32768) return code;
  const exp = (code >> 12) & 7;
  const mant = code & 0xfff;
  return (mant | 0x1000) << (exp + 3);
}

function result(version: number, type: number, kind: MembershipRecord['kind'], group: string | null, records: GroupRecord[], maxResponseMs: number | null, error?: string): MembershipRecord {
  const r: MembershipRecord = { protocol: 'mld', version, type, kind, group, records, maxResponseMs };
  if (error !== undefined) r.error = `mld: ${error}`;
  return r;
}

/** Decode the ICMPv6 message b[off..end) when it is MLD; null for other ICMPv6 types. */
export function decodeMld(b: Uint8Array, off: number, end: number): MembershipRecord | null {
  const n = end - off;
  if (n < 1) return null;
  const type = b[off];
  if (!isMldType(type)) return null;
  if (type === MLD_V2_REPORT) return v2Report(b, off, end);
  if (n < MLD_V1_LEN) return result(type === MLD_QUERY ? 0 : 1, type, type === MLD_QUERY ? 'query' : type === MLD_V1_DONE ? 'leave' : 'report', null, [], null, `${n} bytes, a message needs ${MLD_V1_LEN}`);
  const code = (b[off + MLD_FIELD.MAX_RESP] << 8) | b[off + MLD_FIELD.MAX_RESP + 1];
  const group = ipv6ToString(b, off + MLD_FIELD.GROUP);
  if (type === MLD_V1_REPORT) return result(1, type, 'report', group, [{ type: CHANGE_TO_EXCLUDE, group, sources: [] }], null);
  if (type === MLD_V1_DONE) return result(1, type, 'leave', group, [{ type: CHANGE_TO_INCLUDE, group, sources: [] }], null);
  if (n < MLD_V2_QUERY_LEN) return result(1, type, 'query', group, [], code);
  const count = (b[off + MLD_FIELD.V2_SOURCES] << 8) | b[off + MLD_FIELD.V2_SOURCES + 1];
  const fit = Math.min(count, Math.floor((n - MLD_V2_QUERY_LEN) / 16));
  const sources: string[] = [];
  for (let k = 0; k < fit; k++) sources.push(ipv6ToString(b, off + MLD_V2_QUERY_LEN + 16 * k));
  return result(2, type, 'query', group, sources.length ? [{ type: MODE_IS_INCLUDE, group, sources }] : [], mldMaxResponseMs(code),
    fit < count ? `query lists ${count} sources, ${fit} fit in ${n} bytes` : undefined);
}

function v2Report(b: Uint8Array, off: number, end: number): MembershipRecord {
  if (end - off < MLD_V2_REPORT_HEADER_LEN) return result(2, MLD_V2_REPORT, 'report', null, [], null, `${end - off} bytes, a report needs ${MLD_V2_REPORT_HEADER_LEN}`);
  const count = (b[off + MLD_FIELD.V2_REPORT_RECORDS] << 8) | b[off + MLD_FIELD.V2_REPORT_RECORDS + 1];
  const records: GroupRecord[] = [];
  let p = off + MLD_V2_REPORT_HEADER_LEN;
  for (let k = 0; k < count; k++) {
    if (end - p < MLD_RECORD_HEADER_LEN) return result(2, MLD_V2_REPORT, 'report', null, records, null, `report lists ${count} group records, ${k} fit`);
    const type = b[p];
    const auxBytes = b[p + 1] * 4;
    const nsrc = (b[p + 2] << 8) | b[p + 3];
    const group = ipv6ToString(b, p + 4);
    const size = MLD_RECORD_HEADER_LEN + 16 * nsrc + auxBytes;
    if (end - p < size) return result(2, MLD_V2_REPORT, 'report', null, records, null, `group record ${k + 1} (${group}) lists ${nsrc} sources past the end`);
    const sources: string[] = [];
    for (let s = 0; s < nsrc; s++) sources.push(ipv6ToString(b, p + MLD_RECORD_HEADER_LEN + 16 * s));
    records.push({ type, group, sources });
    p += size;
  }
  return result(2, MLD_V2_REPORT, 'report', null, records, null);
}
