// The parts of a file analysed by several workers (src/pipeline/partition.ts)
// made into the report one worker gives (what a part may hold to be merged:
// part-refusal.ts).

import type { PipelineStats } from '../pipeline/pipeline.js';
import { MAX_TRACKED, type RtcpSpoken } from '../media/rtcp-tracker.js';
import type { RtcpReport } from '../media/analyzer.js';
import { mergeMedia } from '../media/merge.js';
import { mergeAudit } from '../dscp/merge.js';
import type { ProtocolCounts } from './protocol-counts.js';
import type { DscpHistogram } from './dscp-histogram.js';
import type { FileReport } from './analyze.js';

/** A part's report with what the merge needs beside it. */
export interface PartReport {
  report: FileReport;
  /** Health-check probe flows (part 0's). */
  probeFlows: string[];
  /** The DSCP histogram's applications with the frame that first showed each. */
  dscpFirst: Array<[app: string, frame: number]>;
  /** What the part's RTCP spoke of. */
  rtcp: RtcpSpoken;
}

/** The one-worker report from the parts' (in part order), or why there is none. */
export function mergeParts(parts: readonly PartReport[], overlaps: (r: FileReport) => FileReport['rtp']['failoverOverlaps']): FileReport | string {
  const first = parts[0].report;
  const reports = parts.map((p) => p.report);
  const dscpAudit = mergeAudit(reports.map((r) => r.dscpAudit));
  if (dscpAudit === null) return 'a flow the split cut';
  const probes = new Set(parts[0].probeFlows);
  if (probes.size > 0 && reports.slice(1).some((r) => r.dscpAudit.flows.some((f) => probes.has(f.flow)))) return 'health-check probes outside part 0';
  const rtcp = mergeRtcp(parts);
  if (typeof rtcp === 'string') return rtcp;
  const merged: FileReport = {
    ...first,
    rtcp,
    protocols: sumCounts(reports.map((r) => r.protocols)),
    dscp: mergeHistogram(parts),
    dscpAudit,
    rtp: mergeMedia(reports.map((r) => r.rtp)),
    pipeline: mergeStats(reports.map((r) => r.pipeline)),
  };
  // A bound no part reached that the whole file would have: one worker would have dropped state the parts kept
  // (the flow table bounds the DSCP audit's, the TCP connections' and the heartbeat shapes' per-flow state too).
  if (merged.pipeline.flows.interned > merged.pipeline.flows.capacity) return 'the flow table would have been full';
  if (merged.rtp.totals.streams > merged.rtp.params.maxStreams) return 'the RTP stream table would have been full';
  merged.rtp.failoverOverlaps = overlaps(merged);
  return merged;
}

/**
 * The RTCP counts summed, when each SSRC's RTCP and streams lie in one part:
 * a stream's receiver reports and round trip are looked up by SSRC, across
 * flows. The first errors are kept in file order only when one part had any.
 */
function mergeRtcp(parts: readonly PartReport[]): RtcpReport | string {
  const all = parts.map((p) => p.report.rtcp);
  if (!all.some((r) => r.datagrams > 0)) return all[0];
  if (parts.some((p) => p.rtcp.ssrcs === null || p.rtcp.evicted > 0)) return 'RTCP past its tables';
  if (parts.reduce((n, p) => n + p.rtcp.views, 0) > MAX_TRACKED || parts.reduce((n, p) => n + p.rtcp.srs, 0) > MAX_TRACKED) return 'RTCP past its tables';
  const partOf = new Map<number, number>();
  for (const [i, p] of parts.entries()) {
    const own = new Set([...p.rtcp.ssrcs!, ...p.report.rtp.streams.map((s) => Number.parseInt(s.ssrc, 16))]);
    for (const ssrc of own) {
      if ((partOf.get(ssrc) ?? i) !== i) return 'RTCP and RTP of one SSRC in two parts';
      partOf.set(ssrc, i);
    }
  }
  if (all.filter((r) => r.errors.length > 0).length > 1) return 'RTCP errors in two parts';
  const out: RtcpReport = { ...all[0], byType: { ...all[0].byType }, errors: all.find((r) => r.errors.length > 0)?.errors ?? [] };
  for (const r of all.slice(1)) {
    addFields(out, r, ['datagrams', 'compound', 'reducedSize', 'malformed', 'reportBlocks', 'xrVoipBlocks']);
    addFields(out.byType, r.byType, Object.keys(out.byType) as Array<keyof RtcpReport['byType']>);
  }
  return out;
}

/** out[k] += from[k] for each counter k. */
function addFields<K extends string>(out: Record<K, number>, from: Record<K, number>, keys: readonly K[]): void {
  for (const k of keys) out[k] += from[k];
}

function sumCounts(all: ProtocolCounts[]): ProtocolCounts {
  const out = { ...all[0] };
  for (const c of all.slice(1)) addFields(out, c, Object.keys(out) as Array<keyof ProtocolCounts>);
  return out;
}

/** Applications in the order the whole file first showed them, each value's packets summed. */
function mergeHistogram(parts: readonly PartReport[]): DscpHistogram {
  const firstFrame = new Map<string, number>();
  for (const p of parts) for (const [app, frame] of p.dscpFirst) firstFrame.set(app, Math.min(frame, firstFrame.get(app) ?? Infinity));
  const out: DscpHistogram = {};
  for (const app of [...firstFrame.keys()].sort((a, b) => firstFrame.get(a)! - firstFrame.get(b)!)) {
    const h: Record<number, number> = {};
    for (const p of parts) for (const [d, n] of Object.entries(p.report.dscp[app] ?? {})) h[Number(d)] = (h[Number(d)] ?? 0) + n;
    // Integer keys list in ascending order whatever the order they were set in, as in one worker's.
    out[app] = h;
  }
  return out;
}

function mergeStats(all: PipelineStats[]): PipelineStats {
  const out: PipelineStats = { ...all[0], flows: { ...all[0].flows } };
  for (const s of all.slice(1)) {
    addFields(out, s, ['frames', 'errors', 'fragmentsReassembled', 'tcpGapBytes', 'sipGarbageBytes']);
    addFields(out.flows, s.flows, ['interned', 'evicted']);
  }
  return out;
}
