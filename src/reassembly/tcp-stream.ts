// Bounded TCP byte-stream reassembly: one reassembler per direction of a
// connection, and a table of them keyed by a one-way flow key
// ("10.0.0.1:5060>10.0.0.2:40000").
//
// Stateful, so it lives in src/ rather than dissectors/. Time is passed in as
// packet-timestamp seconds; the wall clock is never read. Payloads are views
// into a buffer the caller reuses, so everything delivered or held is a copy.
// Sequence numbers are 32-bit and wrap: all comparisons are done on the signed
// 32-bit difference, which is right as long as the two numbers are within 2 GiB.

import { TCP_FIN, TCP_RST, TCP_SYN } from '../../dissectors/types.js';
import { RecencyMap } from '../common/bounded-map.js';

/** What one call hands back: new in-order bytes, plus what was skipped or dropped. */
export interface TcpDelivery {
  /** New stream bytes in order; each chunk is owned by the caller. */
  chunks: Uint8Array[];
  /** Bytes never seen that were skipped to get past a hole. */
  gapBytes: number;
  /** Bytes received again (already delivered, or already held) and dropped. */
  retransmittedBytes: number;
}

export interface TcpDirectionOptions {
  /** Most out-of-order payload bytes held before the first hole is skipped (default 1 MiB). */
  maxHeldBytes?: number;
  /** Most out-of-order pieces held before the first hole is skipped (default 256). */
  maxHeldSegments?: number;
}

export interface TcpDirectionStats {
  deliveredBytes: number;
  gapBytes: number;
  retransmittedBytes: number;
}

const DEFAULT_MAX_HELD_BYTES = 1024 * 1024;
const DEFAULT_MAX_HELD_SEGMENTS = 256;

interface HeldSegment {
  seq: number;
  /** Our own copy. */
  data: Uint8Array;
}

/** a - b as a signed 32-bit distance. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

function positiveIntOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

function emptyDelivery(): TcpDelivery {
  return { chunks: [], gapBytes: 0, retransmittedBytes: 0 };
}

function mergeInto(into: TcpDelivery, from: TcpDelivery): void {
  for (const c of from.chunks) into.chunks.push(c);
  into.gapBytes += from.gapBytes;
  into.retransmittedBytes += from.retransmittedBytes;
}

/** One direction of one connection. */
export class TcpDirectionReassembler {
  readonly maxHeldBytes: number;
  readonly maxHeldSegments: number;
  readonly stats: TcpDirectionStats = { deliveredBytes: 0, gapBytes: 0, retransmittedBytes: 0 };

  /** Next sequence number expected in order; null until the first segment. */
  private next: number | null = null;
  private syn: number | null = null;
  /** Sequence number of a FIN seen ahead of the data before it. */
  private finSeq: number | null = null;
  /** Sorted by sequence, never overlapping, all ahead of `next`. */
  private held: HeldSegment[] = [];
  private heldByteCount = 0;

  constructor(options: TcpDirectionOptions = {}) {
    this.maxHeldBytes = positiveIntOr(options.maxHeldBytes, DEFAULT_MAX_HELD_BYTES);
    this.maxHeldSegments = positiveIntOr(options.maxHeldSegments, DEFAULT_MAX_HELD_SEGMENTS);
  }

  /** Next in-order sequence number, or null before the first segment. */
  get expectedSeq(): number | null {
    return this.next;
  }

  /** Sequence number of the SYN that started this direction, or null if it started mid-stream. */
  get synSeq(): number | null {
    return this.syn;
  }

  get heldBytes(): number {
    return this.heldByteCount;
  }

  get heldSegments(): number {
    return this.held.length;
  }

  /** True while a FIN is known but the data before it is still missing. */
  get finPending(): boolean {
    return this.finSeq !== null;
  }

  /** Takes one segment; never throws. */
  segment(seq: number, flags: number, payload: Uint8Array): TcpDelivery {
    const out = emptyDelivery();
    const s = seq >>> 0;
    const isSyn = (flags & TCP_SYN) !== 0;
    // SYN takes one sequence number; data (rare on a SYN) starts after it.
    const dataSeq = isSyn ? seqAdd(s, 1) : s;
    if (this.next === null) {
      // Captures often start mid-stream: whatever comes first sets the start.
      this.next = dataSeq;
      if (isSyn) this.syn = s;
    }
    const len = payload.length;
    if (len > 0) this.accept(dataSeq, payload, out);
    if ((flags & TCP_FIN) !== 0) this.noteFin(seqAdd(dataSeq, len));
    this.drain(out);
    while (this.held.length > 0 && (this.heldByteCount > this.maxHeldBytes || this.held.length > this.maxHeldSegments)) {
      this.skipHole(out);
    }
    return this.count(out);
  }

  /**
   * Skips the first hole (the connection ended or went quiet): reports its
   * size as gapBytes and delivers what is held after it, up to the next hole.
   */
  flushGap(): TcpDelivery {
    const out = emptyDelivery();
    this.skipHole(out);
    return this.count(out);
  }

  /** Skips every hole: delivers everything held, and consumes a pending FIN. */
  flushAll(): TcpDelivery {
    const out = emptyDelivery();
    // Each pass removes at least one held segment or the pending FIN.
    while (this.held.length > 0 || this.finSeq !== null) {
      if (!this.skipHole(out)) break;
    }
    return this.count(out);
  }

  private count(out: TcpDelivery): TcpDelivery {
    for (const c of out.chunks) this.stats.deliveredBytes += c.length;
    this.stats.gapBytes += out.gapBytes;
    this.stats.retransmittedBytes += out.retransmittedBytes;
    return out;
  }

  private accept(dataSeq: number, payload: Uint8Array, out: TcpDelivery): void {
    const next = this.next ?? dataSeq;
    const len = payload.length;
    const rel = seqDiff(dataSeq, next);
    if (rel <= 0) {
      if (rel + len <= 0) {
        out.retransmittedBytes += len;
        return;
      }
      const skip = -rel;
      out.retransmittedBytes += skip;
      // new Uint8Array(view) copies (Buffer#slice would not).
      out.chunks.push(new Uint8Array(payload.subarray(skip)));
      this.next = seqAdd(next, len - skip);
      return;
    }
    this.hold(rel, dataSeq, payload, out);
  }

  /** Keeps the parts of an out-of-order segment not already held (first data wins). */
  private hold(rel: number, dataSeq: number, payload: Uint8Array, out: TcpDelivery): void {
    const next = this.next ?? dataSeq;
    const start = rel;
    const end = rel + payload.length;
    const fresh: Array<[number, number]> = [];
    let cursor = start;
    for (const h of this.held) {
      if (cursor >= end) break;
      const hs = seqDiff(h.seq, next);
      const he = hs + h.data.length;
      if (he <= cursor) continue;
      if (hs >= end) break;
      if (hs > cursor) fresh.push([cursor, hs]);
      out.retransmittedBytes += Math.min(he, end) - Math.max(hs, cursor);
      cursor = Math.max(cursor, he);
    }
    if (cursor < end) fresh.push([cursor, end]);
    for (const [a, b] of fresh) {
      const piece: HeldSegment = { seq: seqAdd(next, a), data: new Uint8Array(payload.subarray(a - start, b - start)) };
      let i = this.held.length;
      while (i > 0 && seqDiff(this.held[i - 1].seq, next) > a) i--;
      this.held.splice(i, 0, piece);
      this.heldByteCount += b - a;
    }
  }

  private noteFin(fin: number): void {
    if (this.next === null) return;
    // A FIN behind what we already passed is a retransmission.
    if (seqDiff(fin, this.next) >= 0) this.finSeq = fin;
  }

  /** Delivers held segments that have become in order, then a FIN that has. */
  private drain(out: TcpDelivery): void {
    if (this.next === null) return;
    while (this.held.length > 0) {
      const h = this.held[0];
      const rel = seqDiff(h.seq, this.next);
      if (rel > 0) break;
      this.held.shift();
      this.heldByteCount -= h.data.length;
      const end = rel + h.data.length;
      if (end <= 0) {
        out.retransmittedBytes += h.data.length;
        continue;
      }
      out.retransmittedBytes += -rel;
      out.chunks.push(rel < 0 ? h.data.subarray(-rel) : h.data);
      this.next = seqAdd(this.next, end);
    }
    if (this.finSeq !== null) {
      const rel = seqDiff(this.finSeq, this.next);
      if (rel === 0) {
        this.next = seqAdd(this.next, 1);
        this.finSeq = null;
      } else if (rel < 0) {
        this.finSeq = null; // data ran past it; the FIN was bogus
      }
    }
  }

  /** Jumps over the first hole; false if there is none. */
  private skipHole(out: TcpDelivery): boolean {
    if (this.next === null) return false;
    const target = this.held.length > 0 ? this.held[0].seq : this.finSeq;
    if (target === null) return false;
    const gap = seqDiff(target, this.next);
    if (gap > 0) out.gapBytes += gap;
    this.next = target;
    this.drain(out);
    return true;
  }
}

export interface TcpReassemblerOptions extends TcpDirectionOptions {
  /** Most directions tracked; the least recently used is evicted (default 65536). */
  maxConnections?: number;
  /** A direction with no segment for this long is dropped (default 300 s). */
  idleTimeoutSec?: number;
  /**
   * Budget for out-of-order data held across all directions, charging a fixed
   * overhead per held piece (default 64 MiB). Without it the worst case would be
   * maxConnections x maxHeldBytes.
   */
  maxTotalHeldBytes?: number;
}

export interface TcpReassemblerStats {
  /** Directions in the table (open ones plus recently closed ones kept to spot retransmissions). */
  connections: number;
  gapBytes: number;
  retransmittedBytes: number;
  /** Directions dropped for room (LRU) or for idleness. */
  evicted: number;
  /** The idle subset of `evicted`. */
  timedOut: number;
  /** Out-of-order payload bytes held across all directions. */
  heldBytes: number;
}

const DEFAULT_MAX_CONNECTIONS = 65536;
const DEFAULT_IDLE_TIMEOUT_SEC = 300;
const DEFAULT_MAX_TOTAL_HELD_BYTES = 64 * 1024 * 1024;
/** Charged per held piece against maxTotalHeldBytes: roughly its object cost. */
const HELD_SEGMENT_OVERHEAD_BYTES = 64;
/**
 * After a FIN or RST, a segment ending at most this far behind where the
 * direction stopped is a late retransmission and is dropped; anything else is
 * a new connection on the same 4-tuple. Small, so a new connection's random
 * ISN almost never lands in it.
 */
const CLOSED_RETRANSMIT_WINDOW = 1024 * 1024;

interface DirectionEntry {
  dir: TcpDirectionReassembler;
  lastSec: number;
  /** A FIN or RST was seen: held data was flushed, only late retransmissions are expected. */
  closed: boolean;
}

/** A bounded table of direction reassemblers. */
export class TcpReassembler {
  readonly maxConnections: number;
  readonly idleTimeoutSec: number;
  readonly maxTotalHeldBytes: number;
  readonly stats: TcpReassemblerStats = {
    connections: 0,
    gapBytes: 0,
    retransmittedBytes: 0,
    evicted: 0,
    timedOut: 0,
    heldBytes: 0,
  };

  private readonly directionOptions: TcpDirectionOptions;
  // Recency order: an entry moves to the recent end on every segment, so the
  // oldest entry is the least recently used and the first to go idle. (A
  // RecencyMap, not Map delete + set, which rehashes into old space per touch.)
  private readonly table = new RecencyMap<string, DirectionEntry>();
  private heldCost = 0;
  private lastSec = 0;

  constructor(options: TcpReassemblerOptions = {}) {
    this.maxConnections = positiveIntOr(options.maxConnections, DEFAULT_MAX_CONNECTIONS);
    const idle = options.idleTimeoutSec;
    this.idleTimeoutSec = idle !== undefined && Number.isFinite(idle) && idle > 0 ? idle : DEFAULT_IDLE_TIMEOUT_SEC;
    this.maxTotalHeldBytes = positiveIntOr(options.maxTotalHeldBytes, DEFAULT_MAX_TOTAL_HELD_BYTES);
    this.directionOptions = { maxHeldBytes: options.maxHeldBytes, maxHeldSegments: options.maxHeldSegments };
  }

  /** Takes one segment of the direction named by flowKey; never throws. */
  segment(flowKey: string, seq: number, flags: number, payload: Uint8Array, timeSec: number): TcpDelivery {
    const now = Number.isFinite(timeSec) ? timeSec : this.lastSec;
    this.lastSec = now;
    this.sweep(now, false);

    let entry = this.table.peek(flowKey);
    if (entry !== undefined && this.startsFresh(entry, seq, flags, payload.length)) {
      this.table.delete(flowKey); // replaced below, at the recent end
      this.forget(entry);
      entry = undefined;
    }
    if (entry === undefined) {
      while (this.table.size >= this.maxConnections) this.evictOldest();
      entry = { dir: new TcpDirectionReassembler(this.directionOptions), lastSec: now, closed: false };
    }
    this.table.set(flowKey, entry);
    entry.lastSec = now;

    const dir = entry.dir;
    const costBefore = heldCost(dir);
    const bytesBefore = dir.heldBytes;
    const out = dir.segment(seq, flags, payload);
    if ((flags & (TCP_FIN | TCP_RST)) !== 0) {
      // The direction is over: whatever is still held will not be completed.
      mergeInto(out, dir.flushAll());
      entry.closed = true;
    } else {
      // Over the shared budget: make this direction give up its holes. Only the
      // current direction grew, so flushing it alone keeps the total bounded.
      while (this.heldCost - costBefore + heldCost(dir) > this.maxTotalHeldBytes && dir.heldSegments > 0) {
        mergeInto(out, dir.flushGap());
      }
    }
    this.heldCost += heldCost(dir) - costBefore;
    this.stats.heldBytes += dir.heldBytes - bytesBefore;
    this.stats.gapBytes += out.gapBytes;
    this.stats.retransmittedBytes += out.retransmittedBytes;
    this.stats.connections = this.table.size;
    return out;
  }

  /** Drops every direction idle past the timeout; returns how many. */
  expire(nowSec: number): number {
    if (!Number.isFinite(nowSec)) return 0;
    return this.sweep(nowSec, true);
  }

  /** The reassembler for one direction, if tracked (for inspection). */
  direction(flowKey: string): TcpDirectionReassembler | undefined {
    return this.table.peek(flowKey)?.dir;
  }

  private startsFresh(entry: DirectionEntry, seq: number, flags: number, len: number): boolean {
    const s = seq >>> 0;
    if ((flags & TCP_SYN) !== 0) return entry.dir.synSeq !== s;
    if (!entry.closed) return false;
    const next = entry.dir.expectedSeq;
    if (next === null) return true;
    // Where this segment's sequence space ends (a FIN takes one more).
    const end = seqAdd(s, len + ((flags & TCP_FIN) !== 0 ? 1 : 0));
    const behind = seqDiff(next, end);
    return behind < 0 || behind > CLOSED_RETRANSMIT_WINDOW;
  }

  /** Drops idle directions: from the LRU end only, or all of them when `full`. */
  private sweep(now: number, full: boolean): number {
    let dropped = 0;
    if (!full) {
      // The per-segment case: only the least recently used end, no iterator.
      for (let entry = this.table.oldestValue(); entry !== undefined && now - entry.lastSec > this.idleTimeoutSec; entry = this.table.oldestValue()) {
        this.table.delete(this.table.oldestKey() as string);
        this.forget(entry);
        dropped++;
      }
    } else {
      for (const [key, entry] of this.table.entries()) {
        if (now - entry.lastSec > this.idleTimeoutSec) {
          this.table.delete(key);
          this.forget(entry);
          dropped++;
        }
      }
    }
    this.stats.evicted += dropped;
    this.stats.timedOut += dropped;
    this.stats.connections = this.table.size;
    return dropped;
  }

  private evictOldest(): void {
    const entry = this.table.oldestValue();
    if (entry === undefined) return;
    this.table.delete(this.table.oldestKey() as string);
    this.forget(entry);
    this.stats.evicted++;
  }

  /** Releases an entry's share of the held-data accounting (the entry is already out of the table). */
  private forget(entry: DirectionEntry): void {
    this.heldCost -= heldCost(entry.dir);
    this.stats.heldBytes -= entry.dir.heldBytes;
  }
}

function heldCost(dir: TcpDirectionReassembler): number {
  return dir.heldBytes + dir.heldSegments * HELD_SEGMENT_OVERHEAD_BYTES;
}
