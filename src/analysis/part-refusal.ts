// What a part of a file split by conversation (src/pipeline/partition.ts) may
// hold for split-parts.ts to merge it into exactly the report one worker
// gives. A part holding what the merge cannot join exactly (a bounded table
// that dropped state, multicast groups, heartbeats or cluster traffic outside
// part 0) refuses, and the file is read by one worker; what only the parts
// together show (RTCP about a stream in another part) is split-parts.ts's.

import type { PipelineStats } from '../pipeline/pipeline.js';
import type { DetectorParams } from '../heartbeat/params.js';
import type { ClusterParams } from '../cluster/params.js';
import { HeartbeatAnalyzer, type HeartbeatReport } from '../heartbeat/analyzer.js';
import { ClusterAnalyzer, type ClusterReport } from '../cluster/analyzer.js';
import type { MulticastReport } from '../cluster/multicast.js';
import { SipAnalyzer, type SipAnalysisParams, type SipAnalysisReport } from '../sip/analyzer.js';
import type { MediaReport, RtcpReport } from '../media/analyzer.js';
import type { DscpAuditReport } from '../dscp/audit.js';
import type { SipCounts } from './sip-counts.js';

/** The parts of a file's report a refusal looks at (analyze.ts's FileReport). */
export interface PartFacts {
  error: string | null;
  capture: { last: number | null };
  pipeline: PipelineStats;
  heartbeats: HeartbeatReport;
  sip: SipCounts;
  sipAnalysis: SipAnalysisReport;
  dscpAudit: DscpAuditReport;
  rtp: MediaReport;
  rtcp: RtcpReport;
  cluster: ClusterReport;
  multicast: MulticastReport;
}

export function subtractContext(s: PipelineStats, c: { frames: number; errors: number; fragmentsReassembled: number; tcpGapBytes: number; sipGarbageBytes: number; flows: number }): PipelineStats {
  return {
    frames: s.frames - c.frames, errors: s.errors - c.errors, fragmentsReassembled: s.fragmentsReassembled - c.fragmentsReassembled,
    tcpGapBytes: s.tcpGapBytes - c.tcpGapBytes, sipGarbageBytes: s.sipGarbageBytes - c.sipGarbageBytes,
    flows: { ...s.flows, interned: s.flows.interned - c.flows },
    // Every part learns every SDP (the others as context): their tables are the one table of one worker.
    sdpEndpoints: { ...s.sdpEndpoints },
  };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Why a part cannot be merged exactly, or null. */
export function partRefusal(r: PartFacts, index: number, p: { heartbeat: Partial<DetectorParams>; cluster?: Partial<ClusterParams>; sip?: Partial<SipAnalysisParams> }): string | null {
  if (r.error !== null) return 'the read stopped early';
  if (r.pipeline.flows.evicted > 0) return 'the flow table was full';
  if (r.rtp.totals.evicted > 0) return 'the RTP stream table was full';
  if (r.dscpAudit.totals.evicted > 0) return 'the DSCP audit table was full';
  if (r.pipeline.fragmentsReassembled > 0) return 'IP fragments';
  const cluster = new ClusterAnalyzer(p.cluster);
  cluster.report();
  if (!same(r.multicast, cluster.multicast([]))) return 'multicast groups';
  if (index === 0) return null;
  if (!same(r.heartbeats, new HeartbeatAnalyzer(p.heartbeat).report(r.capture.last))) return 'heartbeats outside the heartbeat ports';
  if (!same(r.cluster, new ClusterAnalyzer(p.cluster).report())) return 'cluster traffic outside part 0';
  if (!same(r.sipAnalysis, new SipAnalyzer(p.sip).report(r.capture.last)) || r.sip.messages > 0) return 'SIP outside part 0';
  return null;
}

