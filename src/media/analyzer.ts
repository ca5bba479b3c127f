// The media analyzer: a pipeline consumer that keeps one RtpStream per SSRC
// and direction of a 5-tuple, fed by the lane's columns (found by the
// pipeline's flow id and the SSRC: no string per packet) and by the records
// the lane leaves out (tunnels, reassembled datagrams), and learns from the SIP the
// pipeline decoded which call and SDP announced each stream (the payload
// map that gives dynamic payload types their clock rate). The table is
// bounded: when it is full the least recently seen eighth goes at once, and
// is counted (one sort per many new streams, instead of a recency list
// touched on every packet, which cost a fifth of analyze's time).

import type { PacketRecord } from '../../dissectors/types.js';
import { flowKey } from '../pipeline/flow-key.js';
import { SdpEndpoints, type SdpAnnouncement } from '../pipeline/sdp-endpoints.js';
import { FlowTable, NO_FLOW } from '../pipeline/flow-table.js';
import { BATCH_RTP, UdpBatch, type BatchConsumer } from '../pipeline/udp-batch.js';
import { payloadFormat, streamRtpmap } from './codecs.js';
import { decodeRtcp, looksLikeRtcp } from '../../dissectors/rtcp.js';
import { RtcpTracker, type RtcpSpoken, type RtcpTotals } from './rtcp-tracker.js';
import { burstRatio, codecImpairment, eModel } from './e-model.js';
import { RtpStream, RtpStreamTable, type StreamSdp } from './rtp-stream.js';
import { SharedValues } from './shared-values.js';
import type { MediaSeriesStore, SeriesTotals, StreamSeriesReport } from './stream-series.js';

export interface MediaParams {
  maxStreams: number;
  /** Fixed jitter buffer (ms): packets later than this behind their talkspurt's first are late. */
  jitterBufferMs: number;
}

export const DEFAULT_MEDIA_PARAMS: MediaParams = { maxStreams: 10_000, jitterBufferMs: 60 };
const MAX_SDP_ENDPOINTS = 16384;

export interface RtpStreamReport {
  /** flow#ssrc */
  key: string;
  flow: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** SSRC as 0x + 8 hex digits (as tshark prints it). */
  ssrc: string;
  packets: number;
  /** Highest extended sequence number - first + 1 (RFC 3550 A.3). */
  expected: number;
  /** Expected - distinct numbers received: never negative. */
  lost: number;
  lossPercent: number;
  duplicates: number;
  outOfOrder: number;
  /** Packets whose number was not the previous one + 1. */
  seqErrors: number;
  wraps: number;
  /** Runs of numbers skipped on arrival, and the longest run. */
  gapRuns: number;
  longestGap: number;
  /** The first 32 gaps: between the arrivals around them (epoch s), and how many numbers were missing. */
  gaps: Array<{ from: number; to: number; missing: number }>;
  /** RFC 4733 telephone-event packets, and repeated end-of-event packets (not duplicates). */
  events: { packets: number; repeatedEnds: number };
  firstSeq: number;
  lastSeq: number;
  first: number;
  last: number;
  deltaMs: { min: number; mean: number; max: number } | null;
  /** RFC 3550 interarrival jitter: the mean and max over the packets that count, and the last value. */
  jitterMs: { mean: number; max: number; last: number } | null;
  clockRate: number | null;
  payloadTypes: Array<{ pt: number; name: string; packets: number }>;
  ptChanges: number;
  markers: number;
  /** DSCP value -> packets. */
  dscp: Record<string, number>;
  ecn: { notEct: number; ect1: number; ect0: number; ce: number };
  /** Packets the fixed jitter buffer would have played too late (an effective loss, apart from `lost`). */
  late: number;
  /** Packets whose RTP timestamp lay before the first's (a sender's clock reset): left out of delta and jitter. */
  timestampsBehindFirst: number;
  /** What the stream's receiver reported of it over RTCP, beside the figures above; null when it sent nothing. */
  rtcp: {
    reports: number;
    fractionLostPercent: number;
    cumulativeLost: number;
    /** The reported jitter in ms (its timestamp units at the stream's clock), null when the clock is unknown. */
    jitterMs: number | null;
    rttMs: number | null;
    xr: { lossRatePercent: number; discardRatePercent: number; roundTripDelayMs: number; rFactor: number; mosLq: number; mosCq: number; jbNominalMs: number } | null;
  } | null;
  /** E-model score of the stream as a listener would hear it; null for a stream that is not voice (video clock, too few packets). */
  quality: StreamQuality | null;
  callId: string | null;
  sdp: StreamSdp | null;
  /** Jitter and loss over time (`analyze --json --rtp-series` only); null when the memory bound left the stream none. */
  series?: StreamSeriesReport | null;
}

export interface StreamQuality {
  codec: string;
  ie: number;
  bpl: number;
  /** Where Ie and Bpl come from. */
  source: string;
  /** Lost in the network, % of expected. */
  networkLossPercent: number;
  /** Late for the fixed jitter buffer, % of expected: lost to the listener though not to the network. */
  latePercent: number;
  effectiveLossPercent: number;
  burstR: number;
  jitterBufferMs: number;
  /** Mouth-to-ear delay used: jitter buffer + packet time + look-ahead + half the RTCP round trip when there is one. */
  delayMs: number;
  /** Half a round trip from RTCP went into the delay ('rtcp'), or none was seen ('none': network delay taken as 0). */
  delayBasis: 'rtcp' | 'none';
  id: number;
  ieEff: number;
  rFactor: number;
  mos: number;
}

/** A call's media: its streams, and the worse direction's score. */
export interface CallMedia {
  callId: string;
  streams: string[];
  /** The stream with the lowest MOS (or, with none scored, the most lost), and its figures. */
  worstStream: string;
  mos: number | null;
  rFactor: number | null;
  lossPercent: number;
  jitterMs: number | null;
}

export interface MediaTotals {
  streams: number;
  packets: number;
  lost: number;
  /** Streams dropped from the full table (their figures are in the totals above, not in `streams`). */
  evicted: number;
  /**
   * Missing sequence numbers forgotten past the MAX_HOLES a stream remembers:
   * a packet that came for one later was counted as late without being
   * checked for a duplicate.
   */
  holesForgotten: number;
}

export interface MediaReport {
  params: MediaParams;
  totals: MediaTotals;
  /** By first packet time. */
  streams: RtpStreamReport[];
  /** Streams grouped by the call whose SDP announced them, the worst MOS first. */
  calls: CallMedia[];
  /** Media gaps inside a heartbeat failover's window (filled by analyze, which has both). */
  failoverOverlaps: FailoverOverlap[];
  /** With each stream's series (`--rtp-series`): what the series' memory bounds widened or left out. */
  seriesTotals?: SeriesTotals;
}

/** A stream that lost packets while a heartbeat stream went silent to a failover: one fault seen twice. */
export interface FailoverOverlap {
  /** The failover's time and heartbeat stream. */
  failoverTime: number;
  heartbeatStream: string;
  /** The media stream, its packets missing in the window, and the first gap's start. */
  stream: string;
  missing: number;
  from: number;
}

/** `analyze --json`'s rtcp: what was read, by type; the per-stream views are in each stream's `rtcp`. */
export type RtcpReport = RtcpTotals;


export class MediaAnalyzer implements BatchConsumer {
  readonly params: MediaParams;
  private readonly table = new Map<string, RtpStream>();
  /** The streams' per-packet state, and by the pipeline's flow id the stream its last RTP packet belonged to (nearly always its only one). */
  private readonly rows: RtpStreamTable;
  private flows: FlowTable | null = null;
  /** A record's packet as row 0 of a batch of its own: records and the lane take the same path, and one shape of columns keeps it monomorphic. */
  private readonly one = new UdpBatch(new FlowTable(1));
  /** The media endpoints SDP announced: the pipeline's, or, fed records alone, one this analyzer learns itself. */
  private sdp = new SdpEndpoints(MAX_SDP_ENDPOINTS);
  private learnsSdp = true;
  private readonly totals: MediaTotals = { streams: 0, packets: 0, lost: 0, evicted: 0, holesForgotten: 0 };
  private readonly rtcp = new RtcpTracker();

  /** `series`: where each stream's figures over time are kept (the HTML report's); none by default. */
  constructor(params: Partial<MediaParams> = {}, private readonly series: MediaSeriesStore | null = null) {
    this.params = { ...DEFAULT_MEDIA_PARAMS, ...params };
    this.rows = new RtpStreamTable(this.params.jitterBufferMs / 1000, this.params.maxStreams);
  }

  useFlows(flows: FlowTable): void {
    this.flows = flows;
    this.rows.indexFlows(flows.capacity);
  }

  /** The pipeline learns every record's SDP before handing it on: read its table, learn none. */
  useSdpEndpoints(sdp: SdpEndpoints): void {
    this.sdp = sdp;
    this.learnsSdp = false;
  }

  readonly add = (rec: PacketRecord): void => {
    if (rec.sip !== null && this.learnsSdp) this.sdp.learn(rec);
    const rtp = rec.rtp;
    const ip = rec.ip;
    if (ip === null) return;
    if (rtp === null) {
      const p = rec.payload;
      if (rec.app === null && rec.transport === 'udp' && p !== null && looksLikeRtcp(p, 0, p.length)) {
        this.rtcp.add(rec.tsSec + rec.tsNsec / 1e9, decodeRtcp(p, 0, p.length));
      }
      return;
    }
    const one = this.one;
    one.tsSec[0] = rec.tsSec;
    one.tsNsec[0] = rec.tsNsec;
    one.tos[0] = (ip.dscp << 2) | ip.ecn;
    one.rtpSeq[0] = rtp.seq;
    one.rtpTimestamp[0] = rtp.timestamp;
    one.rtpSsrc[0] = rtp.ssrc;
    one.rtpMarkerPt[0] = (rtp.marker ? 0x80 : 0) | rtp.payloadType;
    const s = rec.flow !== NO_FLOW && this.flows !== null
      ? this.streamOf(this.flows, rec.flow, rtp.ssrc >>> 0)
      : this.stream(flowKey(rec), ip.src, ip.dst, rec.sport, rec.dport, rtp.ssrc);
    this.rows.take(s.slot, one, 0);
    this.rows.record(s.slot, one, 0);
  };

  addUdpBatch(batch: UdpBatch): void {
    if (this.flows !== batch.flows) this.useFlows(batch.flows);
    const n = batch.length;
    const flows = batch.flows;
    const generation = flows.generation;
    const rows = this.rows;
    const app = batch.app;
    const flow = batch.flow;
    const ssrcs = batch.rtpSsrc;
    const withSeries = this.series !== null;
    for (let i = 0; i < n; i++) {
      if (app[i] !== BATCH_RTP) continue;
      const id = flow[i];
      let row = rows.rowOf(id, generation[id], ssrcs[i] | 0);
      if (row < 0) row = this.streamOf(flows, id, ssrcs[i]).slot;
      rows.take(row, batch, i);
      if (withSeries) rows.record(row, batch, i);
    }
  }

  report(): MediaReport {
    const streams: RtpStreamReport[] = [];
    const totals = { ...this.totals };
    for (const s of this.table.values()) {
      this.bindLate(s);
      streams.push(streamReport(s, this.rtcp, this.params.jitterBufferMs));
      totals.packets += s.packets;
      totals.lost += s.lost;
      totals.holesForgotten += s.holesForgotten;
    }
    totals.streams += streams.length;
    streams.sort((a, b) => a.first - b.first || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { params: this.params, totals, streams, calls: callsOf(streams), failoverOverlaps: [] };
  }

  /** What the RTCP spoke of, for a split file's merge (src/analysis/split-parts.ts). */
  rtcpSpoken(): RtcpSpoken {
    return this.rtcp.spokenOf();
  }

  rtcpReport(): RtcpReport {
    const t = this.rtcp.totals;
    return { ...t, byType: { ...t.byType }, errors: [...t.errors] };
  }

  /** The stream of an SSRC on a flow by the pipeline's id, remembered as the flow's last. */
  private streamOf(flows: FlowTable, id: number, ssrc: number): RtpStream {
    const f = flows.info(id);
    const s = this.stream(f.key, f.src, f.dst, f.sport, f.dport, ssrc);
    this.rows.bindFlow(s, id, flows.generation[id]);
    return s;
  }

  /** A stream by its flow and SSRC, marked as recently seen; a new one when the table has none. */
  private stream(flow: string, src: string, dst: string, sport: number, dport: number, ssrc: number): RtpStream {
    const key = `${flow}#${ssrcHex(ssrc)}`;
    const known = this.table.get(key);
    if (known !== undefined) return known;
    const ids = { key, flow, src, dst, sport, dport, ssrc };
    if (this.table.size >= this.params.maxStreams) this.evictOldest();
    const s = this.rows.open(ids);
    this.bind(s);
    if (this.series !== null) s.series = this.series.open(key);
    this.table.set(key, s);
    return s;
  }

  /** The least recently seen eighth of the table (at least one stream) leaves it. */
  private evictOldest(): void {
    const byLast = [...this.table.values()].sort((a, b) => a.last - b.last);
    const n = Math.max(1, byLast.length >> 3);
    for (let k = 0; k < n; k++) {
      const s = byLast[k];
      this.table.delete(s.ids.key);
      this.series?.release(s.ids.key);
      this.totals.evicted++;
      this.totals.streams++;
      this.totals.packets += s.packets;
      this.totals.lost += s.lost;
      this.totals.holesForgotten += s.holesForgotten;
      this.rows.close(s);
    }
  }

  /** The SDP that announced the stream: its receiver's, else its sender's (symmetric RTP); both give the payload map. */
  private bind(s: RtpStream): void {
    const atDst = this.sdp.at(s.ids.dst, s.ids.dport)?.announcement ?? null;
    const atSrc = this.sdp.at(s.ids.src, s.ids.sport)?.announcement ?? null;
    const a = atDst ?? atSrc;
    s.sdp = a === null ? null : { callId: a.callId, sdp: { announcedBy: a.announcedBy, endpoint: a.endpoint, offer: a.offer, media: a.media, codecs: codecsOf(a) } };
    s.rtpmap = streamRtpmap(atSrc?.rtpmap ?? null, atDst?.rtpmap ?? null);
  }

  /** SDP seen after the stream started (early media, a re-INVITE) still names its call. */
  private bindLate(s: RtpStream): void {
    if (s.sdp === null) this.bind(s);
  }
}

export function ssrcHex(ssrc: number): string {
  return `0x${(ssrc >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

const ms = (s: number): number => Math.round(s * 1e6) / 1e3;

const pct = (x: number): number => Math.round(x * 1e5) / 1e3;

/** The worse direction of each call: the lowest MOS, else the most lost. */
export function callsOf(streams: RtpStreamReport[]): CallMedia[] {
  const byCall = new Map<string, RtpStreamReport[]>();
  for (const s of streams) if (s.callId !== null) byCall.set(s.callId, [...(byCall.get(s.callId) ?? []), s]);
  const out: CallMedia[] = [];
  for (const [callId, list] of byCall) {
    const worst = list.reduce((a, b) => (worse(b, a) ? b : a));
    const q = worst.quality;
    out.push({
      callId, streams: list.map((x) => x.key), worstStream: worst.key, mos: q?.mos ?? null, rFactor: q?.rFactor ?? null,
      lossPercent: Math.max(...list.map((x) => x.lossPercent)), jitterMs: Math.max(...list.map((x) => x.jitterMs?.mean ?? 0)),
    });
  }
  return out.sort((a, b) => (a.mos ?? 5) - (b.mos ?? 5) || (a.callId < b.callId ? -1 : 1));
}

function worse(a: RtpStreamReport, b: RtpStreamReport): boolean {
  const ma = a.quality?.mos ?? 5;
  const mb = b.quality?.mos ?? 5;
  return ma < mb || (ma === mb && a.lossPercent > b.lossPercent);
}

/** The voice payload type with most packets (events and comfort noise aside). */
function voiceFormat(s: RtpStream): { name: string; clockRate: number } | null {
  let best: { name: string; clockRate: number } | null = null;
  let most = 0;
  for (const [pt, n] of s.payloadTypeCounts()) {
    const f = payloadFormat(pt, s.rtpmap);
    if (f.event || f.comfortNoise || n <= most) continue;
    most = n;
    best = f;
  }
  return best;
}

function quality(s: RtpStream, rttMs: number | null, jitterBufferMs: number, ptimeMs: number | null): StreamQuality | null {
  const voice = voiceFormat(s);
  if (voice === null || voice.clockRate === 0 || voice.clockRate >= 90_000 || s.packets < 2) return null;
  const codec = codecImpairment(voice.name);
  const expected = s.expected;
  const networkLoss = expected > 0 ? (100 * s.lost) / expected : 0;
  const late = expected > 0 ? (100 * s.late) / expected : 0;
  const effective = networkLoss + late;
  const burstR = burstRatio(s.unique, s.lost, s.gapRuns);
  const delayMs = jitterBufferMs + (ptimeMs ?? 20) + codec.lookaheadMs + (rttMs !== null ? rttMs / 2 : 0);
  const e = eModel({ codec, lossPercent: effective, burstR, delayMs });
  const q: StreamQuality = {
    codec: codec.codec, ie: codec.ie, bpl: codec.bpl, source: codec.source,
    networkLossPercent: pct(networkLoss / 100), latePercent: pct(late / 100), effectiveLossPercent: pct(effective / 100), burstR,
    jitterBufferMs, delayMs: Math.round(delayMs * 1000) / 1000, delayBasis: rttMs !== null ? 'rtcp' : 'none', ...e,
  };
  return sharedScores.share(JSON.stringify(q), q);
}

/**
 * What most streams' reports have alike, shared (src/media/shared-values.ts):
 * the score of streams of the same codec and figures (every clean stream of a
 * capture has the same), the codec list of an SDP, no RFC 4733 events.
 */
const sharedScores = new SharedValues<StreamQuality>();
const sharedCodecs = new SharedValues<string[]>();
const NO_EVENTS = { packets: 0, repeatedEnds: 0 };

function codecsOf(sdp: SdpAnnouncement): string[] {
  const names = sdp.payloadTypes.map((pt) => payloadFormat(pt, sdp.rtpmap).name);
  return sharedCodecs.share(JSON.stringify(names), names);
}

function streamReport(s: RtpStream, rtcp: RtcpTracker, jitterBufferMs: number): RtpStreamReport {
  const said = rtcp.about(s.ids.ssrc);
  const meanDelta = s.deltaCount > 0 ? s.deltaSum / s.deltaCount : null;
  const ids = s.ids;
  const expected = s.expected;
  const lost = s.lost;
  const ecn = s.ecnCounts();
  const rtpmap = s.rtpmap;
  return {
    key: ids.key, flow: ids.flow, src: ids.src, sport: ids.sport, dst: ids.dst, dport: ids.dport, ssrc: ssrcHex(ids.ssrc),
    packets: s.packets, expected, lost, lossPercent: expected > 0 ? Math.round((lost / expected) * 1e5) / 1e3 : 0,
    duplicates: s.duplicates, outOfOrder: s.outOfOrder, seqErrors: s.seqErrors, wraps: s.wraps, gapRuns: s.gapRuns, longestGap: s.longestGap, gaps: s.gaps.map((g) => ({ ...g })),
    events: s.eventPackets === 0 && s.eventRepeats === 0 ? NO_EVENTS : { packets: s.eventPackets, repeatedEnds: s.eventRepeats },
    firstSeq: s.firstSeq, lastSeq: s.lastSeqNumber, first: s.first, last: s.last,
    deltaMs: s.deltaCount > 0 ? { min: ms(s.deltaMin), mean: ms(s.deltaSum / s.deltaCount), max: ms(s.deltaMax) } : null,
    jitterMs: s.jitterCount > 0 ? { mean: ms(s.jitterSum / s.jitterCount), max: ms(s.jitterMax), last: ms(s.jitter) } : null,
    clockRate: s.clockRate > 0 ? s.clockRate : null,
    payloadTypes: s.payloadTypeCounts().map(([pt, packets]) => ({ pt, name: payloadFormat(pt, rtpmap).name, packets })),
    ptChanges: s.ptChanges, markers: s.markers, dscp: s.dscpCounts(),
    ecn: { notEct: ecn[0], ect1: ecn[1], ect0: ecn[2], ce: ecn[3] },
    late: s.late,
    timestampsBehindFirst: s.tsBehindFirst,
    rtcp: said === null ? null : {
      reports: said.reports, fractionLostPercent: said.fractionLostPercent, cumulativeLost: said.cumulativeLost,
      jitterMs: s.clockRate > 0 ? ms(said.jitterTicks / s.clockRate) : null, rttMs: said.rttMs,
      xr: said.xr === null ? null : {
        lossRatePercent: pct(said.xr.lossRate), discardRatePercent: pct(said.xr.discardRate), roundTripDelayMs: said.xr.roundTripDelayMs,
        rFactor: said.xr.rFactor, mosLq: said.xr.mosLq, mosCq: said.xr.mosCq, jbNominalMs: said.xr.jbNominalMs,
      },
    },
    quality: quality(s, said?.rttMs ?? null, jitterBufferMs, meanDelta === null ? null : Math.round(meanDelta * 1000)),
    callId: s.sdp?.callId ?? null,
    sdp: s.sdp?.sdp ?? null,
  };
}
