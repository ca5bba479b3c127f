// OPTIONS keepalives (service checking between SIP nodes): per requester ->
// responder pair, how often it pings, how many pings got a 2xx, which failed
// (a non-2xx final response or a timeout), and the longest stretch without a
// successful answer. A node that stops answering its keepalives shows up
// here as failures/unanswered pings and a long gap.

import { IntervalHistogram } from '../heartbeat/interval-histogram.js';
import { RecencyMap } from '../common/bounded-map.js';
import { copyTs, epochOf, msBetween, roundMs, type SipEvent, type Ts } from './sip-event.js';
import type { Transaction } from './transactions.js';

export interface KeepalivePair {
  /** "ip:port" that sends the OPTIONS, and the one that should answer. */
  requester: string;
  responder: string;
  /** OPTIONS transactions (retransmissions not counted). */
  requests: number;
  retransmissions: number;
  /** 2xx final responses. */
  answered: number;
  /** Non-2xx final responses, by status code. */
  failedCodes: Record<string, number>;
  failed: number;
  timeouts: number;
  /** Still waiting when the capture ended (within the timeout), and no later ping sent. */
  unanswered: number;
  /**
   * Unanswered when the capture ended but followed by later pings of the
   * pair: the requester gave up on them (its own retry budget is shorter
   * than the transaction timeout), so they are timed out as it saw them.
   */
  givenUp: number;
  /** answered / requests. */
  answeredRatio: number;
  /** Time between successive OPTIONS (ms); null with fewer than two. */
  intervalMs: { p50: number; max: number } | null;
  /** OPTIONS to 2xx (ms). */
  responseMs: { p50: number; max: number } | null;
  first: number;
  last: number;
  lastAnswered: number | null;
  /** Longest time without a successful answer (ms): between two 2xx, from the first ping to the first 2xx, or from the last 2xx to the end of the capture when pings after it went unanswered. */
  longestGapMs: number;
  longestGapFrom: number | null;
  longestGapTo: number | null;
  /** Any failure, timeout or unanswered ping. */
  unhealthy: boolean;
}

export interface KeepaliveParams {
  maxPairs: number;
}

export const DEFAULT_KEEPALIVE_PARAMS: KeepaliveParams = { maxPairs: 4096 };

/** The counts a pair reports as they are. */
type PairCounts = Pick<KeepalivePair, 'requester' | 'responder' | 'requests' | 'retransmissions' | 'answered' | 'failedCodes' | 'failed' | 'timeouts' | 'unanswered' | 'givenUp'>;

interface PairState {
  counts: PairCounts;
  intervals: IntervalHistogram;
  responses: IntervalHistogram;
  firstTs: Ts;
  lastTs: Ts;
  /** Reference point of the current stretch without an answer: the last 2xx, or the first ping. */
  okRef: Ts;
  lastOk: Ts | null;
  /** A ping since okRef did not succeed. */
  missSinceOk: boolean;
  gapMs: number;
  gapFrom: Ts | null;
  gapTo: Ts | null;
}

export class KeepaliveTracker {
  readonly params: KeepaliveParams;
  private readonly pairs = new RecencyMap<string, PairState>();
  evicted = 0;

  constructor(params: Partial<KeepaliveParams> = {}) {
    this.params = { ...DEFAULT_KEEPALIVE_PARAMS, ...params };
  }

  /** The pair of an OPTIONS transaction already started; none for other methods. */
  private pair(tx: Transaction): PairState | undefined {
    return tx.method === 'OPTIONS' ? this.pairs.get(`${tx.client}>${tx.server}`) : undefined;
  }

  started(tx: Transaction, ev: SipEvent): void {
    if (tx.method !== 'OPTIONS') return;
    // The analyzer rewrites its event's timestamp for each message: a pair keeps a copy.
    const at = copyTs(ev.ts);
    const key = `${tx.client}>${tx.server}`;
    let p = this.pairs.get(key);
    if (p === undefined) {
      p = {
        counts: { requester: tx.client, responder: tx.server, requests: 0, retransmissions: 0, answered: 0, failedCodes: {}, failed: 0, timeouts: 0, unanswered: 0, givenUp: 0 },
        intervals: new IntervalHistogram(), responses: new IntervalHistogram(), firstTs: at, lastTs: at, okRef: at, lastOk: null,
        missSinceOk: false, gapMs: 0, gapFrom: null, gapTo: null,
      };
      this.pairs.set(key, p);
      if (this.pairs.size > this.params.maxPairs) {
        this.pairs.delete(this.pairs.oldestKey()!);
        this.evicted++;
      }
    } else {
      p.intervals.add(msBetween(p.lastTs, at));
    }
    p.counts.requests++;
    p.lastTs = at;
  }

  retransmitted(tx: Transaction): void {
    const p = this.pair(tx);
    if (p !== undefined) p.counts.retransmissions++;
  }

  finished(tx: Transaction, ev: SipEvent): void {
    const p = this.pair(tx);
    if (p === undefined) return;
    const status = tx.finalStatus!;
    if (status >= 300) {
      p.counts.failed++;
      p.counts.failedCodes[status] = (p.counts.failedCodes[status] ?? 0) + 1;
      p.missSinceOk = true;
      return;
    }
    p.counts.answered++;
    const at = copyTs(ev.ts);
    p.responses.add(msBetween(tx.start, at));
    this.closeGap(p, at);
    p.lastOk = at;
    p.okRef = at;
    p.missSinceOk = false;
  }

  timedOut(tx: Transaction): void {
    this.missed(tx, 'timeouts');
  }

  unanswered(tx: Transaction): void {
    const p = this.pair(tx);
    // Pings sent after it: the requester stopped waiting for this one.
    this.missed(tx, p !== undefined && msBetween(tx.start, p.lastTs) > 0 ? 'givenUp' : 'unanswered');
  }

  /** A ping with no answer: timed out, given up for a later ping, or still within its time when the capture ended. */
  private missed(tx: Transaction, counter: 'timeouts' | 'unanswered' | 'givenUp'): void {
    const p = this.pair(tx);
    if (p === undefined) return;
    p.counts[counter]++;
    p.missSinceOk = true;
  }

  private closeGap(p: PairState, to: Ts): void {
    const ms = msBetween(p.okRef, to);
    if (ms > p.gapMs) {
      p.gapMs = ms;
      p.gapFrom = p.okRef;
      p.gapTo = to;
    }
  }

  /** After the transaction tracker finished: `end` closes a trailing stretch of unanswered pings. */
  report(end: Ts | null): KeepalivePair[] {
    const out: KeepalivePair[] = [];
    for (const p of this.pairs.values()) {
      let gapMs = p.gapMs;
      let gapFrom = p.gapFrom;
      let gapTo = p.gapTo;
      if (p.missSinceOk && end !== null && msBetween(p.okRef, end) > gapMs) {
        gapMs = msBetween(p.okRef, end);
        gapFrom = p.okRef;
        gapTo = end;
      }
      const iv = p.intervals.stats();
      const rs = p.responses.stats();
      const c = p.counts;
      out.push({
        ...c,
        answeredRatio: c.requests > 0 ? c.answered / c.requests : 0,
        intervalMs: iv ? { p50: roundMs(iv.p50), max: roundMs(iv.max) } : null,
        responseMs: rs ? { p50: roundMs(rs.p50), max: roundMs(rs.max) } : null,
        first: epochOf(p.firstTs), last: epochOf(p.lastTs), lastAnswered: p.lastOk ? epochOf(p.lastOk) : null,
        longestGapMs: roundMs(gapMs), longestGapFrom: gapFrom ? epochOf(gapFrom) : null, longestGapTo: gapTo ? epochOf(gapTo) : null,
        unhealthy: c.failed + c.timeouts + c.unanswered + c.givenUp > 0,
      });
    }
    return out.sort((a, b) => a.first - b.first || a.requester.localeCompare(b.requester));
  }
}
