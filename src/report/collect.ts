// What the report needs beyond the analyze report, collected in the same
// streaming pass (a RecordConsumer given to analyzeFile's `also`):
//
// - per heartbeat stream, the inter-arrival interval over time, bucketed on a
//   grid anchored at the first packet: a bucket keeps min, max and count, and
//   when a stream's buckets would exceed the cap the bucket width doubles and
//   neighbours merge, so a stream costs at most MAX_BUCKETS buckets however
//   long the capture (a 60 s capture keeps one bucket per heartbeat);
// - the messages of the first calls' Call-IDs, for their ladders, through the
//   same CallFlowCollector `ucprobe sip flow` uses;
// - per RTP stream, jitter and loss over time, kept by the media analyzer
//   itself (src/media/stream-series.ts) when it is handed a store.

import { BATCH_HEARTBEAT, type BatchConsumer, type UdpBatch } from '../pipeline/udp-batch.js';
import type { PacketRecord } from '../../dissectors/types.js';
import { analyzeFile, type AnalyzeExtras, type FileReport } from '../analysis/analyze.js';
import type { DetectorParams } from '../heartbeat/params.js';
import { DEFAULT_DETECTOR_PARAMS } from '../heartbeat/params.js';
import { Ipv4UdpFlowIds, flowKey } from '../pipeline/flow-key.js';
import type { PipelineOptions } from '../pipeline/pipeline.js';
import { CallFlowCollector, type CallFlow } from '../sip/call-flow.js';
import { MediaSeriesStore } from '../media/stream-series.js';

/** Buckets per stream: a little more than a laptop plot's width in pixels. */
export const MAX_BUCKETS = 1500;
/** Heartbeat streams whose intervals are kept (the detector tracks more; past this they are counted). */
export const MAX_PLOTTED_STREAMS = 512;
/** Call-IDs whose messages are kept for a ladder. */
export const MAX_LADDERS = 100;
/** Messages kept per ladder. */
export const MAX_LADDER_MESSAGES = 200;

/** One bucket of a series: values seen in [start, end) seconds. */
export interface Bucket {
  start: number;
  end: number;
  min: number;
  max: number;
  count: number;
}

/**
 * Min/max/count of values over time in at most `maxBuckets` buckets of equal
 * width on a grid anchored at `origin`. Buckets are only ever merged, never
 * split, so each keeps the exact min and max of the values that fell in it.
 */
export class MinMaxBuckets {
  /** Seconds per bucket; doubles when the series outgrows the cap. */
  width: number;
  /** Grid index of bucket 0 of the arrays. */
  private first = 0;
  /** Buckets in use (from `first`); empty ones have count 0. */
  private length = 0;
  private min: Float64Array;
  private max: Float64Array;
  private count: Uint32Array;
  /** Values added, including those merged together. */
  total = 0;

  constructor(readonly origin: number, baseWidth: number, readonly maxBuckets = MAX_BUCKETS) {
    if (!(baseWidth > 0) || maxBuckets < 2) throw new Error('MinMaxBuckets: width must be > 0 and the cap >= 2');
    this.width = baseWidth;
    // Grown on demand: most streams of a short capture need few buckets.
    const initial = Math.min(64, maxBuckets);
    this.min = new Float64Array(initial);
    this.max = new Float64Array(initial);
    this.count = new Uint32Array(initial);
  }

  add(t: number, value: number): void {
    this.total++;
    let idx = Math.floor((t - this.origin) / this.width);
    if (this.length === 0) {
      this.first = idx;
      this.length = 1;
      this.set(0, value);
      return;
    }
    let lo = Math.min(this.first, idx);
    let hi = Math.max(this.first + this.length - 1, idx);
    if (hi - lo + 1 > this.maxBuckets) {
      // Coarsen until the whole span fits: each halving of the index merges bucket pairs.
      let shift = 0;
      while (Math.floor(hi / 2 ** shift) - Math.floor(lo / 2 ** shift) + 1 > this.maxBuckets) shift++;
      this.coarsen(shift);
      idx = Math.floor((t - this.origin) / this.width);
      lo = Math.min(this.first, idx);
      hi = Math.max(this.first + this.length - 1, idx);
    }
    if (idx < this.first) this.relayout(lo, hi - lo + 1);
    else if (idx >= this.first + this.length) this.grow(idx - this.first + 1);
    this.set(idx - this.first, value);
  }

  private set(i: number, value: number): void {
    if (this.count[i] === 0) {
      this.min[i] = value;
      this.max[i] = value;
    } else {
      if (value < this.min[i]) this.min[i] = value;
      if (value > this.max[i]) this.max[i] = value;
    }
    this.count[i]++;
  }

  /** Extend the used range at the end to `length` buckets (new ones empty). */
  private grow(length: number): void {
    if (length > this.count.length) {
      const cap = Math.min(this.maxBuckets, Math.max(length, this.count.length * 2));
      this.resize(cap);
    }
    this.length = length;
  }

  private resize(cap: number): void {
    const min = new Float64Array(cap);
    const max = new Float64Array(cap);
    const count = new Uint32Array(cap);
    min.set(this.min.subarray(0, this.length));
    max.set(this.max.subarray(0, this.length));
    count.set(this.count.subarray(0, this.length));
    this.min = min;
    this.max = max;
    this.count = count;
  }

  /** Start the used range at grid index `first` with `length` buckets (an earlier timestamp came in). */
  private relayout(first: number, length: number): void {
    const cap = Math.max(this.count.length, Math.min(this.maxBuckets, length));
    const min = new Float64Array(cap);
    const max = new Float64Array(cap);
    const count = new Uint32Array(cap);
    const at = this.first - first;
    min.set(this.min.subarray(0, this.length), at);
    max.set(this.max.subarray(0, this.length), at);
    count.set(this.count.subarray(0, this.length), at);
    this.min = min;
    this.max = max;
    this.count = count;
    this.first = first;
    this.length = length;
  }

  /** Multiply the width by 2^shift, merging the buckets that now share a grid cell. */
  private coarsen(shift: number): void {
    const f = 2 ** shift;
    const newFirst = Math.floor(this.first / f);
    const newLast = Math.floor((this.first + this.length - 1) / f);
    const n = newLast - newFirst + 1;
    const min = new Float64Array(this.count.length);
    const max = new Float64Array(this.count.length);
    const count = new Uint32Array(this.count.length);
    for (let i = 0; i < this.length; i++) {
      const c = this.count[i];
      if (c === 0) continue;
      const j = Math.floor((this.first + i) / f) - newFirst;
      if (count[j] === 0) {
        min[j] = this.min[i];
        max[j] = this.max[i];
      } else {
        if (this.min[i] < min[j]) min[j] = this.min[i];
        if (this.max[i] > max[j]) max[j] = this.max[i];
      }
      count[j] += c;
    }
    this.min = min;
    this.max = max;
    this.count = count;
    this.first = newFirst;
    this.length = n;
    this.width *= f;
  }

  /** Buckets in use (grid cells from the first to the last value), empty ones included. */
  get size(): number {
    return this.length;
  }

  /** The non-empty buckets in time order. */
  buckets(): Bucket[] {
    const out: Bucket[] = [];
    for (let i = 0; i < this.length; i++) {
      if (this.count[i] === 0) continue;
      const start = this.origin + (this.first + i) * this.width;
      out.push({ start, end: start + this.width, min: this.min[i], max: this.max[i], count: this.count[i] });
    }
    return out;
  }
}

/** One heartbeat stream's inter-arrival intervals (ms) over time. */
export interface IntervalSeries {
  /** The stream's flow key, as in the heartbeat report. */
  stream: string;
  /** Seconds per bucket at the end of the capture. */
  bucketSeconds: number;
  /** Intervals seen (one fewer than the heartbeats). */
  intervals: number;
  buckets: Bucket[];
}

interface StreamIntervals {
  lastTime: number;
  buckets: MinMaxBuckets;
}

/** Inter-arrival intervals of every heartbeat stream, bounded per stream and in streams. */
export class IntervalCollector implements BatchConsumer {
  private readonly streams = new Map<string, StreamIntervals>();
  private origin: number | null = null;
  /** Streams past MAX_PLOTTED_STREAMS: not plotted. */
  untracked = 0;
  private readonly untrackedKeys = new Set<string>();
  private readonly ids = new Ipv4UdpFlowIds();

  /** `bucketSeconds`: the finest bucket width (the heartbeat interval: one heartbeat per bucket). */
  constructor(private readonly bucketSeconds: number, private readonly maxStreams = MAX_PLOTTED_STREAMS, private readonly maxBuckets = MAX_BUCKETS) {}

  /** Its first datagram may be the capture's first packet; its heartbeats count as their records would. */
  addUdpBatch(batch: UdpBatch): void {
    if (batch.length === 0) return;
    this.origin ??= batch.tsSec[0] + batch.tsNsec[0] / 1e9;
    for (let i = 0; i < batch.length; i++) {
      if (batch.app[i] !== BATCH_HEARTBEAT) continue;
      const key = this.ids.get(batch.src[i], batch.dst[i], batch.sport[i], batch.dport[i]).key;
      for (const e of batch.hbEarlier.get(i) ?? []) this.heartbeat(key, e.tsSec + e.tsNsec / 1e9);
      this.heartbeat(key, batch.tsSec[i] + batch.tsNsec[i] / 1e9);
    }
  }

  readonly add = (rec: PacketRecord): void => {
    const t = rec.tsSec + rec.tsNsec / 1e9;
    // Every stream's grid starts at the capture's first packet, so the panels of one file line up.
    this.origin ??= t;
    // The same test as the heartbeat analyzer's, so the keys match its streams.
    if (rec.hb && rec.app === 'mds-heartbeat' && rec.ip) {
      for (const e of rec.hb.earlier ?? []) this.heartbeat(flowKey(rec), e.tsSec + e.tsNsec / 1e9);
      this.heartbeat(flowKey(rec), t);
    }
  };

  /** A heartbeat of stream `key` at `t`, once `origin` is set. */
  private heartbeat(key: string, t: number): void {
    const s = this.streams.get(key);
    if (s === undefined) {
      if (this.streams.size >= this.maxStreams) {
        // Count each stream once, but without keeping an unbounded set of keys.
        if (this.untrackedKeys.size < 65536 && !this.untrackedKeys.has(key)) {
          this.untrackedKeys.add(key);
          this.untracked++;
        }
        return;
      }
      this.streams.set(key, { lastTime: t, buckets: new MinMaxBuckets(this.origin ?? t, this.bucketSeconds, this.maxBuckets) });
      return;
    }
    s.buckets.add(t, (t - s.lastTime) * 1000);
    s.lastTime = t;
  }

  series(stream: string): IntervalSeries | null {
    const s = this.streams.get(stream);
    if (s === undefined) return null;
    return { stream, bucketSeconds: s.buckets.width, intervals: s.buckets.total, buckets: s.buckets.buckets() };
  }

  /** Buckets held over all streams (what the memory bound is about). */
  get bucketsHeld(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.buckets.size;
    return n;
  }

  get streamCount(): number {
    return this.streams.size;
  }
}

/** The messages of the first MAX_LADDERS Call-IDs that carried an INVITE, one CallFlowCollector each. */
export class LadderCollector implements BatchConsumer {
  private readonly flows = new Map<string, CallFlowCollector>();
  /** Call-IDs with an INVITE seen past the cap: no ladder. */
  skipped = 0;
  private readonly skippedIds = new Set<string>();

  constructor(private readonly maxCalls = MAX_LADDERS, private readonly maxMessages = MAX_LADDER_MESSAGES) {}

  /** A batch holds no SIP. */
  addUdpBatch(): void {}

  readonly add = (rec: PacketRecord): void => {
    if (rec.sip === null) return;
    // A record may carry several messages (SIP over TCP); each collector is fed the record once.
    let fed: Set<string> | null = null;
    for (const m of rec.sip) {
      const id = m.callId;
      if (id === null || fed?.has(id)) continue;
      let c = this.flows.get(id);
      if (c === undefined) {
        if (m.method !== 'INVITE' || m.cseq === null) continue;
        if (this.flows.size >= this.maxCalls) {
          if (this.skippedIds.size < 65536 && !this.skippedIds.has(id)) {
            this.skippedIds.add(id);
            this.skipped++;
          }
          continue;
        }
        c = new CallFlowCollector(id, this.maxMessages);
        this.flows.set(id, c);
      }
      c.add(rec);
      (fed ??= new Set()).add(id);
    }
  };

  /** The ladder data of a Call-ID, or null when it was not kept. */
  flow(callId: string): CallFlow | null {
    return this.flows.get(callId)?.flow() ?? null;
  }
}

/** Everything one file's section of the report is drawn from. */
export interface ReportFile {
  report: FileReport;
  intervals: IntervalCollector;
  ladders: LadderCollector;
  /** Each RTP stream's jitter and loss over time, kept by the media analyzer in the same pass. */
  media: MediaSeriesStore;
}

/** analyzeFile with the report's collectors riding along in the same pass. */
export async function collectFile(
  path: string,
  opts: Partial<PipelineOptions> = {},
  heartbeat: Partial<DetectorParams> = {},
  extras: AnalyzeExtras = {},
): Promise<ReportFile> {
  const intervalMs = heartbeat.intervalMs ?? DEFAULT_DETECTOR_PARAMS.intervalMs;
  const intervals = new IntervalCollector(intervalMs / 1000);
  const ladders = new LadderCollector();
  const media = new MediaSeriesStore();
  const report = await analyzeFile(path, opts, heartbeat, [intervals, ladders], { ...extras, mediaSeries: media });
  return { report, intervals, ladders, media };
}
