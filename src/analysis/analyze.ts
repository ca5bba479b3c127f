// `analyze`: one streaming pass over a capture through the pipeline, with the
// analyzers as consumers, giving one report per file.

import { countingSink, filterSink, type CaptureFilter } from '../sources/bpf.js';
import { readCapture } from '../sources/capture-reader.js';
import { CaptureError, newFacts, type CaptureFacts, type ReadProgress } from '../sources/types.js';
import { linkTypeName } from '../../dissectors/link.js';
import { Pipeline, type PipelineConsumer, type PipelineOptions, type PipelineStats } from '../pipeline/pipeline.js';
import { ProtocolCounter, type ProtocolCounts } from './protocol-counts.js';
import { SipCounter, type SipCounts } from './sip-counts.js';
import { SipAnalyzer, type SipAnalysisParams, type SipAnalysisReport } from '../sip/analyzer.js';
import { DscpCounter, type DscpHistogram } from './dscp-histogram.js';
import { HeartbeatAnalyzer, type HeartbeatReport } from '../heartbeat/analyzer.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { DscpAudit, type DscpAuditReport } from '../dscp/audit.js';
import { defaultPolicy } from '../dscp/default-policy.js';
import type { DscpPolicy } from '../dscp/policy.js';
import { ClusterAnalyzer, type ClusterReport } from '../cluster/analyzer.js';
import type { ClusterParams } from '../cluster/params.js';
import type { MulticastReport } from '../cluster/multicast.js';
import { MediaAnalyzer, type FailoverOverlap, type MediaParams, type MediaReport, type RtcpReport } from '../media/analyzer.js';
import { MediaSeriesStore } from '../media/stream-series.js';

export interface CaptureSummary {
  format: string;
  byteOrder: string;
  gzip: boolean;
  interfaces: Array<{ index: number; linkType: number; linkTypeName: string; snaplen: number; tsResolution: string }>;
  packets: number;
  truncatedPackets: number;
  bytes: number;
  first: number | null;
  last: number | null;
  spanSeconds: number;
}

export interface FileReport {
  file: string;
  capture: CaptureSummary;
  protocols: ProtocolCounts;
  heartbeats: HeartbeatReport;
  sip: SipCounts;
  /** Transactions, calls and OPTIONS keepalives (src/sip/). */
  sipAnalysis: SipAnalysisReport;
  dscp: DscpHistogram;
  /** Per-flow DSCP verdicts against the policy (the built-in one unless --policy). */
  dscpAudit: DscpAuditReport;
  /** RTP streams: loss, sequence, jitter, marking, call (src/media/). */
  rtp: MediaReport;
  /** RTCP read, by packet type (what receivers reported of each stream is in its rtp.streams[].rtcp). */
  rtcp: RtcpReport;
  /** The call-processing mesh, CTI and database links, load balancer health checks, CRLF keepalives (src/cluster/). */
  cluster: ClusterReport;
  /** Multicast groups: members over time from IGMP/MLD, the RTP streams sent to each (src/cluster/multicast.ts). */
  multicast: MulticastReport;
  pipeline: PipelineStats;
  warnings: string[];
  /** The error that stopped the read early; what came before it is still reported. */
  error: string | null;
}

function resolutionName(unitsPerSec: number): string {
  const names: Record<number, string> = { 1: 's', 100: 'cs', 1000: 'ms', 1e6: 'us', 1e9: 'ns' };
  return names[unitsPerSec] ?? `1/${unitsPerSec}s`;
}

export function summarizeCapture(f: CaptureFacts): CaptureSummary {
  return {
    format: f.format ?? 'unknown',
    byteOrder: f.byteOrder ?? 'unknown',
    gzip: f.gzip,
    interfaces: f.interfaces.map((i, index) => ({
      index, linkType: i.linkType, linkTypeName: linkTypeName(i.linkType), snaplen: i.snaplen, tsResolution: resolutionName(i.tsUnitsPerSec),
    })),
    packets: f.packets,
    truncatedPackets: f.truncatedPackets,
    bytes: f.bytesCaptured,
    first: f.firstTs,
    last: f.lastTs,
    spanSeconds: f.firstTs !== null && f.lastTs !== null ? f.lastTs - f.firstTs : 0,
  };
}

/** Settings of the analyzers beyond the pipeline and heartbeat ones. */
export interface AnalyzeExtras {
  /** The DSCP policy to audit against; the built-in default when absent. */
  dscpPolicy?: DscpPolicy;
  /** SIP transaction timeout and table sizes. */
  sip?: Partial<SipAnalysisParams>;
  /** Kept up to date as the file is read, for a progress display. */
  progress?: ReadProgress;
  /** RTP stream table size and jitter buffer. */
  media?: Partial<MediaParams>;
  /** Keeps each RTP stream's jitter and loss over time (the HTML report's plots); none kept when absent. */
  mediaSeries?: MediaSeriesStore;
  /** Each RTP stream's jitter and loss over time in the report itself (`analyze --json --rtp-series`). */
  rtpSeries?: boolean;
  /** Asked after each packet: true stops the read there (Ctrl-C), and the report covers what was read. */
  until?: () => boolean;
  /** Only the packets this capture filter selects are analysed (tcpdump's language). */
  filter?: CaptureFilter;
  /** Stop after this many packets analysed (those the filter selects), as tcpdump -c. */
  count?: number;
  /** Cluster ports (ICCS, CTI, database) and table sizes. */
  cluster?: Partial<ClusterParams>;
  /** Leave the RTP/RTCP statistics out (the benchmark's "media off" run, to time what they cost): the report's rtp is empty. */
  withoutMedia?: boolean;
}

/** `also`: further consumers to run in the same pass (e.g. two-vantage correlation; one of records only makes the pipeline fill the lane from records). */
export async function analyzeFile(
  path: string,
  opts: Partial<PipelineOptions> = {},
  heartbeat: Partial<DetectorParams> = {},
  also: PipelineConsumer[] = [],
  extras: AnalyzeExtras = {},
): Promise<FileReport> {
  const protocols = new ProtocolCounter();
  const sip = new SipCounter();
  const sipAnalysis = new SipAnalyzer(extras.sip);
  const dscp = new DscpCounter();
  const hb = new HeartbeatAnalyzer(heartbeat);
  const audit = new DscpAudit(extras.dscpPolicy ?? defaultPolicy());
  const series = extras.mediaSeries ?? (extras.rtpSeries ? new MediaSeriesStore() : null);
  const media = new MediaAnalyzer(extras.media, series);
  const cluster = new ClusterAnalyzer(extras.cluster);
  // Every analyzer takes the pipeline's lane; a further consumer of records only makes the pipeline fill it from records.
  const pipeline = new Pipeline([protocols, sip, dscp, hb, audit, sipAnalysis, ...(extras.withoutMedia ? [] : [media]), cluster, ...also], opts);
  const facts = newFacts();
  let error: string | null = null;
  try {
    // -c counts what reaches the analyzers: below the filter. Neither asked, the pipeline reads directly.
    const limit = extras.count;
    const counted = limit !== undefined ? countingSink(pipeline) : null;
    const sink = extras.filter ? filterSink(counted ?? pipeline, extras.filter) : counted ?? pipeline;
    const until = counted ? (): boolean => (extras.until?.() ?? false) || counted.count >= limit! : extras.until;
    await readCapture(path, sink, facts, until, extras.progress ?? null);
  } catch (e) {
    // Nothing was read: there is no report to give, only the error.
    if (!(e instanceof CaptureError) || facts.format === null) throw e;
    error = e.message;
  }
  const heartbeats = hb.report(facts.lastTs);
  const rtp = media.report();
  rtp.failoverOverlaps = failoverOverlaps(heartbeats, rtp);
  if (extras.rtpSeries && series !== null) {
    for (const s of rtp.streams) s.series = series.get(s.key);
    rtp.seriesTotals = series.totals();
  }
  const clusterReport = cluster.report();
  return {
    file: path,
    capture: summarizeCapture(facts),
    protocols: protocols.counts,
    heartbeats,
    sip: sip.counts,
    sipAnalysis: sipAnalysis.report(facts.lastTs),
    dscp: dscp.histogram,
    dscpAudit: audit.report(cluster.probeFlows()),
    rtp,
    rtcp: media.rtcpReport(),
    cluster: clusterReport,
    multicast: cluster.multicast(rtp.streams),
    pipeline: pipeline.stats,
    warnings: facts.warnings,
    error,
  };
}

/**
 * Media gaps inside a failover's window (from the last heartbeat heard to the
 * declaration): the same network fault seen by the cluster and by the calls.
 */
export function failoverOverlaps(hb: HeartbeatReport, rtp: MediaReport): FailoverOverlap[] {
  const out: FailoverOverlap[] = [];
  for (const e of hb.events) {
    if (e.type !== 'failover') continue;
    // Every failover meets every stream: summed in place, no array per pair (thousands of streams in a long capture).
    for (const s of rtp.streams) {
      let missing = 0;
      let from = 0;
      let any = false;
      for (const g of s.gaps) {
        if (g.to < e.lastHeard || g.from > e.time) continue;
        if (!any) from = g.from;
        any = true;
        missing += g.missing;
      }
      if (any) out.push({ failoverTime: e.time, heartbeatStream: e.stream, stream: s.key, missing, from });
    }
  }
  return out;
}
