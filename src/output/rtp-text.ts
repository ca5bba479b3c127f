// The text form of the media analysis: one row per RTP stream (loss,
// sequence faults, jitter, marking, MOS, what its receiver reported over
// RTCP), and the calls' worse direction.

import { phbName } from '../../dissectors/dscp.js';
import type { MediaReport, RtcpReport, RtpStreamReport } from '../media/analyzer.js';
import { MAX_HOLES } from '../media/rtp-stream.js';
import { sanitize } from './sanitize.js';
import { table } from './table.js';
import { isoTime } from '../common/time-format.js';

const MAX_ROWS = 50;

/** Most used marking first, e.g. "EF" or "EF 150, CS0 150". */
export function markingText(s: Pick<RtpStreamReport, 'dscp'>): string {
  const byCount = Object.entries(s.dscp).sort((a, b) => b[1] - a[1]);
  return byCount.length === 1 ? phbName(Number(byCount[0][0])) : byCount.map(([d, n]) => `${phbName(Number(d))} ${n}`).join(', ');
}

/** "MOS 4.41 (R 93.2)" or '-' for a stream with no score. */
export function mosText(s: RtpStreamReport): string {
  return s.quality === null ? '-' : `${s.quality.mos.toFixed(2)}`;
}

function codecs(s: RtpStreamReport): string {
  return sanitize(s.payloadTypes.map((p) => p.name).join('/'));
}

function faults(s: RtpStreamReport): string {
  const out: string[] = [];
  if (s.duplicates) out.push(`${s.duplicates} dup`);
  if (s.outOfOrder) out.push(`${s.outOfOrder} late-order`);
  if (s.wraps) out.push(`${s.wraps} wrap`);
  if (s.ptChanges) out.push(`${s.ptChanges} PT change`);
  if (s.events.packets) out.push(`${s.events.packets} DTMF${s.events.repeatedEnds ? ` (${s.events.repeatedEnds} repeated ends)` : ''}`);
  if (s.late) out.push(`${s.late} late for the buffer`);
  if (s.timestampsBehindFirst) out.push(`${s.timestampsBehindFirst} ts reset`);
  if (s.rtcp) {
    const r = s.rtcp;
    const parts = [`RTCP: ${r.fractionLostPercent} % lost, cum ${r.cumulativeLost}`];
    if (r.jitterMs !== null) parts.push(`jitter ${r.jitterMs} ms`);
    if (r.rttMs !== null) parts.push(`RTT ${r.rttMs} ms`);
    if (r.xr) parts.push(`XR MOS-LQ ${r.xr.mosLq}`);
    out.push(parts.join(', '));
  }
  return out.join('; ');
}

export function rtpText(m: MediaReport, rtcp: RtcpReport): string {
  const t = m.totals;
  const lines = [`RTP streams (${t.streams}; ${t.packets} packets, ${t.lost} lost; jitter buffer ${m.params.jitterBufferMs} ms for the MOS)`];
  if (m.streams.length === 0) lines.push('  none');
  else {
    // Worst first: the stream an engineer opens the capture for.
    const rows = [...m.streams].sort((a, b) => (a.quality?.mos ?? 5) - (b.quality?.mos ?? 5) || b.lossPercent - a.lossPercent || a.first - b.first);
    lines.push(table(
      ['stream', 'ssrc', 'codec', 'packets', 'lost', 'loss %', 'jitter ms', 'max delta ms', 'dscp', 'mos', 'notes'],
      rows.slice(0, MAX_ROWS).map((s) => [
        s.flow, s.ssrc, codecs(s), s.packets, s.lost, s.lossPercent,
        s.jitterMs === null ? '-' : `${s.jitterMs.mean}/${s.jitterMs.max}`, s.deltaMs === null ? '-' : String(s.deltaMs.max),
        markingText(s), mosText(s), faults(s),
      ]),
    ));
    if (rows.length > MAX_ROWS) lines.push(`  ... ${rows.length - MAX_ROWS} more streams (--json or --format csv --table rtp lists every one)`);
  }
  if (t.evicted) lines.push(`  ${t.evicted} streams left the table to bound memory; their packets and loss are in the totals`);
  if (t.holesForgotten) lines.push(`  ${t.holesForgotten} missing sequence numbers forgotten past the ${MAX_HOLES} a stream remembers: a packet that came for one later counted as late, unchecked for a duplicate`);
  if (m.calls.length) {
    lines.push('', `Call media (${m.calls.length}; the worse direction)`);
    lines.push(table(['call-id', 'streams', 'mos', 'R', 'worst loss %', 'worst jitter ms'], m.calls.map((c) => [
      sanitize(c.callId), c.streams.length, c.mos === null ? '-' : c.mos.toFixed(2), c.rFactor === null ? '-' : String(c.rFactor), c.lossPercent, c.jitterMs ?? '-',
    ])));
  }
  if (rtcp.datagrams > 0) {
    const b = rtcp.byType;
    lines.push(`RTCP: ${rtcp.datagrams} datagrams (${rtcp.compound} compound, ${rtcp.reducedSize} reduced-size, ${rtcp.malformed} malformed): `
      + `SR ${b.SR}, RR ${b.RR}, SDES ${b.SDES}, BYE ${b.BYE}, APP ${b.APP}, XR ${b.XR} (${rtcp.xrVoipBlocks} VoIP metrics)`);
    for (const e of rtcp.errors) lines.push(`  malformed: ${sanitize(e)}`);
  }
  return lines.join('\n') + '\n';
}

/** Under the heartbeat timeline: media that lost packets inside a failover's window. */
export function failoverMediaText(m: MediaReport): string {
  if (m.failoverOverlaps.length === 0) return '';
  return ['  media loss inside failover windows (the same fault seen by the calls):', table(['failover', 'heartbeat stream', 'media stream', 'missing'],
    m.failoverOverlaps.map((o) => [isoTime(o.failoverTime), o.heartbeatStream, o.stream, o.missing]), '    ')].join('\n') + '\n';
}

/** flow -> "MOS 3.80, 5 % lost" of its worst stream, for the DSCP audit's notes. */
export function qualityByFlow(m: MediaReport): Map<string, string> {
  const out = new Map<string, string>();
  const worst = new Map<string, RtpStreamReport>();
  for (const s of m.streams) {
    const w = worst.get(s.flow);
    if (w === undefined || (s.quality?.mos ?? 5) < (w.quality?.mos ?? 5)) worst.set(s.flow, s);
  }
  for (const [flow, s] of worst) out.set(flow, `${s.quality ? `MOS ${s.quality.mos.toFixed(2)}, ` : ''}${s.lossPercent} % lost, jitter ${s.jitterMs?.mean ?? '-'} ms`);
  return out;
}
