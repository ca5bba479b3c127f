// IGMP (IPv4 protocol 2): group membership of IPv4 hosts. Versions by shape
// (RFC 3376 7.1): an 8-byte query with max response 0 is v1, other 8-byte
// queries v2, 12 bytes and more v3; reports carry their version in the type.
// Pure: a short message, an unknown type or a record count running past the
// end gives a record with `error`, filled as far as it could be read.

import type { GroupRecord, MembershipRecord } from './types.js';
import { i32 } from './ip-header.js';
import { ipv4Text } from './ipv4.js';

export const IGMP_QUERY = 0x11;
export const IGMP_V1_REPORT = 0x12;
export const IGMP_V2_REPORT = 0x16;
export const IGMP_V2_LEAVE = 0x17;
export const IGMP_V3_REPORT = 0x22;

/** Type, max response code, checksum, group address (v1/v2, and a v3 query's first 8 bytes). */
export const IGMP_FIELD = { TYPE: 0, MAX_RESP: 1, CHECKSUM: 2, GROUP: 4, V3_QRV: 8, V3_QQIC: 9, V3_SOURCES: 10, V3_REPORT_RECORDS: 6 } as const;
export const IGMP_HEADER_LEN = 8;
export const IGMP_V3_QUERY_LEN = 12;
/** A v3 group record: type, aux data length (32-bit words), number of sources, group; then sources and aux data. */
export const IGMP_RECORD_HEADER_LEN = 8;

/** Record types of RFC 3376 4.2.12 (MLDv2 uses the same). */
export const MODE_IS_INCLUDE = 1;
export const MODE_IS_EXCLUDE = 2;
export const CHANGE_TO_INCLUDE = 3;
export const CHANGE_TO_EXCLUDE = 4;
export const ALLOW_NEW_SOURCES = 5;
export const BLOCK_OLD_SOURCES = 6;

const RECORD_NAMES = ['', 'is-include', 'is-exclude', 'to-include', 'to-exclude', 'allow', 'block'];

export function groupRecordName(type: number): string {
  return RECORD_NAMES[type] ?? `type-${type}`;
}

/** A max response code of RFC 3376 4.1.1 (v3: 128 and above a float) in tenths of a second, as ms. */
export function igmpMaxResponseMs(code: number, v3: boolean): number {
  if (!v3 || code < 128) return code * 100;
  const exp = (code >> 4) & 7;
  const mant = code & 15;
  return ((mant | 16) << (exp + 3)) * 100;
}

function result(version: number, type: number, kind: MembershipRecord['kind'], group: string | null, records: GroupRecord[], maxResponseMs: number | null, error?: string): MembershipRecord {
  const r: MembershipRecord = { protocol: 'igmp', version, type, kind, group, records, maxResponseMs };
  if (error !== undefined) r.error = `igmp: ${error}`;
  return r;
}

/** Decode the IGMP message b[off..end). */
export function decodeIgmp(b: Uint8Array, off: number, end: number): MembershipRecord {
  const n = end - off;
  const type = n > 0 ? b[off] : 0;
  if (n < IGMP_HEADER_LEN) return result(0, type, 'other', null, [], null, `${n} bytes, a message needs ${IGMP_HEADER_LEN}`);
  const code = b[off + IGMP_FIELD.MAX_RESP];
  const group = ipv4Text(i32(b, off + IGMP_FIELD.GROUP));
  switch (type) {
    case IGMP_QUERY: {
      if (n < IGMP_V3_QUERY_LEN) return result(code === 0 ? 1 : 2, type, 'query', group, [], code * 100);
      const count = (b[off + IGMP_FIELD.V3_SOURCES] << 8) | b[off + IGMP_FIELD.V3_SOURCES + 1];
      const fit = Math.min(count, Math.floor((n - IGMP_V3_QUERY_LEN) / 4));
      const sources: string[] = [];
      for (let k = 0; k < fit; k++) sources.push(ipv4Text(i32(b, off + IGMP_V3_QUERY_LEN + 4 * k)));
      const records = sources.length ? [{ type: MODE_IS_INCLUDE, group, sources }] : [];
      return result(3, type, 'query', group, records, igmpMaxResponseMs(code, true), fit < count ? `query lists ${count} sources, ${fit} fit in ${n} bytes` : undefined);
    }
    case IGMP_V1_REPORT:
    case IGMP_V2_REPORT:
      return result(type === IGMP_V1_REPORT ? 1 : 2, type, 'report', group, [{ type: CHANGE_TO_EXCLUDE, group, sources: [] }], null);
    case IGMP_V2_LEAVE:
      return result(2, type, 'leave', group, [{ type: CHANGE_TO_INCLUDE, group, sources: [] }], null);
    case IGMP_V3_REPORT:
      return v3Report(b, off, end);
    default:
      return result(0, type, 'other', null, [], null, `unknown type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

function v3Report(b: Uint8Array, off: number, end: number): MembershipRecord {
  const count = (b[off + IGMP_FIELD.V3_REPORT_RECORDS] << 8) | b[off + IGMP_FIELD.V3_REPORT_RECORDS + 1];
  const records: GroupRecord[] = [];
  let p = off + IGMP_HEADER_LEN;
  for (let k = 0; k < count; k++) {
    if (end - p < IGMP_RECORD_HEADER_LEN) return result(3, IGMP_V3_REPORT, 'report', null, records, null, `report lists ${count} group records, ${k} fit`);
    const type = b[p];
    const auxBytes = b[p + 1] * 4;
    const nsrc = (b[p + 2] << 8) | b[p + 3];
    const group = ipv4Text(i32(b, p + 4));
    const size = IGMP_RECORD_HEADER_LEN + 4 * nsrc + auxBytes;
    if (end - p < size) return result(3, IGMP_V3_REPORT, 'report', null, records, null, `group record ${k + 1} (${group}) lists ${nsrc} sources past the end`);
    const sources: string[] = [];
    for (let s = 0; s < nsrc; s++) sources.push(ipv4Text(i32(b, p + IGMP_RECORD_HEADER_LEN + 4 * s)));
    records.push({ type, group, sources });
    p += size;
  }
  return result(3, IGMP_V3_REPORT, 'report', null, records, null);
}
