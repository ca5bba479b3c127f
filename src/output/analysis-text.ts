// The text form of an `analyze` report.

import type { FileReport } from '../analysis/analyze.js';
import { phbName } from '../../dissectors/dscp.js';
import { isoTime } from '../common/time-format.js';
import { table } from './table.js';
import { sanitize } from './sanitize.js';
import { heartbeatText } from './heartbeat-text.js';
import { sipAnalysisText } from './sip-text.js';
import { dscpAuditText } from './dscp-audit-text.js';
import { failoverMediaText, qualityByFlow, rtpText } from './rtp-text.js';
import { clusterText } from './cluster-text.js';
import { multicastText } from './multicast-text.js';
import type { FlowTableStats } from '../pipeline/flow-table.js';
import type { SdpTableStats } from '../pipeline/sdp-endpoints.js';

function section(title: string, body: string): string {
  return `${title}\n${body}\n`;
}

export function analysisText(r: FileReport): string {
  const out: string[] = [];
  const c = r.capture;
  const ifaces = c.interfaces.map((i) => `${i.linkTypeName}${c.interfaces.length > 1 ? `#${i.index}` : ''} (${i.tsResolution})`).join(', ');
  out.push(section(`== ${sanitize(r.file)}`, [
    `  format     ${c.format}${c.gzip ? ' (gzip)' : ''}, ${c.byteOrder === 'le' ? 'little' : 'big'}-endian`,
    `  link       ${ifaces || '-'}`,
    `  packets    ${c.packets}${c.truncatedPackets ? ` (${c.truncatedPackets} truncated by snaplen)` : ''}, ${c.bytes} bytes captured`,
    `  span       ${c.first !== null ? isoTime(c.first) : '-'} .. ${c.last !== null ? isoTime(c.last) : '-'} (${c.spanSeconds.toFixed(3)} s)`,
    ...flowTableLine(r.pipeline.flows),
    ...sdpTableLine(r.pipeline.sdpEndpoints),
  ].join('\n')));

  const p = r.protocols;
  out.push(section('Protocols', table(['layer', 'frames'], [
    ['ipv4', p.ipv4], ['ipv6', p.ipv6], ['non-ip', p.nonIp], ['vlan-tagged', p.vlanTagged], ['tunnelled', p.tunnelled],
    ['ip fragments', p.fragments], ['udp', p.udp], ['tcp', p.tcp], ['tcp rst', p.tcpRst],
    ['mds-heartbeat', p.mdsHeartbeat], ['sip', p.sip], ['sip-tls', p.sipTls], ['sip-ws', p.sipWs], ['rtp', p.rtp], ['igmp', p.igmp], ['mld', p.mld], ['errors', p.errors],
  ].filter(([, n]) => (n as number) > 0))));

  out.push(heartbeatText(r.heartbeats, c.first) + failoverMediaText(r.rtp));
  const cluster = clusterText(r.cluster, c.first ?? 0);
  if (cluster) out.push(cluster);
  const multicast = multicastText(r.multicast, c.first ?? 0);
  if (multicast) out.push(multicast);

  const s = r.sip;
  const methods = Object.entries(s.requests).sort((a, b) => b[1] - a[1]);
  const codes = Object.entries(s.responses).sort((a, b) => Number(a[0]) - Number(b[0]));
  out.push(section(`SIP messages (${s.messages}${s.malformed ? `, ${s.malformed} malformed` : ''})`, s.messages === 0 ? '  none' : [
    table(['method', 'count'], methods.map(([m, n]) => [sanitize(m), n])),
    table(['status', 'count'], codes.map(([m, n]) => [m, n])),
    ...Object.entries(s.deviations).map(([d, n]) => `  ${n} ${d}: parsed whole, not counted as malformed`),
  ].join('\n')));
  if (r.sipAnalysis.messages > 0) out.push(sipAnalysisText(r.sipAnalysis, c.first));

  const apps = Object.keys(r.dscp).sort();
  out.push(section('DSCP by application', apps.length === 0 ? '  none' : table(['application', 'marking (packets)'], apps.map((a) => [
    a,
    Object.entries(r.dscp[a]).sort((x, y) => y[1] - x[1]).map(([d, n]) => `${phbName(Number(d))}(${d})×${n}`).join(' '),
  ]))));
  out.push(rtpText(r.rtp, r.rtcp));
  out.push(dscpAuditText(r.dscpAudit, qualityByFlow(r.rtp)));
  for (const w of r.warnings) out.push(`warning: ${w}\n`);
  return out.join('\n');
}

/** Said only when the SDP endpoint table was full: a stream whose announcement it let go is known as RTP by its shape only. */
function sdpTableLine(t: SdpTableStats): string[] {
  return t.evicted > 0 ? [`  sdp        the table of media endpoints from SDP (${t.capacity}) let ${t.evicted} go to bound memory (their streams are told RTP by their shape only, with no call named)`] : [];
}

/** Said only when the flow table was full: the flows it let go took the per-flow state kept by their ids with them. */
function flowTableLine(f: FlowTableStats): string[] {
  return f.evicted > 0 ? [`  flows      ${f.interned} UDP/TCP flows; the flow table (${f.capacity}) let ${f.evicted} go to bound memory (the DSCP audit judged each as it left, the cluster views closed its TCP connection out as it stood)`] : [];
}
