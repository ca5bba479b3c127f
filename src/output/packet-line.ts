// `dissect` output: one tcpdump-like line per packet, a field tree (-V), or
// one JSON object per line.

import type { MembershipRecord, PacketRecord, SipMessage } from '../../dissectors/types.js';
import { groupRecordName } from '../../dissectors/igmp.js';
import { phbName, ecnName } from '../../dissectors/dscp.js';
import { linkTypeName } from '../../dissectors/link.js';
import { tcpFlagString } from '../../dissectors/tcp.js';
import { endpoint } from '../pipeline/flow-key.js';
import { sanitize } from './sanitize.js';
import { formatTime, type TimeStyle } from '../common/time-format.js';

export function sipLine(m: SipMessage): string {
  const start = m.method !== undefined ? `${m.method} ${m.requestUri ?? ''}` : `${m.status ?? '???'} ${m.reason ?? ''}`.trimEnd();
  const cseq = m.cseq ? ` (${m.cseq.seq} ${m.cseq.method})` : '';
  return sanitize(`${start}${cseq}`);
}

/** "v3 report: to-exclude 239.1.1.1, allow 232.1.1.1 [10.0.0.1]" */
export function membershipLine(m: MembershipRecord): string {
  const records = m.records.map((r) => `${groupRecordName(r.type)} ${r.group}${r.sources.length ? ` [${r.sources.join(' ')}]` : ''}`).join(', ');
  const what = m.version > 0 ? `v${m.version} ${m.kind}` : m.kind;
  if (m.kind === 'query') return `${what} ${m.group ?? ''}${m.maxResponseMs !== null ? ` max-resp=${m.maxResponseMs}ms` : ''}${records ? ` sources ${records}` : ''}`;
  return records ? `${what}: ${records}` : `${what} type=${m.type}`;
}

/** The protocol tag and the rest of the line. */
function appSummary(rec: PacketRecord): [string, string] {
  if (rec.membership) return [rec.membership.protocol.toUpperCase(), membershipLine(rec.membership)];
  switch (rec.app) {
    case 'mds-heartbeat':
      return ['MDS-HB', rec.hb ? `seq=${rec.hb.seq} ${rec.hb.byteOrder}` : ''];
    case 'sip':
      return ['SIP', rec.sip!.map(sipLine).join(' | ')];
    case 'sip-tls':
      return ['SIP-TLS', `encrypted len=${rec.payload?.length ?? 0}`];
    case 'sip-ws':
      return ['SIP-WS', rec.sip ? rec.sip.map(sipLine).join(' | ') : `len=${rec.payload?.length ?? 0}`];
    case 'rtp':
      return ['RTP', rec.rtp ? `pt=${rec.rtp.payloadType} seq=${rec.rtp.seq} ssrc=0x${rec.rtp.ssrc.toString(16).padStart(8, '0')}` : ''];
    default:
      break;
  }
  if (rec.transport === 'tcp' && rec.tcp) {
    return ['TCP', `[${tcpFlagString(rec.tcp.flags)}] seq=${rec.tcp.seq} ack=${rec.tcp.ack} len=${rec.payload?.length ?? 0}`];
  }
  if (rec.transport) return [rec.transport.toUpperCase(), `len=${rec.payload?.length ?? 0}`];
  if (rec.ip?.fragment) {
    const f = rec.ip.fragment;
    return [`IPv${rec.ip.version}`, `fragment off=${f.offset}${f.moreFragments ? ' +' : ''} proto=${rec.ip.proto}`];
  }
  if (rec.ip) return [`IPv${rec.ip.version}`, `proto=${rec.ip.proto}`];
  return [linkTypeName(rec.linkType).toUpperCase(), `len=${rec.len}`];
}

/** `time src:port > dst:port PROTO DSCP-name summary` */
export function packetLine(rec: PacketRecord, style: TimeStyle, origin: number): string {
  const time = formatTime(rec.tsSec, rec.tsNsec, style, origin);
  const [proto, summary] = appSummary(rec);
  let line: string;
  if (rec.ip) {
    const ip = rec.ip;
    const ends = rec.transport
      ? `${endpoint(ip.src, rec.sport)} > ${endpoint(ip.dst, rec.dport)}`
      : `${ip.src} > ${ip.dst}`;
    line = `${time} ${ends} ${proto} ${phbName(ip.dscp)}${ip.ecn ? `/${ecnName(ip.ecn)}` : ''} ${summary}`;
  } else line = `${time} ${proto} ${summary}`;
  if (rec.truncated) line += ' [truncated]';
  if (rec.error) line += ` [error: ${sanitize(rec.error)}]`;
  return line;
}

/** The JSON object `dissect --json` prints per packet. */
export interface PacketJson {
  frame: number;
  time: number;
  caplen: number;
  len: number;
  linkType: string;
  truncated: boolean;
  vlans?: number[];
  tunnels?: Array<{ src: string; dst: string; dscp: number }>;
  src: string | null;
  dst: string | null;
  ipVersion: 4 | 6 | null;
  sport: number | null;
  dport: number | null;
  transport: string | null;
  dscp: number | null;
  phb: string | null;
  ecn: string | null;
  tcpFlags?: string;
  app: string | null;
  hb?: { seq: number; byteOrder: string };
  rtp?: { payloadType: number; seq: number; ssrc: number };
  sip?: SipJson;
  sipMore?: SipJson[];
  /** Group membership, named as tshark's protocols are (igmp.type, mld...). */
  igmp?: MembershipJson;
  mld?: MembershipJson;
  error: string | null;
}

export interface MembershipJson {
  version: number;
  type: number;
  kind: string;
  group?: string;
  maxResponseMs?: number;
  records: Array<{ type: number; group: string; sources: string[] }>;
}

function membershipJson(m: MembershipRecord): MembershipJson {
  const j: MembershipJson = { version: m.version, type: m.type, kind: m.kind, records: m.records.map((r) => ({ type: r.type, group: r.group, sources: r.sources })) };
  if (m.group !== null) j.group = m.group;
  if (m.maxResponseMs !== null) j.maxResponseMs = m.maxResponseMs;
  return j;
}

export interface SipJson {
  method?: string;
  status?: number;
  reason?: string;
  requestUri?: string;
  callId: string | null;
  cseq: string | null;
  from: string | null;
  to: string | null;
  error?: string;
}

function sipJson(m: SipMessage): SipJson {
  const j: SipJson = {
    callId: m.callId, cseq: m.cseq ? `${m.cseq.seq} ${m.cseq.method}` : null, from: m.from, to: m.to,
  };
  if (m.method !== undefined) {
    j.method = m.method;
    j.requestUri = m.requestUri;
  } else {
    j.status = m.status;
    j.reason = m.reason;
  }
  if (m.error !== undefined) j.error = m.error;
  return j;
}

export function packetJson(rec: PacketRecord): PacketJson {
  const ip = rec.ip;
  const j: PacketJson = {
    frame: rec.frame,
    time: Number(`${rec.tsSec}.${String(rec.tsNsec).padStart(9, '0')}`),
    caplen: rec.caplen,
    len: rec.len,
    linkType: linkTypeName(rec.linkType),
    truncated: rec.truncated,
    src: ip?.src ?? null,
    dst: ip?.dst ?? null,
    ipVersion: ip?.version ?? null,
    sport: rec.transport ? rec.sport : null,
    dport: rec.transport ? rec.dport : null,
    transport: rec.transport,
    dscp: ip ? ip.dscp : null,
    phb: ip ? phbName(ip.dscp) : null,
    ecn: ip ? ecnName(ip.ecn) : null,
    app: rec.app,
    error: rec.error,
  };
  if (rec.vlans) j.vlans = rec.vlans;
  if (rec.outerIp) j.tunnels = rec.outerIp.map((o) => ({ src: o.src, dst: o.dst, dscp: o.dscp }));
  if (rec.tcp) j.tcpFlags = tcpFlagString(rec.tcp.flags);
  if (rec.hb) j.hb = { seq: rec.hb.seq, byteOrder: rec.hb.byteOrder };
  if (rec.rtp) j.rtp = { payloadType: rec.rtp.payloadType, seq: rec.rtp.seq, ssrc: rec.rtp.ssrc };
  if (rec.membership) j[rec.membership.protocol] = membershipJson(rec.membership);
  if (rec.sip && rec.sip.length > 0) {
    j.sip = sipJson(rec.sip[0]);
    if (rec.sip.length > 1) j.sipMore = rec.sip.slice(1).map(sipJson);
  }
  return j;
}
