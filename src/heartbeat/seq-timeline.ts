// When each sequence number of one heartbeat stream was seen in one capture:
// runs of consecutive numbers (a new run at a restart or jump), each a dense
// array of arrival times, 8 bytes per heartbeat. Two-vantage correlation
// needs to look sequence numbers up by value across two captures.

const CHUNK = 4096;
/** A forward step beyond this starts a new run instead of filling a gap. */
const MAX_FILL = 100_000;
/** How far behind the newest a heartbeat may arrive and still be a late one. */
const LATE_WINDOW = 64;

export class SeqRun {
  private readonly chunks: Float64Array[] = [];
  length = 0;
  filled = 0;

  constructor(readonly firstSeq: number) {}

  /** Index of `seq` in this run, or -1. */
  indexOf(seq: number): number {
    const i = (seq - this.firstSeq) >>> 0;
    return i < this.length ? i : -1;
  }

  /** Arrival time at index i; NaN when that heartbeat was not seen. */
  timeAt(i: number): number {
    return this.chunks[Math.floor(i / CHUNK)][i % CHUNK];
  }

  /** Record `seq` at `t`; false when it does not belong to this run. */
  add(seq: number, t: number): boolean {
    const i = (seq - this.firstSeq) >>> 0;
    if (i >= this.length + MAX_FILL) return false;
    while (this.length <= i) {
      if (this.length % CHUNK === 0) this.chunks.push(new Float64Array(CHUNK).fill(NaN));
      this.length++;
    }
    const c = this.chunks[Math.floor(i / CHUNK)];
    if (Number.isNaN(c[i % CHUNK])) {
      c[i % CHUNK] = t;
      this.filled++;
    }
    return true;
  }

  get lastSeq(): number {
    return (this.firstSeq + this.length - 1) >>> 0;
  }
}

export class SeqTimeline {
  readonly runs: SeqRun[] = [];
  /** The largest IP TTL / hop limit seen: the capture nearer the sender sees the larger one. */
  ttl = 0;

  add(seq: number, t: number, ttl: number): void {
    if (ttl > this.ttl) this.ttl = ttl;
    const last = this.runs[this.runs.length - 1];
    if (!last) return this.newRun(seq, t);
    const i = last.indexOf(seq);
    // Behind the run's start, or far behind its end: the sender restarted, not a late heartbeat.
    const restarted = i === -1 ? ((seq - last.firstSeq) >>> 0) > 0x7fffffff : i < last.length - LATE_WINDOW;
    if (restarted || !last.add(seq, t)) this.newRun(seq, t);
  }

  private newRun(seq: number, t: number): void {
    const r = new SeqRun(seq);
    r.add(seq, t);
    this.runs.push(r);
  }
}
