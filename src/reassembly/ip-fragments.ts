// Bounded IP fragment reassembly (IPv4 and IPv6 alike: the caller builds the
// key from version, src, dst, protocol and id, and passes the byte offset).
//
// Stateful, so it lives in src/ rather than dissectors/. Time is passed in as
// packet-timestamp seconds; the wall clock is never read. Inputs are views into
// a buffer the caller reuses, so every byte kept is copied. Memory is bounded by
// a datagram count, a per-datagram byte cap, a per-datagram piece cap and a
// total byte budget (which also charges a fixed overhead per stored piece, so a
// flood of tiny fragments cannot hide behind a small byte count).

export interface IpFragmentOptions {
  /** Drop a datagram this many seconds after its first fragment (default 30, as Linux's ipfrag_time). */
  timeoutSec?: number;
  /** Most datagrams pending at once; the oldest is evicted to make room (default 1024). */
  maxDatagrams?: number;
  /** Largest reassembled payload accepted; a fragment ending past it drops the datagram (default 65535 + slack). */
  maxBytesPerDatagram?: number;
  /** Budget for all pending fragment data plus per-piece overhead (default 16 MiB). */
  maxTotalBytes?: number;
}

export interface IpFragmentStats {
  /** Datagrams completed and returned. */
  reassembled: number;
  /** Datagrams dropped because their first fragment is older than the timeout. */
  timedOut: number;
  /** Datagrams dropped to respect maxDatagrams or maxTotalBytes. */
  evicted: number;
  /** Datagrams dropped because a fragment ended past maxBytesPerDatagram (or came in too many pieces). */
  oversize: number;
  /** Datagrams dropped, or fragments ignored, because they contradicted themselves (two different
   *  ends, data past the end, a negative or non-integer offset). */
  malformed: number;
  /** Datagrams currently waiting for fragments. */
  pending: number;
}

const DEFAULT_TIMEOUT_SEC = 30;
const DEFAULT_MAX_DATAGRAMS = 1024;
// An IPv4 fragment offset can reach 65528 and the payload of a jumbo-less packet
// is < 65535, so real datagrams fit in 64 KiB; the slack tolerates sloppy senders
// without letting an absurd offset allocate much.
const DEFAULT_MAX_BYTES_PER_DATAGRAM = 65535 + 1024;
const DEFAULT_MAX_TOTAL_BYTES = 16 * 1024 * 1024;
/** Charged to maxTotalBytes per stored piece: roughly the object and array cost. */
const PIECE_OVERHEAD_BYTES = 64;
/** Real datagrams need at most ~45 pieces (64 KiB / 1480); this keeps inserts cheap under attack. */
const MAX_PIECES_PER_DATAGRAM = 512;
/** A full scan (not just the oldest entries) every this many adds copes with timestamps that go backwards. */
const FULL_SWEEP_EVERY_ADDS = 1024;

interface Piece {
  start: number;
  end: number;
  data: Uint8Array;
}

interface PendingDatagram {
  firstSec: number;
  /** Sorted by start, never overlapping. */
  pieces: Piece[];
  /** Bytes held (sum of piece lengths). */
  covered: number;
  /** Largest end seen so far. */
  maxEnd: number;
  /** Total payload length, known once the last fragment (MF clear) arrives. */
  total: number | null;
  /** What this datagram charges to maxTotalBytes. */
  cost: number;
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

export class IpFragmentReassembler {
  readonly timeoutSec: number;
  readonly maxDatagrams: number;
  readonly maxBytesPerDatagram: number;
  readonly maxTotalBytes: number;
  readonly stats: IpFragmentStats = {
    reassembled: 0,
    timedOut: 0,
    evicted: 0,
    oversize: 0,
    malformed: 0,
    pending: 0,
  };

  // Map iteration order is insertion order, i.e. creation order: the first
  // entry is the oldest, which is what both timeout and eviction want.
  private readonly pendingMap = new Map<string, PendingDatagram>();
  private totalCost = 0;
  private lastSec = 0;
  private addsSinceFullSweep = 0;

  constructor(options: IpFragmentOptions = {}) {
    this.timeoutSec = positiveOr(options.timeoutSec, DEFAULT_TIMEOUT_SEC);
    this.maxDatagrams = Math.floor(positiveOr(options.maxDatagrams, DEFAULT_MAX_DATAGRAMS)) || 1;
    this.maxBytesPerDatagram = Math.floor(positiveOr(options.maxBytesPerDatagram, DEFAULT_MAX_BYTES_PER_DATAGRAM));
    this.maxTotalBytes = positiveOr(options.maxTotalBytes, DEFAULT_MAX_TOTAL_BYTES);
  }

  /** Bytes of fragment data currently held (without the per-piece overhead). */
  get heldBytes(): number {
    let n = 0;
    for (const d of this.pendingMap.values()) n += d.covered;
    return n;
  }

  /**
   * Adds one fragment. Returns the whole upper-layer payload (a fresh array)
   * when this fragment closes the last hole, else null. Never throws.
   */
  add(key: string, offset: number, moreFragments: boolean, payload: Uint8Array, timeSec: number): Uint8Array | null {
    const now = Number.isFinite(timeSec) ? timeSec : this.lastSec;
    this.lastSec = now;
    this.sweep(now, ++this.addsSinceFullSweep >= FULL_SWEEP_EVERY_ADDS);

    if (!Number.isSafeInteger(offset) || offset < 0) {
      this.stats.malformed++;
      return null;
    }
    const len = payload.length;
    const end = offset + len;

    let dgram = this.pendingMap.get(key);
    // The amortized sweep may not have reached this one yet.
    if (dgram !== undefined && now - dgram.firstSec > this.timeoutSec) {
      this.drop(key, dgram);
      this.stats.timedOut++;
      dgram = undefined;
    }

    if (end > this.maxBytesPerDatagram) {
      if (dgram !== undefined) this.drop(key, dgram);
      this.stats.oversize++;
      return null;
    }

    if (dgram === undefined) {
      if (!moreFragments && offset === 0) {
        // Not fragmented after all: nothing to wait for.
        return new Uint8Array(payload);
      }
      if (moreFragments && len === 0) return null; // carries nothing, not worth a slot
      while (this.pendingMap.size >= this.maxDatagrams) this.evictOldest();
      dgram = { firstSec: now, pieces: [], covered: 0, maxEnd: 0, total: null, cost: 0 };
      this.pendingMap.set(key, dgram);
      this.stats.pending = this.pendingMap.size;
    }

    // Consistency rules as in Linux's ip_frag_queue: one end, and no data past it.
    if (!moreFragments) {
      if ((dgram.total !== null && dgram.total !== end) || dgram.maxEnd > end) {
        this.drop(key, dgram);
        this.stats.malformed++;
        return null;
      }
      dgram.total = end;
    } else if (dgram.total !== null && end > dgram.total) {
      this.drop(key, dgram);
      this.stats.malformed++;
      return null;
    }
    if (end > dgram.maxEnd) dgram.maxEnd = end;

    const fresh = uncovered(dgram.pieces, offset, end);
    if (fresh.length > 0) {
      if (dgram.pieces.length + fresh.length > MAX_PIECES_PER_DATAGRAM) {
        this.drop(key, dgram);
        this.stats.oversize++;
        return null;
      }
      let addBytes = 0;
      for (const [s, e] of fresh) addBytes += e - s;
      const addCost = addBytes + fresh.length * PIECE_OVERHEAD_BYTES;
      if (!this.makeRoom(addCost, key)) {
        this.drop(key, dgram);
        this.stats.evicted++;
        return null;
      }
      for (const [s, e] of fresh) {
        // Copy: the caller reuses its buffer once we return.
        insertPiece(dgram.pieces, { start: s, end: e, data: new Uint8Array(payload.subarray(s - offset, e - offset)) });
      }
      dgram.covered += addBytes;
      dgram.cost += addCost;
      this.totalCost += addCost;
    }

    // Pieces never overlap and never pass total, so full coverage is a count.
    if (dgram.total !== null && dgram.covered === dgram.total) {
      const whole = new Uint8Array(dgram.total);
      for (const p of dgram.pieces) whole.set(p.data, p.start);
      this.drop(key, dgram);
      this.stats.reassembled++;
      return whole;
    }
    return null;
  }

  /** Drops every datagram whose first fragment is older than the timeout; returns how many. */
  expire(nowSec: number): number {
    if (!Number.isFinite(nowSec)) return 0;
    return this.sweep(nowSec, true);
  }

  /**
   * Drops timed-out datagrams. The cheap form stops at the first young entry
   * (right when timestamps rise); the full form scans everything.
   */
  private sweep(now: number, full: boolean): number {
    if (full) this.addsSinceFullSweep = 0;
    let dropped = 0;
    for (const [key, d] of this.pendingMap) {
      if (now - d.firstSec > this.timeoutSec) {
        this.drop(key, d); // deleting the current entry during Map iteration is safe
        dropped++;
      } else if (!full) {
        break;
      }
    }
    this.stats.timedOut += dropped;
    return dropped;
  }

  /** Evicts oldest datagrams (never `keep`) until `cost` more fits; false if it cannot. */
  private makeRoom(cost: number, keep: string): boolean {
    while (this.totalCost + cost > this.maxTotalBytes) {
      let victim: string | undefined;
      for (const k of this.pendingMap.keys()) {
        if (k !== keep) {
          victim = k;
          break;
        }
      }
      if (victim === undefined) return false;
      const d = this.pendingMap.get(victim);
      if (d !== undefined) this.drop(victim, d);
      this.stats.evicted++;
    }
    return true;
  }

  private evictOldest(): void {
    const first = this.pendingMap.entries().next();
    if (first.done === true) return;
    this.drop(first.value[0], first.value[1]);
    this.stats.evicted++;
  }

  private drop(key: string, d: PendingDatagram): void {
    if (this.pendingMap.delete(key)) this.totalCost -= d.cost;
    this.stats.pending = this.pendingMap.size;
  }
}

/** The parts of [start, end) that no existing piece covers: first data wins. */
function uncovered(pieces: readonly Piece[], start: number, end: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let cursor = start;
  for (const p of pieces) {
    if (cursor >= end) break;
    if (p.end <= cursor) continue;
    if (p.start >= end) break;
    if (p.start > cursor) out.push([cursor, p.start]);
    cursor = Math.max(cursor, p.end);
  }
  if (cursor < end) out.push([cursor, end]);
  return out;
}

function insertPiece(pieces: Piece[], piece: Piece): void {
  let i = pieces.length;
  while (i > 0 && pieces[i - 1].start > piece.start) i--;
  pieces.splice(i, 0, piece);
}
