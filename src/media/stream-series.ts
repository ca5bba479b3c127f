// One RTP stream's figures over time, for the report's plots: per bucket of
// capture time (1 s to start with), the packets received, the numbers
// expected and lost, the packets late for the jitter buffer, and the max and
// mean of the RFC 3550 jitter over the packets that count for it (the
// stream's own jitterMs figures, bucket by bucket).
//
// Recorded after each packet from the stream's running counters, so a
// packet costs a few stores into one Float64Array and nothing is allocated:
// a bucket keeps the cumulative counters as they stood at its last packet,
// and the report takes differences. Buckets sit on a grid of absolute time
// (bucket k covers [k w, (k+1) w)), so doubling the width merges neighbours
// and every stream's buckets line up with every other's.
//
// Memory is bounded twice: a stream holds at most `maxBucketsPerStream`
// (past that its width doubles: "coarsened for length"), and all streams
// together at most `maxBuckets` (a stream that cannot grow within it
// coarsens instead, "for memory"; a new stream that cannot get its first few
// buckets has no series, and is counted). Both are said in the output.

/** What a series reads from its stream after each packet (RtpStream has these). */
export interface SeriesSource {
  readonly unique: number;
  readonly extMax: number;
  readonly extBase: number;
  readonly late: number;
  /** Current RFC 3550 jitter (s). */
  readonly jitter: number;
  /** Packets the jitter figures counted so far: when it moves, this packet's jitter counts. */
  readonly jitterCount: number;
}

export interface SeriesLimits {
  /** Width of a bucket before any coarsening (s). */
  baseSeconds: number;
  maxBucketsPerStream: number;
  /** All streams together. */
  maxBuckets: number;
}

/** 600 buckets a stream (1 s each for a 10-minute call; two pixels each on a plot); 256 Ki buckets (14 MiB) in all. */
export const DEFAULT_SERIES_LIMITS: SeriesLimits = { baseSeconds: 1, maxBucketsPerStream: 600, maxBuckets: 262_144 };

/** Buckets a new series starts with (grown by doubling). */
const INITIAL_BUCKETS = 16;

// A bucket's cells in the array.
const C_PACKETS = 0;
/** Cumulative: numbers expected, numbers missing (expected - distinct received), packets late, at the bucket's last packet. */
const C_EXPECTED = 1;
const C_LOST = 2;
const C_LATE = 3;
const C_JITTER_MAX = 4;
const C_JITTER_SUM = 5;
const C_JITTER_N = 6;
const STRIDE = 7;

/** One bucket as the report shows it. */
export interface SeriesBucket {
  /** Epoch seconds: [start, end). */
  start: number;
  end: number;
  packets: number;
  /** Sequence numbers the bucket advanced the stream by. */
  expected: number;
  /** Numbers found missing in the bucket and never filled later (a reordered packet is no loss). */
  lost: number;
  /** Packets the fixed jitter buffer would have played too late. */
  late: number;
  /** RFC 3550 jitter over the bucket's packets that count for it; null when none did. */
  jitterMaxMs: number | null;
  jitterMeanMs: number | null;
}

export interface StreamSeriesReport {
  bucketSeconds: number;
  /** Why the buckets are wider than the base: the stream outgrew its cap, or the overall budget stopped it growing. */
  coarsened: 'length' | 'memory' | null;
  /** The non-empty buckets in time order. */
  buckets: SeriesBucket[];
}

/** Buckets handed out to all series together. */
class BucketBudget {
  held = 0;
  constructor(readonly limit: number) {}

  take(n: number): boolean {
    if (this.held + n > this.limit) return false;
    this.held += n;
    return true;
  }

  give(n: number): void {
    this.held -= n;
  }
}

const ms = (s: number): number => Math.round(s * 1e6) / 1e3;

export class StreamSeries {
  /** Seconds per bucket. */
  width: number;
  coarsened: 'length' | 'memory' | null = null;
  /** Grid index (time / width) of bucket 0 of the array, and buckets in use from there. */
  private first = 0;
  private length = 0;
  private capacity: number;
  private cells: Float64Array;
  private jitterSeen = 0;
  /** The last bucket's time span [lo, hi): most packets fall in it, and need no division. */
  private lastLo = Infinity;
  private lastHi = -Infinity;

  constructor(private readonly budget: BucketBudget, private readonly limits: SeriesLimits, initial: number) {
    this.width = limits.baseSeconds;
    this.capacity = initial;
    this.cells = new Float64Array(initial * STRIDE);
  }

  /** The stream's state after a packet that arrived at `t` (s). */
  record(t: number, s: SeriesSource): void {
    this.recordCounts(t, s.extMax - s.extBase + 1, s.unique, s.late, s.jitter, s.jitterCount);
  }

  /** The same from the counters themselves (the media table's row): numbers expected and received, late, J and its count. */
  recordCounts(t: number, expected: number, unique: number, late: number, jitter: number, jitterCount: number): void {
    const o = (t >= this.lastLo && t < this.lastHi ? this.length - 1 : this.bucketOf(t)) * STRIDE;
    const c = this.cells;
    c[o + C_PACKETS]++;
    c[o + C_EXPECTED] = expected;
    c[o + C_LOST] = expected - unique;
    c[o + C_LATE] = late;
    if (jitterCount !== this.jitterSeen) {
      this.jitterSeen = jitterCount;
      if (jitter > c[o + C_JITTER_MAX]) c[o + C_JITTER_MAX] = jitter;
      c[o + C_JITTER_SUM] += jitter;
      c[o + C_JITTER_N]++;
    }
  }

  /** Buckets held (what the budget counts). */
  get held(): number {
    return this.capacity;
  }

  /** The bucket a packet at `t` goes in; a time before the last bucket's (a capture out of time order) counts in the last. */
  private bucketOf(t: number): number {
    const idx = Math.floor(t / this.width);
    if (this.length === 0) {
      this.first = idx;
      this.length = 1;
      this.lastSpan();
      return 0;
    }
    let k = idx - this.first;
    if (k < this.length) return this.length - 1;
    while (k >= this.capacity && !this.grow(k + 1)) {
      this.coarsen();
      k = Math.floor(t / this.width) - this.first;
    }
    this.length = k + 1;
    this.lastSpan();
    return k;
  }

  private lastSpan(): void {
    this.lastLo = (this.first + this.length - 1) * this.width;
    this.lastHi = this.lastLo + this.width;
  }

  /** Room for `need` buckets within both limits; false when the series must coarsen instead. */
  private grow(need: number): boolean {
    const max = this.limits.maxBucketsPerStream;
    if (need > max) {
      this.coarsened ??= 'length';
      return false;
    }
    const cap = Math.min(max, Math.max(need, this.capacity * 2));
    if (!this.budget.take(cap - this.capacity)) {
      this.coarsened = 'memory';
      return false;
    }
    const cells = new Float64Array(cap * STRIDE);
    cells.set(this.cells.subarray(0, this.length * STRIDE));
    this.cells = cells;
    this.capacity = cap;
    return true;
  }

  /** Double the width: neighbours merge (counts add, the later one's cumulative counters stand, jitter max of max). */
  private coarsen(): void {
    const newFirst = Math.floor(this.first / 2);
    const from = this.cells;
    const to = new Float64Array(from.length);
    for (let i = 0; i < this.length; i++) {
      const a = i * STRIDE;
      if (from[a + C_PACKETS] === 0) continue;
      const b = (Math.floor((this.first + i) / 2) - newFirst) * STRIDE;
      to[b + C_PACKETS] += from[a + C_PACKETS];
      to[b + C_EXPECTED] = from[a + C_EXPECTED];
      to[b + C_LOST] = from[a + C_LOST];
      to[b + C_LATE] = from[a + C_LATE];
      if (from[a + C_JITTER_MAX] > to[b + C_JITTER_MAX]) to[b + C_JITTER_MAX] = from[a + C_JITTER_MAX];
      to[b + C_JITTER_SUM] += from[a + C_JITTER_SUM];
      to[b + C_JITTER_N] += from[a + C_JITTER_N];
    }
    this.length = Math.floor((this.first + this.length - 1) / 2) - newFirst + 1;
    this.first = newFirst;
    this.cells = to;
    this.width *= 2;
    this.lastSpan();
  }

  report(): StreamSeriesReport {
    const c = this.cells;
    const used: number[] = [];
    for (let i = 0; i < this.length; i++) if (c[i * STRIDE + C_PACKETS] > 0) used.push(i);
    // Lost as finally known: a hole a later packet filled was reordering, not loss, so a
    // bucket's cumulative loss is the least of it and every later bucket's.
    const lostFinal = new Array<number>(used.length);
    let low = Infinity;
    for (let k = used.length - 1; k >= 0; k--) {
      low = Math.min(low, c[used[k] * STRIDE + C_LOST]);
      lostFinal[k] = Math.max(0, low);
    }
    const buckets: SeriesBucket[] = [];
    let expected = 0;
    let late = 0;
    used.forEach((i, k) => {
      const o = i * STRIDE;
      const start = (this.first + i) * this.width;
      const n = c[o + C_JITTER_N];
      buckets.push({
        start, end: start + this.width, packets: c[o + C_PACKETS],
        expected: c[o + C_EXPECTED] - expected, lost: lostFinal[k] - (k > 0 ? lostFinal[k - 1] : 0), late: c[o + C_LATE] - late,
        jitterMaxMs: n > 0 ? ms(c[o + C_JITTER_MAX]) : null, jitterMeanMs: n > 0 ? ms(c[o + C_JITTER_SUM] / n) : null,
      });
      expected = c[o + C_EXPECTED];
      late = c[o + C_LATE];
    });
    return { bucketSeconds: this.width, coarsened: this.coarsened, buckets };
  }
}

export interface SeriesTotals {
  /** Streams with a series now. */
  streams: number;
  /** Of them, with buckets wider than the base, by cause. */
  coarsenedForLength: number;
  coarsenedForMemory: number;
  /** Streams that got no series: the budget was spent when they started. */
  dropped: number;
  bucketsHeld: number;
  limits: SeriesLimits;
}

/**
 * The series of every stream of the media table, under one budget. The
 * media analyzer opens one per new stream and releases it with the stream
 * when the table evicts it.
 */
export class MediaSeriesStore {
  private readonly budget: BucketBudget;
  private readonly series = new Map<string, StreamSeries>();
  dropped = 0;

  constructor(readonly limits: SeriesLimits = DEFAULT_SERIES_LIMITS) {
    if (!(limits.baseSeconds > 0) || limits.maxBucketsPerStream < 2) throw new Error('series limits: a width > 0 and at least 2 buckets a stream');
    this.budget = new BucketBudget(limits.maxBuckets);
  }

  /** A series for a new stream, or null (counted) when the budget has no room for one. */
  open(key: string): StreamSeries | null {
    const initial = Math.min(INITIAL_BUCKETS, this.limits.maxBucketsPerStream);
    if (!this.budget.take(initial)) {
      this.dropped++;
      return null;
    }
    this.release(key);
    const s = new StreamSeries(this.budget, this.limits, initial);
    this.series.set(key, s);
    return s;
  }

  /** The stream left the media table: its buckets go back to the budget. */
  release(key: string): void {
    const s = this.series.get(key);
    if (s === undefined) return;
    this.budget.give(s.held);
    this.series.delete(key);
  }

  /** The series of a stream (flow#ssrc, as the media report keys it), or null when it has none. */
  get(key: string): StreamSeriesReport | null {
    return this.series.get(key)?.report() ?? null;
  }

  totals(): SeriesTotals {
    let length = 0;
    let memory = 0;
    for (const s of this.series.values()) {
      if (s.coarsened === 'length') length++;
      else if (s.coarsened === 'memory') memory++;
    }
    return { streams: this.series.size, coarsenedForLength: length, coarsenedForMemory: memory, dropped: this.dropped, bucketsHeld: this.budget.held, limits: this.limits };
  }
}
