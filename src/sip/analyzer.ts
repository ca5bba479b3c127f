// The SIP analysis consumer: every pipeline record goes through `add`; SIP
// messages feed the transaction tracker, whose events feed the calls and the
// OPTIONS keepalives. Time is the packets' own: each record advances the
// transaction timers, and `report(endTs)` settles what was still open.

import type { PacketRecord } from '../../dissectors/types.js';
import { DialogTracker, DEFAULT_DIALOG_PARAMS, type CallsReport } from './dialogs.js';
import { KeepaliveTracker, DEFAULT_KEEPALIVE_PARAMS, type KeepalivePair } from './keepalives.js';
import { epochOf, refillSipEvent, tsFromEpoch, type SipEvent, type Ts } from './sip-event.js';
import { RegistrationTracker, type RegistrationsReport } from './registrations.js';
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
  registrations: RegistrationsReport;
}

export class SipAnalyzer implements BatchConsumer {
  readonly params: SipAnalysisParams;
  private readonly tx: TransactionTracker;
  private readonly dialogs: DialogTracker;
  private readonly keepalives: KeepaliveTracker;
  private readonly registrations = new RegistrationTracker();
  private messages = 0;
  /** The latest packet time seen (lastNsec -1: none yet). */
  private lastSec = 0;
  private lastNsec = -1;
  /** The event each message is made into in turn, and the time passed to the trackers: rewritten, never kept by them. */
  private readonly ev: SipEvent = { ts: { sec: 0, nsec: 0 }, time: 0, frame: 0, src: '', dst: '', transport: 'udp', dscp: 0, msg: null as unknown as SipEvent['msg'] };
  private readonly now: Ts = { sec: 0, nsec: 0 };
  private result: SipAnalysisReport | null = null;

  /** `onTimeout`: told of each transaction timeout as time passes (the live views' events). */
  constructor(params: Partial<SipAnalysisParams> = {}, onTimeout?: (tx: Transaction, at: Ts) => void) {
    this.params = { ...DEFAULT_SIP_ANALYSIS_PARAMS, ...params };
    const ka = new KeepaliveTracker({ maxPairs: this.params.maxKeepalivePairs });
    const dialogs = new DialogTracker({ maxCalls: this.params.maxCalls, ackWaitMs: this.params.transactionTimeoutMs });
    this.keepalives = ka;
    this.dialogs = dialogs;
    const registrations = this.registrations;
    this.tx = new TransactionTracker(
      { timeoutMs: this.params.transactionTimeoutMs, maxTransactions: this.params.maxTransactions },
      {
        started: (t, ev) => ka.started(t, ev),
        finished: (t, ev) => ka.finished(t, ev),
        timedOut: (t, at) => {
          ka.timedOut(t);
          dialogs.timedOut(t);
          registrations.timedOut(t);
          onTimeout?.(t, at);
        },
        unanswered: (t) => ka.unanswered(t),
      },
    );
  }

  readonly add = (rec: PacketRecord): void => {
    this.seen(rec.tsSec, rec.tsNsec);
    if (rec.sip === null) {
      this.now.sec = rec.tsSec;
      this.now.nsec = rec.tsNsec;
      this.tx.advance(this.now);
      return;
    }
    const ev = this.ev;
    for (const msg of rec.sip) {
      if (!refillSipEvent(ev, rec, msg)) continue;
      this.messages++;
      const u = this.tx.add(ev);
      if (u.kind === 'request-retransmission' && u.tx !== null) this.keepalives.retransmitted(u.tx);
      this.dialogs.add(ev, u);
      this.registrations.add(ev, u);
    }
  };

  /** Note a packet time: the latest one is the default end of the capture. */
  private seen(sec: number, nsec: number): void {
    if (this.lastNsec < 0 || sec > this.lastSec || (sec === this.lastSec && nsec > this.lastNsec)) {
      this.lastSec = sec;
      this.lastNsec = nsec;
    }
  }

  /**
   * A batch holds no SIP: only time passes. Advancing once to the batch's
   * latest time times out the same transactions, in the same order and at
   * the same deadlines, as advancing per datagram.
   */
  addUdpBatch(batch: UdpBatch): void {
    if (batch.length === 0) return;
    this.seen(batch.latestSec, batch.latestNsec);
    this.now.sec = batch.latestSec;
    this.now.nsec = batch.latestNsec;
    this.tx.advance(this.now);
  }

  /** Calls and keepalives so far, leaving open transactions open (the live views). */
  snapshot(now: number): Pick<SipAnalysisReport, 'calls' | 'keepalives'> {
    const nowTs = tsFromEpoch(now);
    this.tx.advance(nowTs);
    return { calls: this.dialogs.report(nowTs, false), keepalives: this.keepalives.report(nowTs) };
  }

  /** `endTs`: the capture's last packet time (epoch seconds); settles open transactions once, later calls return the same report. */
  report(endTs: number | null): SipAnalysisReport {
    if (this.result !== null) return this.result;
    const last: Ts | null = this.lastNsec < 0 ? null : { sec: this.lastSec, nsec: this.lastNsec };
    // Prefer the exact timestamp of the last packet seen over the rounded double.
    const end = endTs === null ? last : last !== null && Math.abs(epochOf(last) - endTs) < 1e-6 ? last : tsFromEpoch(endTs);
    this.tx.finish(end);
    this.result = {
      params: this.params,
      messages: this.messages,
      transactions: this.tx.stats(),
      calls: this.dialogs.report(end, true),
      keepalives: this.keepalives.report(end),
      keepalivePairsEvicted: this.keepalives.evicted,
      registrations: this.registrations.report(end),
    };
    return this.result;
  }
}
