// The five-miss failover model, one implementation for capture files and
// live monitoring: the caller injects time (packet timestamps offline, a
// clock live) through `heartbeat()` and `tick()`, so both give the same events.
//
// Per stream (one direction), the receiver's view: after a heartbeat it waits
// `timeout`, then counts a miss at every further `interval`; at `threshold`
// misses in a row it fails over. Sequence numbers say which heartbeats never
// came (a gap not filled by a late arrival within the reorder window), a
// fall back near 0 is the sender restarting, and a wrap at 2^32 is continuity.

import type { ByteOrder } from '../../dissectors/types.js';
import { compareEvents, type FailoverEvent, type HeartbeatEvent, type LossEvent, type MonitorStalledEvent } from './events.js';
import { IntervalHistogram, type IntervalStats } from './interval-histogram.js';
import type { FlowId } from '../pipeline/flow-key.js';
import { deadlineOffset, detectorParams, missesAfter, roundUs, type DetectorParams } from './params.js';
import { MinHeap } from '../common/min-heap.js';

/** A stream is one direction of a UDP flow. */
export type StreamId = FlowId;

export interface StreamReport extends StreamId {
  byteOrder: ByteOrder;
  firstSeq: number;
  lastSeq: number;
  firstTime: number;
  lastTime: number;
  received: number;
  lost: number;
  lossRuns: number;
  longestMissRun: number;
  duplicates: number;
  reordered: number;
  restarts: number;
  failovers: number;
  intervalMs: IntervalStats | null;
  /** Mean and largest deviation of consecutive heartbeats from the nominal interval. */
  jitterMs: { mean: number; max: number } | null;
}

export type StreamState = Pick<StreamReport, keyof StreamId | 'lastSeq' | 'lastTime' | 'received' | 'lost' | 'failovers' | 'restarts'>;

/** Heartbeats remembered per stream to tell a duplicate from a late one. */
const WINDOW = 64;
/** A counter that falls back to at most this was restarted (100 s of heartbeats). */
const NEAR_ZERO = 1024;
/** A forward step is a gap when it is at most this beyond what the silence explains. */
const FORWARD_SLACK = 1024;
/** Events kept for the report; past this they are counted only. */
const MAX_EVENTS = 100_000;
/** Streams tracked at once by default; more are counted and ignored (`maxStreams`). */
export const DEFAULT_MAX_STREAMS = 100_000;
/** Untracked streams are counted one by one up to this many distinct ones. */
const MAX_UNTRACKED_KEYS = 100_000;
/** Spans in which the receiver was blind, kept to judge silences against. */
const MAX_BLIND_SPANS = 256;

export interface DetectorOptions {
  /** Streams tracked at once; heartbeats of further streams are counted and ignored. */
  maxStreams?: number;
  /** Told once, the moment a stream past `maxStreams` first shows up. */
  onLimit?: (message: string) => void;
}

/** A span in which the receiver itself dropped datagrams (see `blind`). */
interface BlindSpan {
  from: number;
  to: number;
  drops: number;
}

interface PendingGap {
  afterSeq: number;
  nextSeq: number;
  lastHeard: number;
  resumed: number;
  /** Sequence numbers still missing. */
  lost: number;
  /** What the silence alone accounts for. */
  silenceMisses: number;
  failover: FailoverEvent | null;
  /** The receiver dropped datagrams during this gap. */
  blind: BlindSpan | null;
}

class Stream {
  readonly id: StreamId;
  byteOrder: ByteOrder;
  firstSeq: number;
  firstTime: number;
  lastSeq: number;
  lastTime: number;
  /** First sequence number since the last (re)start: earlier ones are not ours to match. */
  epochSeq: number;
  /** The failover declared during the current silence. */
  failover: FailoverEvent | null = null;
  /** The current silence reached the deadline while the receiver was blind: said once, no failover claimed. */
  blindSilence = false;
  /** The key of this stream's live entry in the detector's deadline heap (Infinity: none). */
  dueKey = Infinity;
  readonly seen = new Float64Array(WINDOW).fill(-1);
  pending: PendingGap[] = [];
  received = 1;
  lost = 0;
  lossRuns = 0;
  longestMissRun = 0;
  duplicates = 0;
  reordered = 0;
  restarts = 0;
  failovers = 0;
  readonly intervals = new IntervalHistogram();
  jitterSum = 0;
  jitterCount = 0;
  jitterMax = 0;

  constructor(id: StreamId, seq: number, byteOrder: ByteOrder, t: number) {
    this.id = id;
    this.byteOrder = byteOrder;
    this.firstSeq = this.lastSeq = this.epochSeq = seq;
    this.firstTime = this.lastTime = t;
    this.seen[seq % WINDOW] = seq;
  }

  /**
   * The pipeline settled the stream's byte order after guessing it for the
   * first heartbeat(s): what was stored was read the other way round.
   */
  reread(byteOrder: ByteOrder): void {
    this.byteOrder = byteOrder;
    this.firstSeq = swap32(this.firstSeq);
    this.lastSeq = swap32(this.lastSeq);
    this.epochSeq = swap32(this.epochSeq);
    const seen = [...this.seen].filter((x) => x >= 0);
    this.seen.fill(-1);
    for (const x of seen) this.seen[swap32(x) % WINDOW] = swap32(x);
  }

  wasReceived(seq: number): boolean {
    return this.seen[seq % WINDOW] === seq;
  }

  /** Whether `seq` lies between the epoch start and the newest heartbeat. */
  inEpoch(seq: number): boolean {
    return ((seq - this.epochSeq) >>> 0) <= ((this.lastSeq - this.epochSeq) >>> 0);
  }

  report(): StreamReport {
    return {
      ...this.id,
      byteOrder: this.byteOrder,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      received: this.received,
      lost: this.lost,
      lossRuns: this.lossRuns,
      longestMissRun: this.longestMissRun,
      duplicates: this.duplicates,
      reordered: this.reordered,
      restarts: this.restarts,
      failovers: this.failovers,
      intervalMs: this.intervals.stats(),
      jitterMs: this.jitterCount ? { mean: round3(this.jitterSum / this.jitterCount), max: round3(this.jitterMax) } : null,
    };
  }
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export type EventListener = (e: HeartbeatEvent) => void;

export class HeartbeatDetector {
  private current: DetectorParams;
  private readonly streams = new Map<string, Stream>();
  /**
   * Streams by when they next need looking at. A stream has one live entry;
   * one whose deadline moved later keeps its entry, which is pushed again
   * when it comes up, so a heartbeat costs no heap work and a tick touches only
   * the streams that are due, not all of them.
   */
  private readonly due = new MinHeap<Stream>();
  private readonly events: HeartbeatEvent[] = [];
  droppedEvents = 0;
  /** Heartbeats of streams past the cap, and the distinct streams they came from (counted up to MAX_UNTRACKED_KEYS). */
  untrackedHeartbeats = 0;
  private readonly untracked = new Set<string>();
  private readonly blindSpans: BlindSpan[] = [];
  readonly maxStreams: number;
  private finished = false;

  constructor(params: Partial<DetectorParams> = {}, private readonly listener?: EventListener, private readonly options: DetectorOptions = {}) {
    this.current = detectorParams(params);
    this.maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  }

  get params(): DetectorParams {
    return this.current;
  }

  /**
   * New settings mid-run (a lab engineer changing --hb-* and reloading): they
   * hold from now on, for every deadline not yet passed; what was declared stays.
   */
  setParams(params: Partial<DetectorParams>): void {
    this.current = detectorParams(params);
    for (const s of this.streams.values()) {
      s.dueKey = Infinity;
      this.schedule(s);
    }
  }

  /** Distinct streams past the cap (at least this many once MAX_UNTRACKED_KEYS is reached). */
  get untrackedStreams(): number {
    return this.untracked.size;
  }

  /**
   * The receiver itself dropped `drops` datagrams between `from` and `to`
   * (its socket queue overflowed): a silence over that span proves nothing,
   * so it is reported as `monitor-stalled` instead of a failover.
   */
  blind(from: number, to: number, drops: number): void {
    const last = this.blindSpans[this.blindSpans.length - 1];
    if (last && from <= last.to) {
      last.to = Math.max(last.to, to);
      last.drops += drops;
      return;
    }
    this.blindSpans.push({ from, to, drops });
    if (this.blindSpans.length > MAX_BLIND_SPANS) this.blindSpans.shift();
  }

  /** The blind span overlapping the silence from `from` to `to`, if any. */
  private blindIn(from: number, to: number): BlindSpan | null {
    for (let i = this.blindSpans.length - 1; i >= 0; i--) {
      const b = this.blindSpans[i];
      if (b.to > from && b.from < to) return b;
      if (b.to <= from) break;
    }
    return null;
  }

  private untrackedHeartbeat(key: string): void {
    this.untrackedHeartbeats++;
    if (this.untracked.size >= MAX_UNTRACKED_KEYS || this.untracked.has(key)) return;
    if (this.untracked.size === 0) this.options.onLimit?.(`more than ${this.maxStreams} heartbeat streams: stream ${key} and any further ones are counted, not watched (raise --max-streams)`);
    this.untracked.add(key);
  }

  /** One heartbeat received at time `t` (seconds). */
  heartbeat(id: StreamId, seq: number, byteOrder: ByteOrder, t: number): void {
    this.tick(t);
    const s = this.streams.get(id.key);
    if (!s) {
      if (this.streams.size >= this.maxStreams) {
        this.untrackedHeartbeat(id.key);
        return;
      }
      const fresh = new Stream(id, seq, byteOrder, t);
      this.streams.set(id.key, fresh);
      this.schedule(fresh);
      return;
    }
    if (byteOrder !== s.byteOrder) s.reread(byteOrder);
    const step = (seq - s.lastSeq) >>> 0;
    const back = (s.lastSeq - seq) >>> 0;
    const silenceMs = (t - s.lastTime) * 1000;
    if (step === 0) {
      s.received++;
      s.duplicates++;
      this.heard(s, t);
    } else if (step <= 2 * silenceMs / this.params.intervalMs + FORWARD_SLACK) {
      this.advance(s, seq, t, step);
    } else if (back <= WINDOW && (silenceMs + back * this.params.intervalMs <= this.params.reorderWindowMs || seq > NEAR_ZERO)) {
      // Sent `back` heartbeats ago: late, not a restart. Past the reorder window only a fall
      // back near 0 is a restart; a stray old datagram must not restart the count.
      this.late(s, seq, t);
    } else {
      this.restart(s, seq, t, seq <= NEAR_ZERO);
    }
    this.schedule(s);
  }

  /** The earliest time a tick can declare or settle anything (Infinity: nothing pending); may be early, never late. */
  get nextCheckAt(): number {
    return this.due.peekKey();
  }

  /** Let time pass: declares failovers whose deadline went by and settles old gaps. */
  tick(now: number): void {
    // After finish nothing more happens: the input has ended.
    if (this.finished) return;
    while (this.due.size > 0 && this.due.peekKey() <= now) {
      const key = this.due.peekKey();
      const s = this.due.pop()!;
      if (key !== s.dueKey) continue; // superseded by an earlier entry
      s.dueKey = Infinity;
      this.look(s, now);
      this.schedule(s);
    }
  }

  /** Declare what the silence up to `now` means for one stream, and settle its gaps whose window closed. */
  private look(s: Stream, now: number): void {
    this.checkSilence(s, now);
    while (s.pending.length && now >= s.pending[0].resumed + this.params.reorderWindowMs / 1000) this.settle(s, s.pending.shift()!);
  }

  /** End of input at `now`: settle every gap, and count the silence still running as misses. */
  finish(now: number): void {
    if (this.finished) return;
    this.finished = true;
    for (const s of this.streams.values()) {
      this.look(s, now);
      for (const g of s.pending) this.settle(s, g);
      s.pending = [];
      const misses = missesAfter((now - s.lastTime) * 1000, this.params);
      if (misses > 0) {
        this.emit({ type: 'loss', time: roundUs(s.lastTime + deadlineOffset(1, this.params)), stream: s.id.key, afterSeq: s.lastSeq, nextSeq: null, lost: null, misses, lastHeard: roundUs(s.lastTime), resumed: null });
        s.lossRuns++;
        s.longestMissRun = Math.max(s.longestMissRun, misses);
      }
    }
  }

  streamReports(): StreamReport[] {
    return [...this.streams.values()].map((s) => s.report()).sort((a, b) => a.firstTime - b.firstTime || a.key.localeCompare(b.key));
  }

  /** What a live view shows of each stream, without the interval statistics a report computes. */
  streamStates(): StreamState[] {
    const out: StreamState[] = [];
    for (const s of this.streams.values()) {
      out.push({ ...s.id, lastSeq: s.lastSeq, lastTime: s.lastTime, received: s.received, lost: s.lost, failovers: s.failovers, restarts: s.restarts });
    }
    return out;
  }

  /** Every event so far, in time order. */
  eventList(): HeartbeatEvent[] {
    return [...this.events].sort(compareEvents);
  }

  private advance(s: Stream, seq: number, t: number, step: number): void {
    const p = this.params;
    const silenceMs = (t - s.lastTime) * 1000;
    this.checkSilence(s, t);
    const silenceMisses = missesAfter(silenceMs, p);
    if (step > 1 || silenceMisses > 0) {
      s.pending.push({ afterSeq: s.lastSeq, nextSeq: seq, lastHeard: s.lastTime, resumed: t, lost: step - 1, silenceMisses, failover: s.failover, blind: this.blindIn(s.lastTime, t) });
      s.lost += step - 1;
    }
    if (s.failover) this.recover(s, seq, t);
    s.intervals.add(silenceMs);
    if (step === 1) {
      const dev = Math.abs(silenceMs - p.intervalMs);
      s.jitterSum += dev;
      s.jitterCount++;
      if (dev > s.jitterMax) s.jitterMax = dev;
    }
    s.received++;
    s.lastSeq = seq;
    s.lastTime = t;
    s.blindSilence = false;
    s.seen[seq % WINDOW] = seq;
  }

  /** A heartbeat older than the newest: a duplicate, or a late one filling a gap. */
  private late(s: Stream, seq: number, t: number): void {
    s.received++;
    this.heard(s, t);
    if (!s.inEpoch(seq)) {
      // Older than the first one we saw: nothing of ours to fill.
      s.reordered++;
      return;
    }
    if (s.wasReceived(seq)) {
      s.duplicates++;
      return;
    }
    s.seen[seq % WINDOW] = seq;
    s.reordered++;
    const g = s.pending.find((x) => ((seq - x.afterSeq) >>> 0) < ((x.nextSeq - x.afterSeq) >>> 0));
    // Too late to fill a gap that was already settled and reported: it stays lost.
    if (g) {
      g.lost--;
      s.lost--;
    }
  }

  /** An older heartbeat (late or repeated) still ends the receiver's silence, though it says nothing new. */
  private heard(s: Stream, t: number): void {
    this.checkSilence(s, t);
    s.lastTime = t;
    s.blindSilence = false;
  }

  private restart(s: Stream, seq: number, t: number, nearZero: boolean): void {
    this.checkSilence(s, t);
    // Late heartbeats of the old run can no longer be told apart: settle its gaps now.
    for (const g of s.pending) this.settle(s, g);
    s.pending = [];
    this.emit({ type: 'restart', time: roundUs(t), stream: s.id.key, fromSeq: s.lastSeq, toSeq: seq, nearZero });
    s.restarts++;
    const silenceMisses = missesAfter((t - s.lastTime) * 1000, this.params);
    if (silenceMisses > 0) {
      s.pending.push({ afterSeq: s.lastSeq, nextSeq: seq, lastHeard: s.lastTime, resumed: t, lost: 0, silenceMisses, failover: s.failover, blind: this.blindIn(s.lastTime, t) });
    }
    if (s.failover) this.recover(s, seq, t);
    s.received++;
    s.lastSeq = s.epochSeq = seq;
    s.lastTime = t;
    s.blindSilence = false;
    s.seen.fill(-1);
    s.seen[seq % WINDOW] = seq;
  }

  /** Declare the failover once the silence since the last heartbeat reached the threshold. */
  private checkSilence(s: Stream, now: number): void {
    if (s.failover || s.blindSilence || missesAfter((now - s.lastTime) * 1000, this.params) < this.params.threshold) return;
    const blind = this.blindIn(s.lastTime, now);
    if (blind) {
      s.blindSilence = true;
      this.emit(this.stalled(s, s.lastTime, s.lastSeq, blind));
      return;
    }
    s.failover = this.failover(s, s.lastTime, s.lastSeq);
  }

  private stalled(s: Stream, lastHeard: number, lastSeq: number, b: BlindSpan): MonitorStalledEvent {
    return {
      type: 'monitor-stalled', time: roundUs(lastHeard + deadlineOffset(this.params.threshold, this.params)), stream: s.id.key,
      lastHeard: roundUs(lastHeard), lastSeq, blindFrom: roundUs(b.from), blindTo: roundUs(b.to), drops: b.drops,
    };
  }

  private failover(s: Stream, lastHeard: number, lastSeq: number): FailoverEvent {
    const e: FailoverEvent = {
      type: 'failover',
      time: roundUs(lastHeard + deadlineOffset(this.params.threshold, this.params)),
      stream: s.id.key,
      noticedBy: s.id.dst,
      peer: s.id.src,
      lastHeard: roundUs(lastHeard),
      lastSeq,
      reset: null,
    };
    s.failovers++;
    this.emit(e);
    return e;
  }

  private recover(s: Stream, seq: number, t: number): void {
    // Never before its failover, whatever order a clock handed things on in.
    const at = Math.max(t, s.failover!.time);
    this.emit({ type: 'recovery', time: roundUs(at), stream: s.id.key, seq, downMs: round3((at - s.failover!.time) * 1000) });
    s.failover = null;
  }

  /** A gap whose reorder window has passed: what is still missing was lost. */
  private settle(s: Stream, g: PendingGap): void {
    const misses = Math.max(g.lost, g.silenceMisses);
    if (misses === 0) return;
    const e: LossEvent = {
      type: 'loss', time: roundUs(g.lastHeard + deadlineOffset(1, this.params)), stream: s.id.key,
      afterSeq: g.afterSeq, nextSeq: g.nextSeq, lost: g.lost, misses, lastHeard: roundUs(g.lastHeard), resumed: roundUs(g.resumed),
      ...(g.blind ? { blind: true as const } : {}),
    };
    this.emit(e);
    s.lossRuns++;
    s.longestMissRun = Math.max(s.longestMissRun, misses);
    // The sequence numbers prove a run the silence did not (a burst arrived late): the receiver still missed them.
    // Unless the receiver itself was dropping then: that says nothing of the wire.
    if (misses >= this.params.threshold && !g.failover && !g.blind) {
      const f = this.failover(s, g.lastHeard, g.afterSeq);
      const at = Math.max(g.resumed, f.time);
      this.emit({ type: 'recovery', time: roundUs(at), stream: s.id.key, seq: g.nextSeq, downMs: round3((at - f.time) * 1000) });
    }
  }

  /** When this stream next needs looking at: its failover deadline or its oldest gap settling. */
  private dueTime(s: Stream): number {
    const p = this.params;
    const failoverDue = s.failover || s.blindSilence ? Infinity : s.lastTime + (p.timeoutMs + (p.threshold - 1) * p.intervalMs + p.graceMs) / 1000;
    const settleDue = s.pending.length ? s.pending[0].resumed + p.reorderWindowMs / 1000 : Infinity;
    return Math.min(failoverDue, settleDue);
  }

  /** Give the stream a heap entry at its due time, unless its entry comes up no later. */
  private schedule(s: Stream): void {
    const t = this.dueTime(s);
    if (t >= s.dueKey || t === Infinity) return;
    s.dueKey = t;
    this.due.push(t, s);
  }

  private emit(e: HeartbeatEvent): void {
    if (this.events.length < MAX_EVENTS) this.events.push(e);
    else this.droppedEvents++;
    this.listener?.(e);
  }
}
