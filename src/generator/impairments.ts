// What happens to each heartbeat a generated stream would send: the loss and
// impairment models, composable per stream, decided ahead of the clock so a
// plan is pure (tests read it without sending anything) and a seed repeats it.

import { hash32, Rng } from './rng.js';

/** Gilbert–Elliott burst loss with netem's parameters, in percent: `gemodel p r 1-h 1-k`. */
export interface GilbertElliott {
  /** Good → bad transition probability per packet. */
  p: number;
  /** Bad → good transition probability (default 100 - p). */
  r?: number;
  /** Loss probability in the bad state, "1-h" (default 100). */
  lossBad?: number;
  /** Loss probability in the good state, "1-k" (default 0). */
  lossGood?: number;
}

/**
 * Loss bursts placed by hash, not drawn in turn: slots are cut into windows
 * and each window holds one burst with probability 1/2, somewhere away from
 * its edges, of a length picked from `lengths`. Stateless, so whoever needs
 * to know where the bursts fall (a peer that resets after five misses)
 * computes the same runs without replaying the stream.
 */
export interface HashedBursts {
  seed: number;
  /** Slots per window. */
  window: number;
  /** No burst starts within this many slots of either edge of its window (window > 2 × margin). */
  margin: number;
  /** Burst lengths, picked uniformly. */
  lengths: readonly number[];
}

/** A run of consecutive slots lost. */
export interface LossRun {
  /** Index of the first slot lost. */
  start: number;
  count: number;
}

/** The burst in window w of a hashed-burst model, or null when that window has none. */
export function hashedBurstIn(m: HashedBursts, w: number): LossRun | null {
  if (hash32(m.seed, w, 0x10) % 2 === 0) return null;
  const start = w * m.window + m.margin + (hash32(m.seed, w, 0x20) % (m.window - 2 * m.margin));
  return { start, count: m.lengths[hash32(m.seed, w, 0x30) % m.lengths.length] };
}

/** Whether slot `index` falls in a hashed burst. */
export function inHashedBurst(m: HashedBursts, index: number): boolean {
  const r = hashedBurstIn(m, Math.floor(index / m.window));
  return r !== null && index >= r.start && index < r.start + r.count;
}

/** Every burst of a hashed-burst model in slot order (endless). */
export function* hashedBurstRuns(m: HashedBursts): Generator<LossRun> {
  for (let w = 0; ; w++) {
    const r = hashedBurstIn(m, w);
    if (r) yield r;
  }
}

/**
 * Send jitter for slot `index`, uniform in whole units over [-max, +max],
 * from a hash rather than a stream of draws: the time of any slot is
 * computable on its own (a story asks for the time of the heartbeat before a
 * loss to place the peer's reset).
 */
export function hashedJitter(seed: number, index: number, max: number): number {
  return (hash32(seed, index) % (2 * max + 1)) - max;
}

export interface Impairments {
  /** Sequence numbers never sent on the wire (inclusive ranges). */
  drop?: Array<[number, number]>;
  /** n consecutive heartbeats lost, starting at a sequence number or at a time (ms from the start). */
  bursts?: Array<{ count: number; atSeq?: number; atMs?: number }>;
  /** Independent (Bernoulli) loss probability, 0..1. */
  loss?: number;
  /** Bernoulli loss only within [atMs, atMs + forMs) (a scenario's "random loss for N s" phase); replaces `loss` there. */
  lossWindows?: Array<{ atMs: number; forMs: number; p: number }>;
  gemodel?: GilbertElliott;
  /** Bursts placed by hash over slot indices (withheld as 'burst'). */
  hashedBursts?: HashedBursts;
  /** Extra delay and ± jitter (uniform) on every datagram, ms. */
  delayMs?: number;
  jitterMs?: number;
  /** Probability a datagram is sent twice. */
  duplicate?: number;
  /** Probability a datagram is held back and sent after the next one. */
  reorder?: number;
  /** The sender stalls: no heartbeats (and no sequence numbers used) in [atMs, atMs + forMs). */
  pauses?: Array<{ atMs: number; forMs: number }>;
  /** The sender is cycled: its sequence falls back to 0 at this time or sequence number. */
  restarts?: Array<{ atMs?: number; atSeq?: number }>;
  seed?: number;
}

export type Withheld = 'drop' | 'burst' | 'loss' | 'gemodel' | 'pause';

/** One slot of the schedule: the heartbeat due at `atMs` from the start. */
export interface Slot {
  index: number;
  atMs: number;
  /** The sequence number this heartbeat carries (unused when paused). */
  seq: number;
  /** When to put it on the wire, ms from the start; empty when withheld. */
  sendAtMs: number[];
  withheld: Withheld | null;
  /** The sender restarted just before this heartbeat. */
  restarted: boolean;
}

/** Where a stream's slots come from: a plan on a fixed interval, or a capture being replayed. */
export interface SlotSource {
  /** The next slot, in time order; null when the stream is over. */
  next(): Slot | null;
}

/**
 * The per-heartbeat models (loss, delay, duplication, reordering), applied
 * in slot order; shared by planned streams and replays.
 */
export class Impairer {
  private readonly rng: Rng;
  private burstLeft = 0;
  private geBad = false;
  private readonly pendingBursts: Array<{ count: number; atSeq?: number; atMs?: number }>;

  constructor(
    private readonly imp: Impairments,
    /** How far a reordered datagram is held back (1.5 intervals: behind the next one). */
    private readonly holdBackMs: number,
  ) {
    this.rng = new Rng(imp.seed ?? 1);
    this.pendingBursts = [...(imp.bursts ?? [])];
  }

  /** What happens to heartbeat `index` (sequence `seq`) due at `atMs`: withheld, or when it goes out (twice if duplicated). */
  decide(seq: number, atMs: number, index: number): { withheld: Withheld | null; sendAtMs: number[] } {
    const withheld = this.lossOf(seq, atMs, index);
    // Drawn for withheld heartbeats too, so one more drop leaves the others' timing as it was.
    const sendAtMs = this.sendTimes(atMs);
    return { withheld, sendAtMs: withheld ? [] : sendAtMs };
  }

  private lossOf(seq: number, atMs: number, index: number): Withheld | null {
    const imp = this.imp;
    // Random draws happen for every slot, so adding a drop does not shift the other losses.
    const window = imp.lossWindows?.find((w) => atMs >= w.atMs && atMs < w.atMs + w.forMs);
    const p = window ? window.p : imp.loss;
    const bernoulli = p !== undefined && this.rng.float() < p;
    const ge = imp.gemodel ? this.gilbertElliott(imp.gemodel) : false;
    if (imp.drop?.some(([lo, hi]) => seq >= lo && seq <= hi)) return 'drop';
    const b = this.pendingBursts.findIndex((x) => (x.atSeq !== undefined && seq === x.atSeq >>> 0) || (x.atMs !== undefined && atMs >= x.atMs));
    if (b !== -1) {
      this.burstLeft += this.pendingBursts[b].count;
      this.pendingBursts.splice(b, 1);
    }
    if (this.burstLeft > 0) {
      this.burstLeft--;
      return 'burst';
    }
    if (imp.hashedBursts && inHashedBurst(imp.hashedBursts, index)) return 'burst';
    if (bernoulli) return 'loss';
    if (ge) return 'gemodel';
    return null;
  }

  private gilbertElliott(g: GilbertElliott): boolean {
    const r = g.r ?? 100 - g.p;
    this.geBad = this.geBad ? this.rng.float() * 100 >= r : this.rng.float() * 100 < g.p;
    const lossPct = this.geBad ? (g.lossBad ?? 100) : (g.lossGood ?? 0);
    return this.rng.float() * 100 < lossPct;
  }

  private sendTimes(atMs: number): number[] {
    const imp = this.imp;
    const jitter = imp.jitterMs ? (this.rng.float() * 2 - 1) * imp.jitterMs : 0;
    const dup = imp.duplicate !== undefined && this.rng.float() < imp.duplicate;
    const late = imp.reorder !== undefined && this.rng.float() < imp.reorder;
    // Held back past the next heartbeat, which then arrives first.
    const t = Math.max(0, atMs + (imp.delayMs ?? 0) + jitter + (late ? this.holdBackMs : 0));
    return dup ? [t, t] : [t];
  }
}

/** Plans `count` slots of a stream on a fixed interval: pauses and restarts, then the impairments. */
export class StreamPlan implements SlotSource {
  private readonly impairer: Impairer;
  private index = 0;
  private seq: number;
  private readonly pendingRestarts: Array<{ atMs?: number; atSeq?: number }>;

  constructor(
    private readonly intervalMs: number,
    startSeq: number,
    private readonly imp: Impairments = {},
    private readonly count = Number.MAX_SAFE_INTEGER,
  ) {
    this.seq = startSeq >>> 0;
    this.impairer = new Impairer(imp, intervalMs * 1.5);
    this.pendingRestarts = [...(imp.restarts ?? [])];
  }

  next(): Slot | null {
    if (this.index >= this.count) return null;
    const index = this.index++;
    const atMs = index * this.intervalMs;
    if (this.imp.pauses?.some((p) => atMs >= p.atMs && atMs < p.atMs + p.forMs)) {
      return { index, atMs, seq: this.seq, sendAtMs: [], withheld: 'pause', restarted: false };
    }
    const r = this.pendingRestarts.findIndex((x) => (x.atMs !== undefined && atMs >= x.atMs) || (x.atSeq !== undefined && this.seq === x.atSeq >>> 0));
    const restarted = r !== -1;
    if (restarted) {
      this.pendingRestarts.splice(r, 1);
      this.seq = 0;
    }
    const seq = this.seq;
    this.seq = (this.seq + 1) >>> 0;
    return { index, atMs, seq, ...this.impairer.decide(seq, atMs, index), restarted };
  }
}
