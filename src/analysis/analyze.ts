// `analyze`: one streaming pass over a capture through the pipeline, with the
// analyzers as consumers, giving one report per file.

import { countingSink, filterSink, type CaptureFilter } from '../sources/bpf.js';
import { readCapture } from '../sources/capture-reader.js';
import { CaptureError, newFacts, type CaptureFacts, type ReadProgress } from '../sources/types.js';
import { linkTypeName } from '../../dissectors/link.js';
import type { BatchConsumer } from '../pipeline/udp-batch.js';
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
import type { RtcpSpoken } from '../media/rtcp-tracker.js';
import { PartitionSink, type Partition } from '../pipeline/partition.js';
import { DEFAULT_DECODE_OPTIONS } from '../../dissectors/frame.js';
import { partRefusal, subtractContext } from './part-refusal.js';

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
  /** Called once the read is over, however it ended (before the report is made). */
  readDone?: () => void;
  /** This worker's share of a file split by conversation (src/pipeline/partition.ts); what the merge needs to know is left in it. */
  partition?: PartOfFile;
}

/** A worker's share of a split file: which part, and what the merge must know beside the report. */
export interface PartOfFile extends Partition {
  /** Set by analyzeFile: the health-check probe flows part 0 found, as flow keys. */
  probeFlows?: string[];
  /** Set by analyzeFile: the DSCP histogram's applications with the frame that first showed each. */
  dscpFirst?: Array<[app: string, frame: number]>;
  /** Set by analyzeFile: what the RTCP spoke of. */
  rtcp?: RtcpSpoken;
  /** Set by analyzeFile: why this part's report cannot be merged into the one a single worker gives, or null. */
  refusal?: string | null;
}

/** The analyzers of a file's report, by the report field each fills, in the order the pipeline feeds them. */
const ANALYZERS = ['protocols', 'sip', 'dscp', 'heartbeats', 'dscpAudit', 'sipAnalysis', 'rtp', 'cluster'] as const;
type AnalyzerName = typeof ANALYZERS[number];

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
  const fed: Record<AnalyzerName, PipelineConsumer> = { protocols, sip, dscp, heartbeats: hb, dscpAudit: audit, sipAnalysis, rtp: media, cluster };
  const part = extras.partition;
  // On parts other than 0, SIP seen only as context counts nowhere; the pipeline's SDP endpoint table still learns from it.
  const context = { on: false };
  if (part !== undefined && part.index > 0) {
    for (const a of ANALYZERS) fed[a] = contextRouted(fed[a] as BatchConsumer, context);
  }
  const pipeline = new Pipeline([...ANALYZERS.filter((a) => a !== 'rtp' || !extras.withoutMedia).map((a) => fed[a]), ...also], opts);
  const partSink = part !== undefined ? new PartitionSink(pipeline, part, opts.heartbeatPorts ?? DEFAULT_DECODE_OPTIONS.heartbeatPorts, context) : null;
  const facts = newFacts();
  let error: string | null = null;
  try {
    // -c counts what reaches the analyzers: below the filter. Neither asked, the pipeline reads directly.
    const limit = extras.count;
    const inner = partSink ?? pipeline;
    const counted = limit !== undefined ? countingSink(inner) : null;
    const sink = extras.filter ? filterSink(counted ?? inner, extras.filter) : counted ?? inner;
    const until = counted ? (): boolean => (extras.until?.() ?? false) || counted.count >= limit! : extras.until;
    await readCapture(path, sink, facts, until, extras.progress ?? null);
    extras.readDone?.();
  } catch (e) {
    extras.readDone?.();
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
  const report: FileReport = {
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
    pipeline: partSink !== null ? subtractContext(pipeline.stats, partSink.contextStats) : pipeline.stats,
    warnings: facts.warnings,
    error,
  };
  if (part !== undefined) {
    part.probeFlows = part.index === 0 ? [...cluster.probeFlows()] : [];
    part.rtcp = media.rtcpSpoken();
    part.dscpFirst = Object.keys(report.dscp).map((app, i) => [app, dscp.firstFrames[i]]);
    part.refusal = partRefusal(report, part.index, { heartbeat, cluster: extras.cluster, sip: extras.sip });
  }
  return report;
}

/** A consumer on a part other than 0: context records pass it by (the pipeline learned their SDP), the rest as usual. */
function contextRouted(c: BatchConsumer, context: { on: boolean }): BatchConsumer {
  return {
    add: (rec) => {
      if (!context.on) c.add(rec);
    },
    addUdpBatch: (b) => c.addUdpBatch(b),
    useFlows: (f) => c.useFlows?.(f),
    useSdpEndpoints: (sdp) => c.useSdpEndpoints?.(sdp),
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
