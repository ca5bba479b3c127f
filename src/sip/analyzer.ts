// The SIP analysis consumer: every pipeline record goes through `add`; SIP
// messages feed the transaction tracker, whose events feed the calls and the
// OPTIONS keepalives. Time is the packets' own: each record advances the
// transaction timers, and `report(endTs)` settles what was still open.

import type { PacketRecord } from '../../dissectors/types.js';
import { DialogTracker, DEFAULT_DIALOG_PARAMS, type CallsReport } from './dialogs.js';
import { KeepaliveTracker, DEFAULT_KEEPALIVE_PARAMS, type KeepalivePair } from './keepalives.js';
import { sipEventOf, tsBefore, tsFromEpoch, tsOf, type Ts } from './sip-event.js';
import { TransactionTracker, DEFAULT_TRANSACTION_PARAMS, type Transaction, type TransactionStats } from './transactions.js';
import type { BatchConsumer, UdpBatch } from '../pipeline/udp-batch.js';

export interface SipAnalysisParams {
  /** No final response within this many ms: a transaction timeout (default 64*T1 = 32 s). */
  transactionTimeoutMs: number;
  maxTransactions: number;
  maxCalls: number;
  maxKeepalivePairs: number;
}

export const DEFAULT_SIP_ANALYSIS_PARAMS: SipAnalysisParams = {
  transactionTimeoutMs: DEFAULT_TRANSACTION_PARAMS.timeoutMs,
  maxTransactions: DEFAULT_TRANSACTION_PARAMS.maxTransactions,
  maxCalls: DEFAULT_DIALOG_PARAMS.maxCalls,
  maxKeepalivePairs: DEFAULT_KEEPALIVE_PARAMS.maxPairs,
};

export interface SipAnalysisReport {
  params: SipAnalysisParams;
  /** SIP messages used (with a start line, Call-ID and CSeq). */
  messages: number;
  transactions: TransactionStats;
  calls: CallsReport;
  keepalives: KeepalivePair[];
  /** Keepalive pairs dropped from the full table. */
  keepalivePairsEvicted: number;
}

export class SipAnalyzer implements BatchConsumer {
  readonly params: SipAnalysisParams;
  private readonly tx: TransactionTracker;
  private readonly dialogs: DialogTracker;
  private readonly keepalives: KeepaliveTracker;
  private messages = 0;
  private last: Ts | null = null;
  private result: SipAnalysisReport | null = null;

  /** `onTimeout`: told of each transaction timeout as time passes (the live views' events). */
  constructor(params: Partial<SipAnalysisParams> = {}, onTimeout?: (tx: Transaction, at: Ts) => void) {
    this.params = { ...DEFAULT_SIP_ANALYSIS_PARAMS, ...params };
    const ka = new KeepaliveTracker({ maxPairs: this.params.maxKeepalivePairs });
    const dialogs = new DialogTracker({ maxCalls: this.params.maxCalls });
    this.keepalives = ka;
    this.dialogs = dialogs;
    this.tx = new TransactionTracker(
      { timeoutMs: this.params.transactionTimeoutMs, maxTransactions: this.params.maxTransactions },
      {
        started: (t, ev) => ka.started(t, ev),
        finished: (t, ev) => ka.finished(t, ev),
        timedOut: (t, at) => {
          ka.timedOut(t);
          dialogs.timedOut(t);
          onTimeout?.(t, at);
        },
        unanswered: (t) => ka.unanswered(t),
      },
    );
  }

  readonly add = (rec: PacketRecord): void => {
    const now = tsOf(rec);
    if (this.last === null || tsBefore(this.last, now)) this.last = now;
    if (rec.sip === null) {
      this.tx.advance(now);
      return;
    }
    for (const msg of rec.sip) {
      const ev = sipEventOf(rec, msg);
      if (ev === null) continue;
      this.messages++;
      const u = this.tx.add(ev);
      if (u.kind === 'request-retransmission' && u.tx !== null) this.keepalives.retransmitted(u.tx);
      this.dialogs.add(ev, u);
    }
  };

  /**
   * A batch holds no SIP: only time passes. Advancing once to the batch's
   * latest time times out the same transactions, in the same order and at
   * the same deadlines, as advancing per datagram.
   */
  addUdpBatch(batch: UdpBatch): void {
    if (batch.length === 0) return;
    const now = { sec: batch.latestSec, nsec: batch.latestNsec };
    if (this.last === null || tsBefore(this.last, now)) this.last = now;
    this.tx.advance(now);
  }

  /** Calls and keepalives so far, leaving open transactions open (the live views). */
  snapshot(now: number): Pick<SipAnalysisReport, 'calls' | 'keepalives'> {
    const nowTs = tsFromEpoch(now);
    this.tx.advance(nowTs);
    return { calls: this.dialogs.report(), keepalives: this.keepalives.report(nowTs) };
  }

  /** `endTs`: the capture's last packet time (epoch seconds); settles open transactions once, later calls return the same report. */
  report(endTs: number | null): SipAnalysisReport {
    if (this.result !== null) return this.result;
    // Prefer the exact timestamp of the last packet seen over the rounded double.
    const end = endTs === null ? this.last : this.last !== null && Math.abs(this.last.sec + this.last.nsec / 1e9 - endTs) < 1e-6 ? this.last : tsFromEpoch(endTs);
    this.tx.finish(end);
    this.result = {
      params: this.params,
      messages: this.messages,
      transactions: this.tx.stats(),
      calls: this.dialogs.report(),
      keepalives: this.keepalives.report(end),
      keepalivePairsEvicted: this.keepalives.evicted,
    };
    return this.result;
  }
}
