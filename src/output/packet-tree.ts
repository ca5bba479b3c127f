// `dissect -V`: every decoded field of a packet as an indented tree.

import type { PacketRecord } from '../../dissectors/types.js';
import { phbName, ecnName } from '../../dissectors/dscp.js';
import { linkTypeName } from '../../dissectors/link.js';
import { tcpFlagString } from '../../dissectors/tcp.js';
import { sanitize } from './sanitize.js';
import { isoTime } from '../common/time-format.js';
import { groupRecordName } from '../../dissectors/igmp.js';

const utf8 = new TextDecoder('utf-8');

/** A SIP message's text as sent, one escaped line per line (CRLF or LF ends one; leading blank lines go). */
export function asSentLines(text: string): string[] {
  const lines = text.replace(/^(\r?\n)+/, '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => sanitize(l.endsWith('\r') ? l.slice(0, -1) : l));
}

export function packetTree(rec: PacketRecord): string {
  const out: string[] = [];
  const t = rec.tsSec + rec.tsNsec / 1e9;
  out.push(`Frame ${rec.frame}: ${rec.len} bytes on wire, ${rec.caplen} captured${rec.truncated ? ' (truncated)' : ''}, interface ${rec.iface}`);
  out.push(`  Time: ${isoTime(t)} (${rec.tsSec}.${String(rec.tsNsec).padStart(9, '0')})`);
  out.push(`  Link: ${linkTypeName(rec.linkType)}${rec.vlans ? `, VLAN ${rec.vlans.join(' / ')}` : ''}`);
  for (const o of rec.outerIp ?? []) {
    out.push(`  Tunnel IPv${o.version}: ${o.src} -> ${o.dst}, DSCP ${o.dscp} (${phbName(o.dscp)}), proto ${o.proto}`);
  }
  const ip = rec.ip;
  if (ip) {
    out.push(`  IPv${ip.version}: ${ip.src} -> ${ip.dst}`);
    out.push(`    DSCP: ${ip.dscp} (${phbName(ip.dscp)})`);
    out.push(`    ECN: ${ip.ecn} (${ecnName(ip.ecn)})`);
    out.push(`    ${ip.version === 4 ? 'TTL' : 'Hop limit'}: ${ip.ttl}, protocol ${ip.proto}, id ${ip.id}`);
    if (ip.fragment) out.push(`    Fragment: offset ${ip.fragment.offset}, more fragments ${ip.fragment.moreFragments}`);
  }
  if (rec.transport === 'udp') out.push(`  UDP: ${rec.sport} -> ${rec.dport}, payload ${rec.payload?.length ?? 0} bytes`);
  if (rec.transport === 'tcp') {
    out.push(`  TCP: ${rec.sport} -> ${rec.dport}, payload ${rec.payload?.length ?? 0} bytes`);
    if (rec.tcp) {
      out.push(`    Flags: ${tcpFlagString(rec.tcp.flags)} (0x${rec.tcp.flags.toString(16).padStart(3, '0')})`);
      out.push(`    Seq: ${rec.tcp.seq}, Ack: ${rec.tcp.ack}, Window: ${rec.tcp.window}`);
    }
  }
  const m = rec.membership;
  if (m) {
    out.push(`  ${m.protocol === 'igmp' ? 'IGMP' : 'MLD (ICMPv6)'}: version ${m.version || '?'}, type ${m.type} (0x${m.type.toString(16).padStart(2, '0')}), ${m.kind}`);
    if (m.group !== null) out.push(`    Group: ${m.group}`);
    if (m.maxResponseMs !== null) out.push(`    Max response: ${m.maxResponseMs} ms`);
    if (m.kind === 'report' && m.version >= (m.protocol === 'igmp' ? 3 : 2)) out.push(`    Group records: ${m.records.length}`);
    for (const r of m.records) {
      out.push(`    Record: ${groupRecordName(r.type)} (${r.type}), group ${r.group}, ${r.sources.length} source${r.sources.length === 1 ? '' : 's'}`);
      for (const src of r.sources) out.push(`      Source: ${src}`);
    }
    if (m.error) out.push(`    Error: ${m.error}`);
  }
  if (rec.hb) out.push(`  MDS heartbeat: seq ${rec.hb.seq} (${rec.hb.byteOrder === 'le' ? 'little' : 'big'}-endian DWORD)`);
  if (rec.rtp) {
    const r = rec.rtp;
    out.push(`  RTP: PT ${r.payloadType}, seq ${r.seq}, timestamp ${r.timestamp}, SSRC 0x${r.ssrc.toString(16).padStart(8, '0')}${r.marker ? ', marker' : ''}`);
  }
  for (const m of rec.sip ?? []) {
    out.push(m.method !== undefined ? `  SIP request: ${sanitize(`${m.method} ${m.requestUri ?? ''} ${m.version}`)}` : `  SIP response: ${sanitize(`${m.version} ${m.status} ${m.reason ?? ''}`)}`);
    for (const h of m.headers) out.push(`    ${sanitize(h.name)}: ${sanitize(h.value)}`);
    if (m.sdp) {
      out.push(`    SDP: c=${sanitize(m.sdp.address ?? '-')}`);
      for (const md of m.sdp.media) {
        const maps = Object.entries(md.rtpmap).map(([pt, enc]) => `${pt}=${enc}`).join(' ');
        out.push(sanitize(`      m=${md.media} ${md.port} ${md.proto} [${md.payloadTypes.join(' ')}] c=${md.address ?? '-'} ${maps}`));
      }
    }
    if (m.error !== undefined) out.push(`    Error: ${sanitize(m.error)}`);
    // The message as it went on the wire (header case, folding and the whole body), each line escaped.
    if (m.raw) {
      out.push(`    As sent (${m.raw.length} bytes):`);
      for (const l of asSentLines(utf8.decode(m.raw))) out.push(`      ${l}`);
    }
  }
  if (rec.error) out.push(`  Error: ${sanitize(rec.error)}`);
  return out.join('\n');
}
