// SIP transactions (RFC 3261 17) as seen on the wire: which request a
// response answers, which messages are retransmissions, how long the answer
// took, and which requests were never answered.
//
// Key: top Via branch + sent-by + CSeq method (RFC 3261 17.2.3; the ACK for
// a non-2xx final response carries the INVITE's top Via and belongs to the
// INVITE transaction). Without a branch (RFC 2543) the key is Call-ID + CSeq.
// An INVITE's key is "branch sent-by", other methods' "METHOD branch sent-by"
// (a branch holds no SP, an RFC 2543 key starts "2543|", a method holds no
// "|": never equal). The sent-by is in the key because two clients may pick
// the same branch (a generator's counter, a buggy phone): without it the
// second client's INVITE was taken for a retransmission of the first's. A
// response copies the request's top Via whole (a NAT adds received=/rport,
// which are parameters, not the sent-by), so the key still matches it.
//
// Timeouts follow Timer B/F (64*T1 = 32 s by default): a request with no
// final response within the limit times out, decided when packet time passes
// the limit or at the end of the capture; an INVITE that got a provisional
// response is in Proceeding, where RFC 3261 runs no timer (it may ring for
// minutes), so it never times out here.
//
// A transaction that ended (final response, or timeout) is kept for another
// 64*T1 (or the timeout, if longer) to recognise retransmissions (peers send
// them for that long: Timer B/F on the client, J/H on the server), then
// dropped: the table holds the last minute or so of signalling, not every
// transaction of the file.

import { IntervalHistogram, type IntervalStats } from '../heartbeat/interval-histogram.js';
import { Fifo } from '../common/fifo.js';
import { detach } from '../common/detach.js';
import { epochOf, msBetweenParts, roundMs, TimeBase, type SipEvent, type Ts } from './sip-event.js';

export interface TransactionParams {
  /** No final response within this many ms: timeout (Timer B/F = 64*T1). */
  timeoutMs: number;
  /** Most transactions held at once; the least recently used go first. */
  maxTransactions: number;
}

export const DEFAULT_TRANSACTION_PARAMS: TransactionParams = { timeoutMs: 32_000, maxTransactions: 65_536 };

/**
 * One transaction. Its times are kept as small integers on the tracker's
 * time base (see TimeBase): `start` makes the timestamp when it is read.
 */
export class Transaction {
  /** A provisional response came before any final one. */
  provisional = false;
  /** Null before the first final response. */
  finalStatus: number | null = null;
  /** ACKs for a non-2xx final response (INVITE only). */
  acks = 0;
  outcome: 'open' | 'final' | 'timeout' | 'unanswered' = 'open';
  /**
   * Status and To tag ('' for none) of the responses seen, to tell a
   * retransmitted response from a new one: the first three in place (an
   * INVITE's 100, 180 and 200; -1: none yet), further ones in pairs
   * (bounded), null until there are any.
   */
  seenStatus1 = -1;
  seenTag1 = '';
  seenStatus2 = -1;
  seenTag2 = '';
  seenStatus3 = -1;
  seenTag3 = '';
  moreSeen: Array<number | string> | null = null;
  /** Still able to time out (in the tracker's queue of pending requests). */
  pending = true;
  /** Where its entry in the queue of ended transactions is (-1 while it has not ended, or once it left the table). */
  endedAt = -1;
  /** In the tracker's table (false once it left: dropped after its window, or evicted). */
  inTable = true;

  constructor(
    readonly key: string,
    readonly method: string,
    readonly callId: string,
    readonly cseq: number,
    /** Endpoint that sent the request, and the one it went to. */
    readonly client: string,
    readonly server: string,
    private readonly clock: TimeBase,
    /** The request's time: seconds on the clock's base, nanoseconds. */
    readonly startSec: number,
    readonly startNsec: number,
  ) {}

  get start(): Ts {
    return this.clock.ts(this.startSec, this.startNsec);
  }
}

/**
 * Ended transactions in the order they ended, with the time each leaves the
 * table: (transaction, seconds on the tracker's base, nanoseconds) in three
 * slots of a ring that doubles when full, so retiring a transaction makes no
 * object. An entry is cancelled (its transaction slot nulled) when the
 * transaction is retired again or evicted, so the queue holds no more
 * transactions than the table.
 */
class EndedQueue {
  private items: Array<Transaction | number | null> = new Array<Transaction | number | null>(3 * 16).fill(null);
  /** Entries the ring holds, less one (a power of two less one). */
  private mask = 15;
  /** Positions, counted over every entry ever pushed: of the first entry, and of the next one to push. */
  private first = 0;
  private next = 0;

  get empty(): boolean {
    return this.first === this.next;
  }

  /** Adds an entry and returns its position, for cancel(). */
  push(tx: Transaction, sec: number, nsec: number): number {
    if (this.next - this.first > this.mask) this.grow();
    const i = 3 * (this.next & this.mask);
    this.items[i] = tx;
    this.items[i + 1] = sec;
    this.items[i + 2] = nsec;
    return this.next++;
  }

  /** Cancels the entry at `at`, still in the queue. */
  cancel(at: number): void {
    this.items[3 * (at & this.mask)] = null;
  }

  /** Whether the first entry's time is before (sec, nsec); the queue must not be empty. */
  firstBefore(sec: number, nsec: number): boolean {
    const i = 3 * (this.first & this.mask);
    const s = this.items[i + 1] as number;
    return s < sec || (s === sec && (this.items[i + 2] as number) < nsec);
  }

  /** Takes the first entry off; its transaction, or null when the entry was cancelled. */
  shift(): Transaction | null {
    const i = 3 * (this.first & this.mask);
    const tx = this.items[i] as Transaction | null;
    this.items[i] = null;
    this.first++;
    return tx;
  }

  private grow(): void {
    const mask = 2 * this.mask + 1;
    const items = new Array<Transaction | number | null>(3 * (mask + 1)).fill(null);
    for (let p = this.first; p < this.next; p++) {
      const from = 3 * (p & this.mask);
      const to = 3 * (p & mask);
      items[to] = this.items[from];
      items[to + 1] = this.items[from + 1];
      items[to + 2] = this.items[from + 2];
    }
    this.items = items;
    this.mask = mask;
  }
}

export type TxKind =
  | 'request'
  | 'request-retransmission'
  | 'ack'
  | 'ack-retransmission'
  | 'response'
  | 'response-retransmission'
  /** A response with no request seen (capture started late, or its transaction was evicted). */
  | 'stray-response'
  /** An ACK for a 2xx: a transaction of its own with no response (RFC 3261 17.1.1.1). */
  | 'ack-2xx';

/** What a message was to its transaction. The tracker reuses one TxUpdate: it holds until the next add(). */
export interface TxUpdate {
  tx: Transaction | null;
  kind: TxKind;
}

export interface TransactionListener {
  started?(tx: Transaction, ev: SipEvent): void;
  /** The first final response. */
  finished?(tx: Transaction, ev: SipEvent): void;
  /** No final response within the limit; `at` is start + limit. */
  timedOut?(tx: Transaction, at: Ts): void;
  /** Still waiting for any response when the capture ended, within the limit. */
  unanswered?(tx: Transaction): void;
}

export interface ResponseTimeStats extends IntervalStats {
  count: number;
}

export interface TransactionStats {
  transactions: number;
  requestRetransmissions: number;
  responseRetransmissions: number;
  /** Retransmitted requests by method. */
  retransmissionsByMethod: Record<string, number>;
  strayResponses: number;
  completed: number;
  timeouts: number;
  /** No response at all when the capture ended, within the limit. */
  unansweredAtEnd: number;
  /** INVITEs with a provisional response and no final one at the end. */
  proceedingAtEnd: number;
  /** Open transactions dropped from the full table (their outcome is unknown). */
  evicted: number;
  /** Request to final response, by method (ms). */
  finalResponseMs: Record<string, ResponseTimeStats>;
  /** INVITE to its first provisional response (ms). */
  inviteProvisionalMs: ResponseTimeStats | null;
  /** The first timeouts (at most MAX_LISTED). */
  timeoutList: Array<{ time: number; method: string; callId: string; client: string; server: string }>;
}

const MAGIC_COOKIE = 'z9hG4bK';
const MAX_SEEN_RESPONSES = 16;
const MAX_LISTED = 100;
/** 64*T1 with T1 = 500 ms: how long peers go on retransmitting (RFC 3261 17). */
const RETRANSMIT_WINDOW_MS = 64 * 500;

/**
 * The transaction key of a message (an ACK maps onto its INVITE). Joined, not
 * concatenated: join makes one flat string that holds no slice of the
 * message, so the table keeps the key as it is (no detached copy).
 */
function keyOf(ev: SipEvent): string {
  const m = ev.msg;
  const cseq = m.cseq!;
  const method = cseq.method === 'ACK' ? 'INVITE' : cseq.method;
  // RFC 3261 branches are unique per transaction; an RFC 2543 one (no cookie) may be reused, so it is only a qualifier there.
  if (m.branch !== null && m.branch.startsWith(MAGIC_COOKIE)) {
    const sentBy = m.sentBy ?? 'null';
    return method === 'INVITE' ? [m.branch, sentBy].join(' ') : [method, m.branch, sentBy].join(' ');
  }
  return ['2543', m.callId, cseq.seq, method, m.branch ?? ''].join('|');
}

/** The seconds of the time `ns` nanoseconds after (sec, nsec), the excess nanoseconds carried; two numbers, no timestamp object. */
function secAfter(sec: number, nsec: number, ns: number): number {
  return sec + Math.floor((nsec + ns) / 1e9);
}

/** The nanoseconds of that time. */
function nsecAfter(nsec: number, ns: number): number {
  const t = nsec + ns;
  return t - Math.floor(t / 1e9) * 1e9;
}

function seenBefore(tx: Transaction, status: number, tag: string): boolean {
  if ((tx.seenStatus1 === status && tx.seenTag1 === tag) || (tx.seenStatus2 === status && tx.seenTag2 === tag) || (tx.seenStatus3 === status && tx.seenTag3 === tag)) return true;
  const more = tx.moreSeen;
  if (more !== null) for (let i = 0; i < more.length; i += 2) if (more[i] === status && more[i + 1] === tag) return true;
  return false;
}

/** Note a response not seen before (up to MAX_SEEN_RESPONSES of them). */
function remember(tx: Transaction, status: number, tag: string): void {
  if (tx.seenStatus1 < 0) {
    tx.seenStatus1 = status;
    tx.seenTag1 = detach(tag);
  } else if (tx.seenStatus2 < 0) {
    tx.seenStatus2 = status;
    tx.seenTag2 = detach(tag);
  } else if (tx.seenStatus3 < 0) {
    tx.seenStatus3 = status;
    tx.seenTag3 = detach(tag);
  } else if (tx.moreSeen === null) {
    tx.moreSeen = [status, detach(tag)];
  } else if (tx.moreSeen.length < 2 * (MAX_SEEN_RESPONSES - 3)) {
    tx.moreSeen.push(status, detach(tag));
  }
}

function stats(h: IntervalHistogram, count: number): ResponseTimeStats | null {
  const s = h.stats();
  return s === null ? null : { count, min: roundMs(s.min), p50: roundMs(s.p50), p99: roundMs(s.p99), max: roundMs(s.max) };
}

export class TransactionTracker {
  readonly params: TransactionParams;
  /**
   * Transactions by key. The queues below are in time order and skip what
   * left them early (`inTable` or `pending` false, or a cancelled entry), so
   * a message costs one lookup by key.
   */
  private readonly table = new Map<string, Transaction>();
  /** The transactions in the table in start order, the oldest evicted first, and ones that left since (let go in batches). */
  private readonly order = new Fifo<Transaction>();
  /** Requests that could still time out, in start order. */
  private readonly pending = new Fifo<Transaction>();
  /** Ended transactions in the order they ended, with the time they leave the table. */
  private readonly ended = new EndedQueue();
  /** The base of the transactions' times. */
  private readonly clock = new TimeBase();
  /** The one update add() returns, rewritten by each call. */
  private readonly update: TxUpdate = { tx: null, kind: 'request' };
  private readonly finalHist = new Map<string, { h: IntervalHistogram; n: number }>();
  private readonly provHist = new IntervalHistogram();
  private provCount = 0;
  private readonly s: Omit<TransactionStats, 'finalResponseMs' | 'inviteProvisionalMs'> = {
    transactions: 0, requestRetransmissions: 0, responseRetransmissions: 0, retransmissionsByMethod: {}, strayResponses: 0,
    completed: 0, timeouts: 0, unansweredAtEnd: 0, proceedingAtEnd: 0, evicted: 0, timeoutList: [],
  };
  private finished = false;

  constructor(params: Partial<TransactionParams> = {}, private readonly listener: TransactionListener = {}) {
    this.params = { ...DEFAULT_TRANSACTION_PARAMS, ...params };
  }

  /** Transactions in the table now: open, proceeding, or ended within the retransmission window. */
  get held(): number {
    return this.table.size;
  }

  /** Time passes: time out the requests whose limit `now` has passed, and drop ended transactions whose window has. */
  advance(now: Ts): void {
    const nowSec = this.clock.rel(now.sec);
    const nowNsec = now.nsec;
    const timeoutNs = Math.round(this.params.timeoutMs * 1e6);
    for (let tx = this.pending.peek(); tx !== undefined; tx = this.pending.peek()) {
      if (!tx.pending) {
        this.pending.shift();
        continue;
      }
      // Its deadline: start + the limit, passed when before now.
      const sec = secAfter(tx.startSec, tx.startNsec, timeoutNs);
      const nsec = nsecAfter(tx.startNsec, timeoutNs);
      if (!(sec < nowSec || (sec === nowSec && nsec < nowNsec))) break;
      this.timeout(tx, sec, nsec);
    }
    while (!this.ended.empty && this.ended.firstBefore(nowSec, nowNsec)) {
      const tx = this.ended.shift();
      // Retired again later (its entry then comes after this one), or evicted: not this entry's to drop.
      if (tx === null) continue;
      tx.endedAt = -1;
      // The key may since belong to a new transaction (an RFC 2543 branch reused): drop only this one.
      if (this.table.get(tx.key) === tx) this.table.delete(tx.key);
      tx.inTable = false;
    }
  }

  /** Keep an ended transaction for the retransmissions that may still follow `at` (seconds on the clock's base, nanoseconds). */
  private retire(tx: Transaction, atSec: number, atNsec: number): void {
    if (tx.endedAt >= 0) this.ended.cancel(tx.endedAt);
    const ns = Math.round(Math.max(this.params.timeoutMs, RETRANSMIT_WINDOW_MS) * 1e6);
    tx.endedAt = this.ended.push(tx, secAfter(atSec, atNsec, ns), nsecAfter(atNsec, ns));
  }

  /** What `ev` is to its transaction; the update returned holds until the next call. */
  add(ev: SipEvent): TxUpdate {
    this.advance(ev.ts);
    const m = ev.msg;
    const key = keyOf(ev);
    const tx = this.table.get(key);
    if (m.method !== undefined) {
      if (m.method === 'ACK') return this.ack(tx);
      if (tx !== undefined) {
        this.s.requestRetransmissions++;
        this.s.retransmissionsByMethod[m.method] = (this.s.retransmissionsByMethod[m.method] ?? 0) + 1;
        return this.result(tx, 'request-retransmission');
      }
      return this.result(this.start(key, ev), 'request');
    }
    if (tx === undefined || m.cseq!.method === 'ACK') {
      this.s.strayResponses++;
      return this.result(null, 'stray-response');
    }
    return this.response(tx, ev);
  }

  private result(tx: Transaction | null, kind: TxKind): TxUpdate {
    this.update.tx = tx;
    this.update.kind = kind;
    return this.update;
  }

  private ack(tx: Transaction | undefined): TxUpdate {
    // An ACK matches the INVITE transaction only when that ended with a non-2xx final response.
    if (tx === undefined || tx.finalStatus === null || tx.finalStatus < 300) return this.result(null, 'ack-2xx');
    tx.acks++;
    if (tx.acks > 1) {
      this.s.requestRetransmissions++;
      this.s.retransmissionsByMethod.ACK = (this.s.retransmissionsByMethod.ACK ?? 0) + 1;
      return this.result(tx, 'ack-retransmission');
    }
    return this.result(tx, 'ack');
  }

  private start(key: string, ev: SipEvent): Transaction {
    const m = ev.msg;
    // keyOf made the key a string of its own; the Call-ID is a slice of the message's text: the table keeps a copy.
    const tx = new Transaction(key, detach(m.method!), detach(m.callId!), m.cseq!.seq, ev.src, ev.dst, this.clock, this.clock.rel(ev.ts.sec), ev.ts.nsec);
    this.table.set(key, tx);
    this.order.push(tx);
    // Transactions that left the table by time wait in `order` until they reach its front: let them go once they outnumber the table.
    if (this.order.length > 2 * this.table.size + 1024) this.order.retain((t) => t.inTable);
    this.pending.push(tx);
    this.s.transactions++;
    this.evictOverflow();
    this.listener.started?.(tx, ev);
    return tx;
  }

  private evictOverflow(): void {
    while (this.table.size > this.params.maxTransactions) {
      const old = this.order.shift()!;
      if (!old.inTable) continue;
      this.table.delete(old.key);
      old.inTable = false;
      if (old.endedAt >= 0) this.ended.cancel(old.endedAt);
      old.endedAt = -1;
      if (old.pending || (old.outcome === 'open' && old.method === 'INVITE')) this.s.evicted++;
      old.pending = false;
    }
  }

  private response(tx: Transaction, ev: SipEvent): TxUpdate {
    const m = ev.msg;
    const status = m.status!;
    const tag = m.toTag ?? '';
    if (seenBefore(tx, status, tag)) {
      this.s.responseRetransmissions++;
      return this.result(tx, 'response-retransmission');
    }
    remember(tx, status, tag);
    const sec = this.clock.rel(ev.ts.sec);
    const nsec = ev.ts.nsec;
    if (status < 200) {
      if (!tx.provisional && tx.finalStatus === null) {
        tx.provisional = true;
        if (tx.method === 'INVITE') {
          this.provHist.add(msBetweenParts(tx.startSec, tx.startNsec, sec, nsec));
          this.provCount++;
          // Proceeding: no timer runs for an INVITE client transaction any more.
          tx.pending = false;
        }
      }
      return this.result(tx, 'response');
    }
    if (tx.finalStatus === null) {
      tx.finalStatus = status;
      tx.pending = false;
      // A response after the timeout was declared still counts as the answer it is, late.
      if (tx.outcome === 'open') this.s.completed++;
      tx.outcome = tx.outcome === 'timeout' ? 'timeout' : 'final';
      this.retire(tx, sec, nsec);
      let h = this.finalHist.get(tx.method);
      if (h === undefined) {
        h = { h: new IntervalHistogram(), n: 0 };
        this.finalHist.set(tx.method, h);
      }
      h.h.add(msBetweenParts(tx.startSec, tx.startNsec, sec, nsec));
      h.n++;
      this.listener.finished?.(tx, ev);
    }
    // Another final (a 2xx from a second fork, or a 2xx after a 4xx on a re-sent INVITE) is a response, not a retransmission.
    return this.result(tx, 'response');
  }

  /** No final response by its deadline (seconds on the clock's base, nanoseconds). */
  private timeout(tx: Transaction, sec: number, nsec: number): void {
    tx.pending = false;
    tx.outcome = 'timeout';
    this.s.timeouts++;
    this.retire(tx, sec, nsec);
    const at = this.clock.ts(sec, nsec);
    if (this.s.timeoutList.length < MAX_LISTED) {
      this.s.timeoutList.push({ time: epochOf(at), method: tx.method, callId: tx.callId, client: tx.client, server: tx.server });
    }
    this.listener.timedOut?.(tx, at);
  }

  /** The capture ended at `end`: requests whose limit passed time out, the rest are unanswered. Runs once. */
  finish(end: Ts | null): void {
    if (this.finished) return;
    this.finished = true;
    if (end !== null) this.advance(end);
    for (const tx of this.pending) {
      if (!tx.pending) continue;
      tx.pending = false;
      tx.outcome = 'unanswered';
      this.s.unansweredAtEnd++;
      this.listener.unanswered?.(tx);
    }
    this.pending.clear();
    for (const tx of this.table.values()) if (tx.method === 'INVITE' && tx.finalStatus === null && tx.provisional) this.s.proceedingAtEnd++;
  }

  stats(): TransactionStats {
    const finalResponseMs: Record<string, ResponseTimeStats> = {};
    for (const [method, h] of [...this.finalHist].sort((a, b) => a[0].localeCompare(b[0]))) finalResponseMs[method] = stats(h.h, h.n)!;
    return { ...this.s, retransmissionsByMethod: { ...this.s.retransmissionsByMethod }, timeoutList: [...this.s.timeoutList], finalResponseMs, inviteProvisionalMs: stats(this.provHist, this.provCount) };
  }
}
