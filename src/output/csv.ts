// `--format csv`: one table per run for spreadsheets (RFC 4180: comma
// separated, CRLF rows, quoted where needed). Text that came from packets has
// its control characters made visible and is kept from being read as a
// formula by the spreadsheet.

import type { FileReport } from '../analysis/analyze.js';
import { phbName } from '../../dissectors/dscp.js';
import { observedByPackets, type FlowAudit } from '../dscp/audit.js';
import { isoTime } from '../common/time-format.js';
import { sanitize } from './sanitize.js';

export type CsvTable = 'streams' | 'flows' | 'calls' | 'rtp' | 'mesh' | 'health-checks' | 'multicast';
export const CSV_TABLES: readonly CsvTable[] = ['streams', 'flows', 'calls', 'rtp', 'mesh', 'health-checks', 'multicast'];

type Cell = string | number | boolean | null;

function cell(v: Cell): string {
  if (v === null) return '';
  if (typeof v !== 'string') return String(v);
  // Control characters and escape sequences made visible, as every other output shows them.
  const text = sanitize(v);
  // =, +, -, @ (and tab/CR) start a formula in Excel/LibreOffice: a quote mark makes it text (OWASP's
  // advice); a plain negative number is left a number.
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

const time = (t: number | null): string | null => (t === null ? null : isoTime(t));

function streamsTable(reports: FileReport[]): string {
  const header = [
    'file', 'stream', 'src', 'sport', 'dst', 'dport', 'byte_order', 'first_seq', 'last_seq', 'first_time', 'last_time',
    'received', 'lost', 'loss_runs', 'longest_miss_run', 'duplicates', 'reordered', 'restarts', 'failovers',
    'interval_min_ms', 'interval_p50_ms', 'interval_p99_ms', 'interval_max_ms', 'jitter_mean_ms', 'jitter_max_ms',
  ];
  const rows = reports.flatMap((r) => r.heartbeats.streams.map((s): Cell[] => [
    r.file, s.key, s.src, s.sport, s.dst, s.dport, s.byteOrder, s.firstSeq, s.lastSeq, time(s.firstTime), time(s.lastTime),
    s.received, s.lost, s.lossRuns, s.longestMissRun, s.duplicates, s.reordered, s.restarts, s.failovers,
    s.intervalMs?.min ?? null, s.intervalMs?.p50 ?? null, s.intervalMs?.p99 ?? null, s.intervalMs?.max ?? null,
    s.jitterMs?.mean ?? null, s.jitterMs?.max ?? null,
  ]));
  return csv(header, rows);
}

/** DSCP values by packets, most first: "EF:120;CS0:3". */
function observedCell(f: FlowAudit): string {
  return observedByPackets(f).map(([d, n]) => `${phbName(d)}:${n}`).join(';');
}

function flowsTable(reports: FileReport[]): string {
  const header = [
    'file', 'flow', 'transport', 'app', 'class', 'verdict', 'expected', 'accepted', 'observed', 'packets', 'off_policy', 'alternative',
    'mixed', 'asymmetric', 'reverse_flow', 'reverse_dscp', 'ecn_ect0', 'ecn_ect1', 'ecn_ce', 'first_time', 'last_time',
  ];
  const rows = reports.flatMap((r) => r.dscpAudit.flows.map((f): Cell[] => [
    r.file, f.flow, f.transport, f.app, f.class, f.verdict, f.expected.map(phbName).join(';'), f.accepted.map(phbName).join(';'),
    observedCell(f), f.packets, f.offPolicy, f.alternative, f.mixed, f.asymmetric,
    f.reverse?.flow ?? null, f.reverse ? phbName(f.reverse.dscp) : null, f.ecn.ect0, f.ecn.ect1, f.ecn.ce, time(f.first), time(f.last),
  ]));
  return csv(header, rows);
}

function callsTable(reports: FileReport[]): string {
  const header = [
    'file', 'call_id', 'from', 'to', 'caller', 'start', 'state', 'code', 'setup_ms', 'pdd_ms', 'ring_ms', 'duration_ms',
    'bye_from', 'messages', 'retransmissions', 'codecs', 'hosts', 'mos', 'worst_loss_percent', 'worst_jitter_ms', 'ack_ms', 'not_acked',
  ];
  const rows = reports.flatMap((r) => r.sipAnalysis.calls.calls.map((c): Cell[] => {
    const media = r.rtp.calls.find((m) => m.callId === c.callId);
    return [
      r.file, c.callId, c.from, c.to, c.caller, time(c.start), c.state, c.code, c.setupMs, c.pddMs, c.ringMs, c.durationMs,
      c.byeFrom, c.messages, c.retransmissions, [...new Set(c.media.flatMap((m) => m.codecs))].join(';'), c.hosts.join(';'),
      media?.mos ?? null, media?.lossPercent ?? null, media?.jitterMs ?? null, c.ackMs, c.noAck?.decided ?? null,
    ];
  }));
  return csv(header, rows);
}

/** One row per RTP stream: loss, sequence, timing, marking, quality and what RTCP reported. */
function rtpTable(reports: FileReport[]): string {
  const header = [
    'file', 'stream', 'ssrc', 'src', 'sport', 'dst', 'dport', 'call_id', 'codecs', 'clock_rate', 'first_time', 'last_time',
    'packets', 'expected', 'lost', 'loss_percent', 'duplicates', 'out_of_order', 'seq_errors', 'wraps', 'gap_runs', 'longest_gap',
    'delta_min_ms', 'delta_mean_ms', 'delta_max_ms', 'jitter_mean_ms', 'jitter_max_ms', 'markers', 'pt_changes', 'dtmf_packets',
    'dscp', 'ecn_ce', 'late', 'mos', 'r_factor', 'effective_loss_percent', 'burst_r', 'delay_ms',
    'rtcp_fraction_lost_percent', 'rtcp_cumulative_lost', 'rtcp_jitter_ms', 'rtcp_rtt_ms',
  ];
  const rows = reports.flatMap((r) => r.rtp.streams.map((s): Cell[] => [
    r.file, s.flow, s.ssrc, s.src, s.sport, s.dst, s.dport, s.callId, s.payloadTypes.map((p) => p.name).join(';'), s.clockRate, time(s.first), time(s.last),
    s.packets, s.expected, s.lost, s.lossPercent, s.duplicates, s.outOfOrder, s.seqErrors, s.wraps, s.gapRuns, s.longestGap,
    s.deltaMs?.min ?? null, s.deltaMs?.mean ?? null, s.deltaMs?.max ?? null, s.jitterMs?.mean ?? null, s.jitterMs?.max ?? null, s.markers, s.ptChanges, s.events.packets,
    Object.entries(s.dscp).map(([d, n]) => `${phbName(Number(d))}:${n}`).join(';'), s.ecn.ce, s.late,
    s.quality?.mos ?? null, s.quality?.rFactor ?? null, s.quality?.effectiveLossPercent ?? null, s.quality?.burstR ?? null, s.quality?.delayMs ?? null,
    s.rtcp?.fractionLostPercent ?? null, s.rtcp?.cumulativeLost ?? null, s.rtcp?.jitterMs ?? null, s.rtcp?.rttMs ?? null,
  ]));
  return csv(header, rows);
}

/** DSCP values by packets: "CS3:14;CS0:2". */
function markings(dscp: Record<number, number>): string {
  return Object.entries(dscp).sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0])).map(([d, n]) => `${phbName(Number(d))}:${n}`).join(';');
}

/** One row per link of the ICCS mesh (missing ones too), then the CTI and database links beside it. */
function meshTable(reports: FileReport[]): string {
  const header = [
    'file', 'service', 'a', 'b', 'port', 'state', 'connections', 'failed_attempts', 'up_time', 'down_time', 'resets', 'resets_by_a', 'resets_by_b',
    'bytes_a_to_b', 'bytes_b_to_a', 'packets_a_to_b', 'packets_b_to_a', 'dscp_a_to_b', 'dscp_b_to_a',
  ];
  const rows = reports.flatMap((r) => {
    const m = r.cluster.mesh;
    return [
      ...m.links.map((l): Cell[] => [
        r.file, 'iccs', l.a, l.b, m.port, l.state, l.connections, l.failedAttempts, time(l.upAt), time(l.downAt), l.resets, l.resetsByA, l.resetsByB,
        l.aToB.bytes, l.bToA.bytes, l.aToB.packets, l.bToA.packets, markings(l.aToB.dscp), markings(l.bToA.dscp),
      ]),
      // Beside the mesh, a is the client and b the server.
      ...m.services.map((s): Cell[] => [
        r.file, s.service, s.client, s.server, s.port, s.state, s.connections, s.failedAttempts, null, time(s.downAt), s.resets, null, null,
        s.toServer.bytes, s.toClient.bytes, s.toServer.packets, s.toClient.packets, markings(s.toServer.dscp), markings(s.toClient.dscp),
      ]),
    ];
  });
  return csv(header, rows);
}

function healthChecksTable(reports: FileReport[]): string {
  const header = [
    'file', 'checker', 'target', 'port', 'probes', 'failed', 'refused', 'unanswered', 'interval_s', 'first_time', 'last_time',
    'first_failure', 'last_failure', 'failing_since', 'dscp',
  ];
  const rows = reports.flatMap((r) => r.cluster.healthChecks.map((h): Cell[] => [
    r.file, h.checker, h.target, h.port, h.probes, h.failed, h.refused, h.unanswered, h.intervalS, time(h.first), time(h.last),
    time(h.firstFailure), time(h.lastFailure), time(h.failingSince), markings(h.dscp),
  ]));
  return csv(header, rows);
}

/** One row per multicast group member (role member) and per stream sent to a group (role stream); a group with neither gets one row. */
function multicastTable(reports: FileReport[]): string {
  const header = [
    'file', 'group', 'role', 'address', 'protocol', 'joined', 'left', 'sources', 'received_nothing', 'flow', 'ssrc', 'packets', 'lost', 'dscp', 'marked_ef', 'nobody_joined',
    'group_members_at_end', 'group_joins', 'group_leaves',
  ];
  const rows = reports.flatMap((r) => r.multicast.groups.flatMap((g) => {
    const tail: Cell[] = [g.members.join(';'), g.joins, g.leaves];
    const members = g.memberDetails.map((m): Cell[] => [
      r.file, g.group, 'member', m.address, m.protocol, time(m.joinedAt), time(m.leftAt), m.sources === null ? 'any' : m.sources.join(';'), m.receivedNothing,
      null, null, null, null, null, null, null, ...tail,
    ]);
    const streams = g.streams.map((s): Cell[] => [
      r.file, g.group, 'stream', s.src, null, time(s.first), time(s.last), null, null, s.flow, s.ssrc, s.packets, s.lost, markings(s.dscp), s.markedEf, s.nobodyJoined, ...tail,
    ]);
    return [...members, ...streams];
  }));
  return csv(header, rows);
}

export function csvTable(which: CsvTable, reports: FileReport[]): string {
  switch (which) {
    case 'streams':
      return streamsTable(reports);
    case 'flows':
      return flowsTable(reports);
    case 'calls':
      return callsTable(reports);
    case 'rtp':
      return rtpTable(reports);
    case 'mesh':
      return meshTable(reports);
    case 'health-checks':
      return healthChecksTable(reports);
    case 'multicast':
      return multicastTable(reports);
  }
}
