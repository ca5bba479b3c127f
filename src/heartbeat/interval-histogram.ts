// Inter-arrival times of one stream, for min/p50/p99/max in bounded memory:
// microsecond values binned to 12 significant bits (under 0.03 % error), kept
// sparse because a stream's intervals cluster around its nominal period.

export interface IntervalStats {
  min: number;
  p50: number;
  p99: number;
  max: number;
}

const SIGNIFICANT_BITS = 12;

function shiftOf(us: number): number {
  return Math.max(0, 32 - Math.clz32(us) - SIGNIFICANT_BITS);
}

function binOf(us: number): number {
  const shift = shiftOf(us);
  return ((us >>> shift) << shift) >>> 0;
}

/** The middle of a bin: the estimate with the smallest worst-case error. */
function midOf(bin: number): number {
  return bin + ((1 << shiftOf(bin)) >>> 1);
}

export class IntervalHistogram {
  /** Bin -> its count, boxed so that a heartbeat costs one lookup, not a get and a set. */
  private readonly bins = new Map<number, { n: number }>();
  private count = 0;
  private minUs = Infinity;
  private maxUs = 0;

  add(ms: number): void {
    const us = Math.min(0xffffffff, Math.max(0, Math.round(ms * 1000)));
    const b = binOf(us);
    const bin = this.bins.get(b);
    if (bin !== undefined) bin.n++;
    else this.bins.set(b, { n: 1 });
    this.count++;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** In milliseconds; null before two heartbeats were seen. */
  stats(): IntervalStats | null {
    if (this.count === 0) return null;
    const keys = [...this.bins.keys()].sort((a, b) => a - b);
    const quantile = (q: number): number => {
      const rank = Math.ceil(q * this.count);
      let seen = 0;
      for (const k of keys) {
        seen += this.bins.get(k)!.n;
        if (seen >= rank) return Math.min(Math.max(midOf(k), this.minUs), this.maxUs);
      }
      return this.maxUs;
    };
    return { min: this.minUs / 1000, p50: quantile(0.5) / 1000, p99: quantile(0.99) / 1000, max: this.maxUs / 1000 };
  }
}
