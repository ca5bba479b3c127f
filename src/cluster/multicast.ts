// Multicast paging (seed 004): a paging server sends G.711 RTP to multicast
// groups, marked EF; the phones join a group (IGMP for IPv4, MLD for IPv6)
// for the page and leave after. This follows every group's membership from
// the reports and leaves (members over time), takes the RTP streams sent to
// it from the media analysis at report time (no per-packet work here), and
// says what does not fit: members that joined but were sent nothing while
// joined, and streams sent to a group nobody had joined.
//
// Membership per host follows RFC 3376 6.4 in short: EXCLUDE mode is a
// member (of any source but those listed), INCLUDE mode a member when it
// lists sources; a v2 leave or MLD done, or TO_INCLUDE with no sources,
// leaves. Bounded: groups, members per group, changes kept per group.

import type { MembershipRecord, PacketRecord } from '../../dissectors/types.js';
import { ALLOW_NEW_SOURCES, BLOCK_OLD_SOURCES, CHANGE_TO_EXCLUDE, CHANGE_TO_INCLUDE, MODE_IS_EXCLUDE, MODE_IS_INCLUDE } from '../../dissectors/igmp.js';
import type { RtpStreamReport } from '../media/analyzer.js';
import { compareAddresses } from './addresses.js';

export interface MulticastMember {
  address: string;
  /** igmpv1, igmpv2, igmpv3, mldv1, mldv2: what it last spoke. */
  protocol: string;
  /** The first join, and the last leave (null while a member at the end). */
  joinedAt: number;
  leftAt: number | null;
  joins: number;
  leaves: number;
  /** Source-specific (INCLUDE) membership: the sources; null for any source (EXCLUDE). */
  sources: string[] | null;
  /** Joined, yet no stream was sent to the group while it was a member. */
  receivedNothing: boolean;
}

export interface MulticastStream {
  flow: string;
  src: string;
  sport: number;
  dport: number;
  ssrc: string;
  codecs: string[];
  packets: number;
  lost: number;
  first: number;
  last: number;
  /** DSCP value -> packets. */
  dscp: Record<string, number>;
  /** Every packet EF, as paging media must be (seed 004). */
  markedEf: boolean;
  mos: number | null;
  /** No member was joined at any time while it was sent. */
  nobodyJoined: boolean;
}

export interface MulticastGroup {
  group: string;
  /** Members at the end of the capture. */
  members: string[];
  joins: number;
  leaves: number;
  /** Members after each change, in time order (bounded: changesDropped says how many were left out). */
  membersOverTime: Array<{ time: number; members: number }>;
  changesDropped: number;
  memberDetails: MulticastMember[];
  membersDropped: number;
  streams: MulticastStream[];
  /** Addresses that joined and were sent nothing while members. */
  silentMembers: string[];
  queries: number;
}

export interface MulticastReport {
  groups: MulticastGroup[];
  /** Membership messages read: reports (joins and leaves included), queries, malformed ones. */
  reports: number;
  queries: number;
  errors: number;
  groupsDropped: number;
}

const MAX_GROUPS = 1024;
const MAX_MEMBERS = 1024;
const MAX_CHANGES = 256;
const EF = 46;

interface MemberState extends Omit<MulticastMember, 'receivedNothing' | 'sources'> {
  member: boolean;
  /** INCLUDE-mode sources; null in EXCLUDE mode. */
  include: Set<string> | null;
  /** Membership spans [from, to or null], for matching streams. */
  spans: Array<[number, number | null]>;
}

interface GroupState {
  group: string;
  members: Map<string, MemberState>;
  joins: number;
  leaves: number;
  changes: Array<{ time: number; members: number }>;
  changesDropped: number;
  membersDropped: number;
  queries: number;
}

/** 224.0.0.0/4 or ff00::/8. */
export function isMulticast(addr: string): boolean {
  if (addr.includes(':')) return addr.toLowerCase().startsWith('ff');
  const first = Number(addr.slice(0, addr.indexOf('.')));
  return first >= 224 && first <= 239;
}

/** Link-local scope groups every host joins (all-hosts, all-routers, IGMPv3/MLDv2 report addresses) are not paging groups. */
function isControlGroup(group: string): boolean {
  return group.startsWith('224.0.0.') || /^ff02::(1|2|16|1:ff)/i.test(group) || group === '0.0.0.0' || group === '::';
}

export class MulticastTracker {
  private readonly groups = new Map<string, GroupState>();
  private groupsDropped = 0;
  private reports = 0;
  private queries = 0;
  private errors = 0;

  readonly add = (rec: PacketRecord): void => {
    const m = rec.membership;
    if (m === null || rec.ip === null) return;
    if (m.error !== undefined) this.errors++;
    const t = rec.tsSec + rec.tsNsec / 1e9;
    if (m.kind === 'query') {
      this.queries++;
      if (m.group !== null && !isControlGroup(m.group)) {
        const g = this.group(m.group);
        if (g) g.queries++;
      }
      return;
    }
    if (m.kind !== 'report' && m.kind !== 'leave') return;
    this.reports++;
    for (const r of m.records) this.record(rec.ip.src, protocolName(m), r.type, r.group, r.sources, t);
  };

  private group(addr: string): GroupState | null {
    let g = this.groups.get(addr);
    if (g === undefined) {
      if (this.groups.size >= MAX_GROUPS) {
        this.groupsDropped++;
        return null;
      }
      g = { group: addr, members: new Map(), joins: 0, leaves: 0, changes: [], changesDropped: 0, membersDropped: 0, queries: 0 };
      this.groups.set(addr, g);
    }
    return g;
  }

  private record(host: string, protocol: string, type: number, group: string, sources: string[], t: number): void {
    if (isControlGroup(group)) return;
    const g = this.group(group);
    if (g === null) return;
    let s = g.members.get(host);
    if (s === undefined) {
      if (g.members.size >= MAX_MEMBERS) {
        g.membersDropped++;
        return;
      }
      s = { address: host, protocol, joinedAt: t, leftAt: null, joins: 0, leaves: 0, member: false, include: new Set(), spans: [] };
      g.members.set(host, s);
    }
    s.protocol = protocol;
    switch (type) {
      case MODE_IS_EXCLUDE:
      case CHANGE_TO_EXCLUDE:
        s.include = null;
        break;
      case MODE_IS_INCLUDE:
      case CHANGE_TO_INCLUDE:
        s.include = new Set(sources);
        break;
      case ALLOW_NEW_SOURCES:
        if (s.include !== null) for (const x of sources) s.include.add(x);
        break;
      case BLOCK_OLD_SOURCES:
        if (s.include !== null) for (const x of sources) s.include.delete(x);
        break;
      default:
        return;
    }
    const now = s.include === null || s.include.size > 0;
    if (now === s.member) return;
    s.member = now;
    if (now) {
      if (s.joins === 0) s.joinedAt = t;
      s.joins++;
      g.joins++;
      s.leftAt = null;
      s.spans.push([t, null]);
    } else {
      s.leaves++;
      g.leaves++;
      s.leftAt = t;
      s.spans[s.spans.length - 1][1] = t;
    }
    let count = 0;
    for (const x of g.members.values()) if (x.member) count++;
    if (g.changes.length < MAX_CHANGES) g.changes.push({ time: t, members: count });
    else g.changesDropped++;
  }

  /** The groups, with the RTP streams the media analysis found sent to multicast addresses. */
  report(rtp: readonly RtpStreamReport[]): MulticastReport {
    const byGroup = new Map<string, RtpStreamReport[]>();
    for (const s of rtp) {
      if (!isMulticast(s.dst)) continue;
      if (!this.groups.has(s.dst)) this.group(s.dst);
      const list = byGroup.get(s.dst) ?? [];
      list.push(s);
      byGroup.set(s.dst, list);
    }
    const groups: MulticastGroup[] = [];
    for (const g of this.groups.values()) {
      const members = [...g.members.values()];
      const sent = byGroup.get(g.group) ?? [];
      const overlaps = (spans: Array<[number, number | null]>, from: number, to: number): boolean =>
        spans.some(([a, b]) => a <= to && (b === null || b >= from));
      const details: MulticastMember[] = members.map((m) => ({
        address: m.address, protocol: m.protocol, joinedAt: m.joinedAt, leftAt: m.leftAt, joins: m.joins, leaves: m.leaves,
        sources: m.include === null ? null : [...m.include].sort(compareAddresses),
        receivedNothing: m.joins > 0 && !sent.some((s) => overlaps(m.spans, s.first, s.last)),
      })).sort((a, b) => compareAddresses(a.address, b.address));
      const streams: MulticastStream[] = sent.map((s) => ({
        flow: s.flow, src: s.src, sport: s.sport, dport: s.dport, ssrc: s.ssrc, codecs: s.payloadTypes.map((p) => p.name), packets: s.packets, lost: s.lost,
        first: s.first, last: s.last, dscp: { ...s.dscp }, markedEf: Object.keys(s.dscp).every((d) => Number(d) === EF), mos: s.quality?.mos ?? null,
        nobodyJoined: !members.some((m) => overlaps(m.spans, s.first, s.last)),
      }));
      groups.push({
        group: g.group,
        members: members.filter((m) => m.member).map((m) => m.address).sort(compareAddresses),
        joins: g.joins, leaves: g.leaves, membersOverTime: g.changes, changesDropped: g.changesDropped,
        memberDetails: details, membersDropped: g.membersDropped, streams,
        silentMembers: details.filter((d) => d.receivedNothing).map((d) => d.address),
        queries: g.queries,
      });
    }
    groups.sort((a, b) => compareAddresses(a.group, b.group));
    return { groups, reports: this.reports, queries: this.queries, errors: this.errors, groupsDropped: this.groupsDropped };
  }
}

function protocolName(m: MembershipRecord): string {
  return `${m.protocol}v${m.version}`;
}
