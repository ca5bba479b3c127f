// The clock a live view judges silence by. Packets carry their own (kernel
// or agent) timestamps and reach us a little later; silence is judged at the
// wall clock less a small lag, so a packet still in the pipe is not counted
// as missed. A process that did not run for a while (GC, SIGSTOP, VM steal, a
// busy host) comes back to a backlog of packets it has not read: judging at
// the wall clock then would call their streams silent. So a late event loop
// holds the clock where it was until the backlog is read — a packet fresh
// again (its delay back to the usual), or a quiet spell — and a stall can
// only delay a verdict, never make one.

/** The event loop this much later than asked means the process did not run. */
export const STALL_SEC = 0.04;
/** No data for this long after a stall: nothing was queued. */
const QUIET_SEC = 0.1;
/** A packet whose delay is within this of the usual one was read as it came. */
const FRESH_SEC = 0.01;
/** The usual delay is the least seen over a window this long (two of them, overlapping). */
const DELAY_WINDOW_SEC = 2;

export class CatchUpClock {
  private judged = -Infinity;
  /** When `now` was last called; null before the first call (the views start then). */
  private lastLooked: number | null = null;
  /** Holding since this wall time, at `judged`; null when running. */
  private holdSince: number | null = null;
  private lastData = -Infinity;
  /** Least delay (wall - packet time) seen in this window and the one before. */
  private delayNow = Infinity;
  private delayBefore = Infinity;
  private windowStart: number;
  stalls = 0;
  longestStallSec = 0;

  constructor(private readonly wall: () => number, private readonly lagSec: number) {
    this.windowStart = wall();
  }

  /** A packet was handed on, stamped `ts` by its capture point. */
  packet(ts: number): void {
    const w = this.wall();
    this.lastData = w;
    const delay = w - ts;
    if (w - this.windowStart > DELAY_WINDOW_SEC) {
      this.delayBefore = this.delayNow;
      this.delayNow = Infinity;
      this.windowStart = w;
    }
    if (this.holdSince === null) {
      if (delay < this.delayNow) this.delayNow = delay;
    } else if (delay <= this.usualDelay() + FRESH_SEC) {
      // Read as it came: everything queued before it has been handed on.
      this.holdSince = null;
    }
  }

  /**
   * The time up to which silence may be judged. Called at least every
   * `expectedGapSec` by a timer; a call much later than that is a stall.
   */
  now(expectedGapSec: number): number {
    const w = this.wall();
    const late = this.lastLooked === null ? 0 : w - this.lastLooked - expectedGapSec;
    this.lastLooked = w;
    if (late > STALL_SEC) {
      this.stalls++;
      this.longestStallSec = Math.max(this.longestStallSec, late);
      this.holdSince = w;
    }
    if (this.holdSince !== null && w - this.lastData >= QUIET_SEC && w - this.holdSince >= QUIET_SEC) this.holdSince = null;
    if (this.holdSince === null) this.judged = Math.max(this.judged, w - this.lagSec);
    return this.judged;
  }

  /** The least delay of recent packets; the lag before any was seen. */
  private usualDelay(): number {
    const d = Math.min(this.delayNow, this.delayBefore);
    return d === Infinity ? this.lagSec : d;
  }

  /** Holding after a stall, until the backlog is read. */
  get holding(): boolean {
    return this.holdSince !== null;
  }
}
