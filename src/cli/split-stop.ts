// Ctrl-C on a file split over workers (analyze-files.ts): every part stops
// after the same frame, the furthest any part had read when it heard, so the
// merge is the report one worker stopped there would give. The parts agree
// through shared memory: each, on hearing the stop, says how far it got and
// waits for the others; a part that read to the end says so too, and the
// main thread speaks for one that failed.

/** Not said yet (a count slot's start). */
const UNSAID = -1;
/** Said for a part that failed: the others read on to the end. */
export const PART_GONE = 0x7fffffff;

export class SplitStop {
  private frames = 0;
  private target = -1;

  /** `flag[0]` is 1 once Ctrl-C was pressed; `counts[i]` is how far part i had read when it heard (UNSAID before). */
  constructor(private readonly flag: Int32Array, private readonly counts: Int32Array, private readonly index: number) {}

  static counts(parts: number): SharedArrayBuffer {
    const buf = new SharedArrayBuffer(4 * parts);
    new Int32Array(buf).fill(UNSAID);
    return buf;
  }

  /** The reader's `until`, asked after each frame. */
  readonly until = (): boolean => {
    this.frames++;
    if (this.target < 0) {
      if (Atomics.load(this.flag, 0) !== 1) return false;
      this.target = this.agree();
    }
    return this.frames >= this.target;
  };

  /** The read is over: a part that read to the end without hearing the stop lets the others read on to it. */
  done(): void {
    if (this.target < 0) say(this.counts, this.index, this.frames);
  }

  private agree(): number {
    say(this.counts, this.index, this.frames);
    let furthest = 0;
    for (let j = 0; j < this.counts.length; j++) {
      while (Atomics.load(this.counts, j) === UNSAID) Atomics.wait(this.counts, j, UNSAID, 100);
      furthest = Math.max(furthest, Atomics.load(this.counts, j));
    }
    return furthest;
  }
}

/** Part `index` got as far as `frames` (once: the first word stands). */
export function say(counts: Int32Array, index: number, frames: number): void {
  Atomics.compareExchange(counts, index, UNSAID, Math.min(frames, PART_GONE));
  Atomics.notify(counts, index);
}
