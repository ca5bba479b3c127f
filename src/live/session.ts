// A live view's state: the same pipeline and analyzers as `analyze`, fed
// frame by frame, with time injected (packet timestamps offline, a clock
// live) so a failover during silence is declared by `tick`, not by a packet.
// `snapshot(now)` turns the analyzers' state into the plain view model the
// terminal UI and the event lines draw from.

import type { PacketRecord } from '../../dissectors/types.js';
import { TCP_RST } from '../../dissectors/types.js';
import { Pipeline, type PipelineOptions, type RecordConsumer } from '../pipeline/pipeline.js';
import { BATCH_HEARTBEAT, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';
import { RecencyMap } from '../common/bounded-map.js';
import { endpoint, flowKey, pairKeyOf } from '../pipeline/flow-key.js';
import type { FrameHandler } from '../sources/types.js';
import { HeartbeatAnalyzer } from '../heartbeat/analyzer.js';
import type { HeartbeatEvent } from '../heartbeat/events.js';
import type { StreamReport } from '../heartbeat/detector.js';
import { missesAfter, type DetectorParams } from '../heartbeat/params.js';
import { SipAnalyzer, type SipAnalysisParams } from '../sip/analyzer.js';
import { CallFlowCollector, type CallFlow } from '../sip/call-flow.js';
import { DscpAudit } from '../dscp/audit.js';
import { MediaAnalyzer, type MediaParams } from '../media/analyzer.js';
import { defaultPolicy } from '../dscp/default-policy.js';
import type { DscpPolicy } from '../dscp/policy.js';
import { ClusterAnalyzer } from '../cluster/analyzer.js';
import type { ClusterParams } from '../cluster/params.js';
import { dscpLiveEvent, heartbeatLiveEvent, keepaliveLiveEvent, meshLiveEvent, resetLiveEvent, sipTimeoutLiveEvent } from './live-events.js';
import { clusterSection, mediaSection, type CaptureCountersView, type HeartbeatDirection, type HeartbeatPairRow, type LiveEvent, type LiveSnapshot, type SourceInfo } from './view-model.js';

export interface SessionOptions {
  source: SourceInfo;
  pipeline?: Partial<PipelineOptions>;
  heartbeat?: Partial<DetectorParams>;
  dscpPolicy?: DscpPolicy;
  sip?: Partial<SipAnalysisParams>;
  /** RTP quality as analyze measures it (jitter buffer, table size). */
  media?: Partial<MediaParams>;
  /** Cluster ports (ICCS, CTI, database) and table sizes, as analyze takes them. */
  cluster?: Partial<ClusterParams>;
  /** Told of every event as it is found. */
  onEvent?: (e: LiveEvent) => void;
  /** Further consumers of the session's decoded records (the HEP sink), so nothing decodes a frame twice. */
  consumers?: RecordConsumer[];
  /** False while the frame being handled carries no real DSCP (HEP from an agent that sends no TOS): kept out of the DSCP audit. */
  dscpKnown?: () => boolean;
  /** Told of the heartbeat detector's events as they are found, typed (the protobuf stream's). */
  onHeartbeatEvent?: (e: HeartbeatEvent) => void;
}

/** Recent intervals kept per stream for the sparkline. */
const RECENT = 48;
/** Events kept for the events pane. */
const MAX_EVENTS = 500;
/** Calls shown (most recent first) and calls whose messages are kept for the ladder. */
const MAX_CALL_ROWS = 1000;
const MAX_LADDERS = 200;
const MAX_LADDER_MESSAGES = 500;
/** Streams tracked for the sparkline; the detector has its own cap. */
const MAX_STREAMS = 4096;
/** A stream shows RESTARTED this long after its sender restarted. */
const RESTART_SHOWN_SEC = 10;
/** Packets-per-second is measured over this window. */
const RATE_WINDOW_SEC = 2;

interface Recent {
  last: number;
  intervals: number[];
}

interface RecentFailover {
  time: number;
  noticedBy: string;
}

interface PendingReset {
  time: number;
  src: string;
  pair: string;
  flow: string;
}

/** Failovers remembered per host pair for tying resets to. */
const FAILOVERS_PER_PAIR = 8;

export class LiveSession {
  readonly frame: FrameHandler;
  private readonly pipeline: Pipeline;
  private readonly hb: HeartbeatAnalyzer;
  private readonly sip: SipAnalyzer;
  private readonly audit: DscpAudit;
  private readonly media: MediaAnalyzer;
  private readonly cluster: ClusterAnalyzer;
  private readonly recent = new RecencyMap<string, Recent>();
  private readonly restartedAt = new Map<string, number>();
  /** Host pairs that exchange heartbeats, with their recent failovers (newest last). */
  private readonly peers = new RecencyMap<string, RecentFailover[]>();
  /**
   * Resets not tied yet: a failover may still be declared that claims them (a
   * receiver resets at its fifth deadline, before the grace runs out; a run
   * proven by sequence numbers is declared when its reorder window closes).
   */
  private pendingResets: PendingReset[] = [];
  private readonly ladders = new RecencyMap<string, CallFlowCollector>();
  private readonly events: LiveEvent[] = [];
  private readonly reported = { violations: new Set<string>(), failingKeepalives: new Set<string>(), meshEvents: new Set<string>() };
  private readonly rate: Array<{ t: number; packets: number }> = [];
  private counters: CaptureCountersView = { kernelDrops: null, interfaceDrops: null };
  private lastTs: number | null = null;
  private startedAt: number | null = null;
  private ended = false;
  private finalSip: ReturnType<SipAnalyzer['snapshot']> | null = null;

  constructor(private readonly opts: SessionOptions) {
    this.hb = new HeartbeatAnalyzer(opts.heartbeat, (e) => this.heartbeatEvent(e));
    this.sip = new SipAnalyzer(opts.sip, (tx, at) => {
      // OPTIONS failures show as the keepalive pair failing; one event per ping would drown the pane.
      if (tx.method !== 'OPTIONS') this.emit(sipTimeoutLiveEvent(tx, at.sec + at.nsec / 1e9, this.sip.params.transactionTimeoutMs));
    });
    this.audit = new DscpAudit(opts.dscpPolicy ?? defaultPolicy());
    const known = opts.dscpKnown;
    const a = this.audit;
    const audit: BatchConsumer = known
      ? { add: (rec) => (known() ? a.add(rec) : undefined), addUdpBatch: (b) => (known() ? a.addUdpBatch(b) : undefined), useFlows: (f) => a.useFlows(f) }
      : a;
    this.media = new MediaAnalyzer(opts.media);
    this.cluster = new ClusterAnalyzer(opts.cluster);
    const pipeline = new Pipeline([this.hb, audit, this.sip, this.media, this.cluster, this.watch, ...(opts.consumers ?? [])], opts.pipeline);
    this.pipeline = pipeline;
    // The same lane as analyze, handed on at once: a verdict waits for no batch to fill.
    this.frame = (info, bytes) => {
      if (!pipeline.frameInPlace(info, bytes, 0)) pipeline.frame(info, bytes);
      pipeline.flush();
    };
  }

  get params(): DetectorParams {
    return this.hb.detector.params;
  }

  /** New heartbeat settings from now on (SIGHUP re-reads --config). */
  setHeartbeatParams(p: Partial<DetectorParams>): DetectorParams {
    this.hb.detector.setParams(p);
    return this.hb.detector.params;
  }

  /** Let time pass: a stream gone silent fails over here, with no packet to tell. */
  tick(now: number): void {
    this.settleResets(now);
  }

  /** The capture's own counters (kernel drops), when the source has them. */
  setCounters(c: CaptureCountersView): void {
    const before = this.counters.kernelDrops ?? 0;
    this.counters = c;
    const dropped = (c.kernelDrops ?? 0) - before;
    if (dropped > 0) this.emit({ time: this.lastTs ?? 0, kind: 'capture-drops', severity: 'warn', subject: this.opts.source.name, text: `the kernel dropped ${dropped} packets (buffer full): analyses are missing them` });
  }

  /** An event found elsewhere (a monitor's event feed), shown with the session's own. */
  external(e: LiveEvent): void {
    this.emit(e);
  }

  /**
   * The source has no more packets: heartbeat gaps and open SIP transactions
   * are settled as `analyze` settles them, at the last packet's time.
   */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.lastTs !== null) this.hb.detector.finish(this.lastTs);
    this.settleResets(Infinity);
    const r = this.sip.report(this.lastTs);
    this.finalSip = { calls: r.calls, keepalives: r.keepalives };
  }

  /** The session's clock starts (live: when capture starts; files: at the first packet). */
  start(now: number): void {
    this.startedAt ??= now;
  }

  /** Every heartbeat stream's figures so far (for the protobuf stream's closing records). */
  streamReports(): StreamReport[] {
    return this.hb.detector.streamReports();
  }

  get packets(): number {
    return this.pipeline.stats.frames;
  }

  ladder(callId: string): CallFlow | null {
    return this.ladders.peek(callId)?.flow() ?? null;
  }

  /** Message `index` of a kept call's ladder as sent (not escaped yet), or null. */
  rawMessage(callId: string, index: number): string | null {
    return this.ladders.peek(callId)?.rawText(index) ?? null;
  }

  /** The kept calls with a message whose text as sent matches, and which of their messages do. */
  searchMessages(re: RegExp): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const [callId, c] of this.ladders.entries()) {
      const hits = c.find(re);
      if (hits.length) out.set(callId, hits);
    }
    return out;
  }

  /** The view at `now`; also reports DSCP violations and failing keepalives found since the last one. */
  snapshot(now: number): LiveSnapshot {
    this.tick(now);
    const sip = this.finalSip ?? this.sip.snapshot(now);
    const audit = this.audit.report(this.cluster.probeFlowsSoFar());
    for (const f of audit.flows) {
      if (f.verdict !== 'violation') break;
      const key = `${f.transport} ${f.flow}`;
      if (!this.reported.violations.has(key) && this.reported.violations.size < MAX_STREAMS) {
        this.reported.violations.add(key);
        this.emit(dscpLiveEvent(f, now));
      }
    }
    for (const k of sip.keepalives) {
      const key = `${k.requester}>${k.responder}`;
      if (k.unhealthy && !this.reported.failingKeepalives.has(key)) {
        this.reported.failingKeepalives.add(key);
        this.emit(keepaliveLiveEvent(k, now));
      } else if (!k.unhealthy) this.reported.failingKeepalives.delete(key);
    }
    const media = this.media.report();
    const cluster = this.cluster.snapshot(media.streams);
    // The mesh report tells a link's whole life each time: each event is told once.
    for (const e of cluster.mesh.events) {
      const key = `${e.type} ${e.time} ${e.a} ${e.b}`;
      if (this.reported.meshEvents.has(key) || this.reported.meshEvents.size >= MAX_STREAMS) continue;
      this.reported.meshEvents.add(key);
      this.emit(meshLiveEvent(e));
    }
    this.rate.push({ t: now, packets: this.packets });
    while (this.rate.length > 2 && now - this.rate[1].t >= RATE_WINDOW_SEC) this.rate.shift();
    const since = this.rate[0];
    const span = now - since.t;
    const elapsedSec = this.startedAt === null ? 0 : Math.max(0, now - this.startedAt);
    const calls = sip.calls.calls.slice(-MAX_CALL_ROWS).reverse();
    return {
      source: this.opts.source,
      now,
      elapsedSec,
      packets: this.packets,
      // A file read at its own speed: the capture's average (a window over packet time read in bursts means nothing).
      pps: span > 0 && this.opts.source.kind !== 'file' ? (this.packets - since.packets) / span : elapsedSec > 0 ? this.packets / elapsedSec : 0,
      drops: this.counters,
      errors: this.pipeline.stats.errors,
      heartbeatIntervalMs: this.params.intervalMs,
      heartbeats: this.heartbeatRows(now),
      calls,
      keepalives: sip.keepalives,
      dscp: audit.flows,
      dscpTotals: audit.totals,
      media: mediaSection(media, calls),
      cluster: clusterSection(cluster),
      // Found in detection order (a loss is settled a second after it began): shown by event time.
      events: [...this.events].reverse().sort((a, b) => b.time - a.time),
      ended: this.ended,
    };
  }

  private emit(e: LiveEvent): void {
    this.events.push(e);
    if (this.events.length > MAX_EVENTS) this.events.shift();
    this.opts.onEvent?.(e);
  }

  private heartbeatEvent(e: HeartbeatEvent): void {
    if (e.type === 'restart') this.restartedAt.set(e.stream, e.time);
    this.opts.onHeartbeatEvent?.(e);
    this.emit(heartbeatLiveEvent(e, this.params));
    if (e.type === 'failover') {
      const pair = pairKeyOf(e.noticedBy, e.peer);
      const list = this.peers.get(pair) ?? [];
      list.push({ time: e.time, noticedBy: e.noticedBy });
      if (list.length > FAILOVERS_PER_PAIR) list.shift();
      this.peers.set(pair, list);
      this.settleResets(-Infinity);
    }
  }

  /** Per packet: times, sparkline intervals, resets between heartbeat peers, ladder messages. */
  private readonly watch: BatchConsumer = {
    add: (rec: PacketRecord): void => {
      const t = this.arrived(rec.tsSec + rec.tsNsec / 1e9);
      const ip = rec.ip;
      if (!ip) return;
      if (rec.hb && rec.app === 'mds-heartbeat') this.heartbeatHeard(flowKey(rec), ip.src, ip.dst, t);
      else if (rec.tcp && rec.tcp.flags & TCP_RST) this.reset(rec, t);
      if (rec.sip) this.keepForLadder(rec);
    },
    addUdpBatch: (batch: UdpBatch): void => {
      for (let i = 0; i < batch.length; i++) {
        const t = this.arrived(batch.tsSec[i] + batch.tsNsec[i] / 1e9);
        if (batch.app[i] !== BATCH_HEARTBEAT) continue;
        const f = batch.flows.info(batch.flow[i]);
        this.heartbeatHeard(f.key, f.src, f.dst, t);
      }
    },
  };

  /** A packet at `t`: the session's times move, and detector time with them. */
  private arrived(t: number): number {
    if (this.lastTs === null || t > this.lastTs) this.lastTs = t;
    this.startedAt ??= t;
    this.settleResets(t);
    return t;
  }

  private heartbeatHeard(key: string, src: string, dst: string, t: number): void {
    this.heard(key, t);
    const pair = pairKeyOf(src, dst);
    if (!this.peers.has(pair)) this.peers.set(pair, []);
    while (this.peers.size > MAX_STREAMS) this.peers.delete(this.peers.oldestKey()!);
  }

  private heard(key: string, t: number): void {
    const r = this.recent.get(key);
    if (!r) {
      this.recent.set(key, { last: t, intervals: [] });
      if (this.recent.size > MAX_STREAMS) this.recent.delete(this.recent.oldestKey()!);
      return;
    }
    if (t > r.last) {
      r.intervals.push((t - r.last) * 1000);
      if (r.intervals.length > RECENT) r.intervals.shift();
      r.last = t;
    }
  }

  private reset(rec: PacketRecord, t: number): void {
    const ip = rec.ip!;
    if (this.pendingResets.length >= MAX_EVENTS) return;
    this.pendingResets.push({ time: t, src: ip.src, pair: pairKeyOf(ip.src, ip.dst), flow: `${endpoint(ip.src, rec.sport)}>${endpoint(ip.dst, rec.dport)}` });
    this.settleResets(t);
  }

  /**
   * The failover a reset follows, as analyze ties them (src/heartbeat/resets.ts):
   * between the hosts, from its deadline less the grace to the reset window
   * after it; the one noticed by the reset's sender first, then the newest.
   */
  private failoverOf(r: PendingReset): RecentFailover | null {
    const p = this.params;
    const inWindow = (this.peers.peek(r.pair) ?? []).filter((f) => r.time >= f.time - p.graceMs / 1000 && r.time <= f.time + p.resetWindowMs / 1000);
    return inWindow.sort((a, b) => Number(b.noticedBy === r.src) - Number(a.noticedBy === r.src) || b.time - a.time)[0] ?? null;
  }

  /**
   * Let detector time move to `t`, then say the resets whose failover is
   * known, and those no failover can claim any more: one that would has its
   * deadline by the reset's time plus the grace, and is declared by then plus
   * the grace and the reorder window (a run proven by sequence numbers).
   */
  private settleResets(t: number): void {
    // ±Infinity: only the resets are settled (a failover was just declared; the input ended).
    if (Number.isFinite(t)) this.hb.detector.tick(t);
    if (this.pendingResets.length === 0) return;
    const p = this.params;
    const waitSec = (2 * p.graceMs + p.reorderWindowMs) / 1000;
    this.pendingResets = this.pendingResets.filter((r) => {
      const f = this.failoverOf(r);
      // Noticed by the reset's sender: no other failover can be preferred.
      if (f && f.noticedBy === r.src) this.resetEvent(r, f);
      else if (t === Infinity || t > r.time + waitSec) this.resetEvent(r, f);
      else return true;
      return false;
    });
  }

  private resetEvent(r: PendingReset, f: RecentFailover | null): void {
    // Only resets between two hosts that exchange heartbeats are told.
    if (!this.peers.has(r.pair)) return;
    this.emit(resetLiveEvent(r.time, r.flow, f === null ? null : Math.round((r.time - f.time) * 1e6) / 1000));
  }

  private keepForLadder(rec: PacketRecord): void {
    for (const m of rec.sip!) {
      if (m.callId === undefined || m.callId === null) continue;
      let c = this.ladders.get(m.callId);
      if (!c && m.method === 'INVITE') {
        c = new CallFlowCollector(m.callId, MAX_LADDER_MESSAGES, true);
        this.ladders.set(m.callId, c);
        if (this.ladders.size > MAX_LADDERS) this.ladders.delete(this.ladders.oldestKey()!);
      }
      // One record can carry several messages of one call (TCP): add it once.
      if (c) {
        c.add(rec);
        break;
      }
    }
  }

  private heartbeatRows(now: number): HeartbeatPairRow[] {
    const p = this.params;
    const pairs = new Map<string, HeartbeatDirection[]>();
    for (const s of this.hb.detector.streamStates()) {
      const misses = missesAfter((now - s.lastTime) * 1000, p);
      const restarted = this.restartedAt.get(s.key);
      const r = this.recent.peek(s.key);
      const intervals = r?.intervals ?? [];
      const dir: HeartbeatDirection = {
        stream: s.key, src: s.src, dst: s.dst, sport: s.sport, dport: s.dport,
        lastSeq: s.lastSeq, lastHeard: s.lastTime,
        lastIntervalMs: intervals.length ? intervals[intervals.length - 1] : null,
        recentMs: [...intervals],
        misses,
        state: misses >= p.threshold ? 'failed' : misses > 0 ? 'missing' : restarted !== undefined && now - restarted < RESTART_SHOWN_SEC ? 'restarted' : 'ok',
        received: s.received, lost: s.lost, failovers: s.failovers, restarts: s.restarts,
      };
      const key = pairKeyOf(s.src, s.dst);
      const list = pairs.get(key) ?? [];
      list.push(dir);
      pairs.set(key, list);
    }
    return [...pairs].map(([pair, directions]) => ({ pair, directions }));
  }
}
