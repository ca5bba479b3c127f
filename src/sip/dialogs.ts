// Calls: the INVITE dialog (RFC 3261 12) as one record across every hop the
// capture saw. A proxied call shows each message twice (phone<->proxy,
// proxy<->server) under one Call-ID and one pair of tags, so the call is
// keyed by Call-ID + the caller's From tag, and a message belongs to it when
// either of its tags is the caller's (requests from the callee swap From/To).
//
// State: trying -> ringing (180/183) -> answered (2xx to the INVITE) ->
// completed (BYE); or cancelled (CANCEL, 487), failed (final >= 300, with its
// code), timeout (the INVITE got no response at all within the limit).
// Times are those of the first sighting of each message, whichever hop.
//
// A 2xx to the INVITE must be ACKed (RFC 3261 13.3.1.4): the callee resends
// it until the ACK comes and, 64*T1 later without one, ends the dialog. A call
// whose 2xx no ACK followed is flagged `noAck`, decided when packet time
// passes that wait after the first 2xx, or when the capture ends sooner (the
// flag says which): the state stays what the messages made it (a BYE still
// completes the call), as the caller believes it.

import type { SdpRecord } from '../../dissectors/types.js';
import { RecencyMap } from '../common/bounded-map.js';
import { detach, detachOrNull } from '../common/detach.js';
import { IntervalHistogram } from '../heartbeat/interval-histogram.js';
import { msBetween, roundMs, uriOf, type SipEvent, type Ts } from './sip-event.js';
import type { Transaction, TxUpdate } from './transactions.js';

export type CallState = 'trying' | 'ringing' | 'answered' | 'cancelled' | 'failed' | 'timeout' | 'completed';
export const CALL_STATES: readonly CallState[] = ['trying', 'ringing', 'answered', 'completed', 'cancelled', 'failed', 'timeout'];

export interface CallMedia {
  /** Who announced it: the caller (offer in the INVITE) or the callee. */
  side: 'caller' | 'callee';
  /** Endpoint that sent the SDP. */
  sender: string;
  media: string;
  address: string | null;
  port: number;
  proto: string;
  payloadTypes: number[];
  /** Encoding names: from a=rtpmap, else the RFC 3551 static name, else the number. */
  codecs: string[];
}

export interface CallRecord {
  callId: string;
  fromTag: string | null;
  toTag: string | null;
  from: string;
  to: string;
  /** Endpoint that sent the first INVITE. */
  caller: string;
  /** Epoch seconds of the first INVITE. */
  start: number;
  state: CallState;
  /** The final response to the INVITE (200 when answered), null before one. */
  code: number | null;
  /** First INVITE to first 2xx (ms). */
  setupMs: number | null;
  /** First INVITE to first 180/183: post-dial delay (ms). */
  pddMs: number | null;
  /** First 180/183 to the end of ringing: answer, final failure or CANCEL (ms). */
  ringMs: number | null;
  /** First 2xx to first BYE (ms). */
  durationMs: number | null;
  answered: number | null;
  ended: number | null;
  byeFrom: 'caller' | 'callee' | null;
  /** The capture started inside the dialog (first INVITE seen carried a To tag). */
  midDialog: boolean;
  messages: number;
  retransmissions: number;
  /** Every ip:port the call's signalling touched, in order of first appearance. */
  hosts: string[];
  media: CallMedia[];
  /** DSCP value -> messages carried with it. */
  dscp: Record<string, number>;
  /** First 2xx to the INVITE to the first ACK of it (ms); null before both. */
  ackMs: number | null;
  /** The 2xx was never ACKed; null when it was, or before a 2xx. */
  noAck: NoAck | null;
}

export interface NoAck {
  /** 'after-wait': the 64*T1 wait passed with no ACK; 'end-of-capture': the capture ended sooner. */
  decided: 'after-wait' | 'end-of-capture';
  /** How long after the first 2xx without an ACK: the wait, or until the capture's end (ms). */
  waitedMs: number;
  /** Times the 2xx was seen again: the callee asking for the ACK. */
  answerRetransmissions: number;
}

export interface DialogParams {
  maxCalls: number;
  /** How long after a 2xx an ACK may come (64*T1; the analyzer passes its transaction timeout). */
  ackWaitMs: number;
}

export const DEFAULT_DIALOG_PARAMS: DialogParams = { maxCalls: 10_000, ackWaitMs: 32_000 };

/** First INVITE to first 2xx over every answered call, the ones dropped from the table included. */
export interface SetupTimes {
  /** Calls answered (a 2xx to their INVITE seen). */
  answered: number;
  minMs: number;
  maxMs: number;
  /** The lower median: exact while every answered call is still in the table, else from a histogram (see `medianExact`). */
  medianMs: number;
  /** False when answered calls left the table: the median is then a histogram's, within 0.025 % of the true one. */
  medianExact: boolean;
}

export interface CallsReport {
  total: number;
  byState: Record<CallState, number>;
  /** Calls dropped from the full table (counted in byState with the state they had). */
  evicted: number;
  /** Messages of a Call-ID with an INVITE seen that matched none of its calls by tag. */
  unmatched: number;
  /** Calls whose 2xx got no ACK: within the wait, and at the end of a capture that ended sooner. */
  notAcked: { afterWait: number; atEndOfCapture: number };
  /** Null before any call was answered. */
  setup: SetupTimes | null;
  calls: CallRecord[];
}

// RFC 3551 static payload types, for SDP without a=rtpmap.
const STATIC_PT: Record<number, string> = {
  0: 'PCMU', 3: 'GSM', 4: 'G723', 5: 'DVI4', 6: 'DVI4', 7: 'LPC', 8: 'PCMA', 9: 'G722', 10: 'L16', 11: 'L16',
  12: 'QCELP', 13: 'CN', 14: 'MPA', 15: 'G728', 16: 'DVI4', 17: 'DVI4', 18: 'G729', 25: 'CelB', 26: 'JPEG', 28: 'nv',
  31: 'H261', 32: 'MPV', 33: 'MP2T', 34: 'H263',
};

const MAX_HOSTS = 16;
const MAX_MEDIA = 8;

interface Track {
  rec: CallRecord;
  /** The next call of the same Call-ID (a forked or repeated INVITE with another From tag), or null. */
  sameCallId: Track | null;
  /** The From and To header values, detached: rec.from and rec.to are made from them for the report (most calls leave the table unreported). */
  fromHeader: string | null;
  toHeader: string | null;
  inviteSeq: number;
  startTs: Ts;
  ringTs: Ts | null;
  answerTs: Ts | null;
  ackTs: Ts | null;
  /** The 2xx to the INVITE seen again before an ACK. */
  answerResent: number;
  cancelled: boolean;
  /** DSCP value, messages, in pairs: rec.dscp is made from it for the report (an object indexed by DSCP is hundreds of bytes per call). */
  dscpCounts: number[];
}

function addHost(hosts: string[], h: string): void {
  if (hosts.length < MAX_HOSTS && !hosts.includes(h)) hosts.push(h);
}

function countDscp(counts: number[], dscp: number): void {
  for (let i = 0; i < counts.length; i += 2) {
    if (counts[i] === dscp) {
      counts[i + 1]++;
      return;
    }
  }
  counts.push(dscp, 1);
}

function dscpRecord(counts: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < counts.length; i += 2) if (counts[i + 1] > 0) out[counts[i]] = counts[i + 1];
  return out;
}

/** Whether two m= lines list the same payload types, in the same order. */
function samePayloadTypes(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A call's DSCP counts before the report makes them (from Track.dscpCounts): never written to. */
const NO_DSCP: Record<string, number> = Object.freeze({}) as Record<string, number>;

function codecName(pt: number, rtpmap: Record<number, string>): string {
  const m = rtpmap[pt];
  if (m === undefined) return STATIC_PT[pt] ?? String(pt);
  const slash = m.indexOf('/');
  return slash < 0 ? m : m.slice(0, slash);
}

export class DialogTracker {
  readonly params: DialogParams;
  /** The first call of each Call-ID (the others follow it through `sameCallId`), least recently used first. */
  private readonly byCallId = new RecencyMap<string, Track>();
  private size = 0;
  private evicted = 0;
  private unmatched = 0;
  private readonly evictedByState = Object.fromEntries(CALL_STATES.map((s) => [s, 0])) as Record<CallState, number>;
  /** Every answered call's setup time as it is answered: the table may drop the call later, its setup still counts. */
  private readonly setupTimes = new IntervalHistogram();
  private answered = 0;
  private setupMinMs = Infinity;
  private setupMaxMs = -Infinity;

  constructor(params: Partial<DialogParams> = {}) {
    this.params = { ...DEFAULT_DIALOG_PARAMS, ...params };
  }

  add(ev: SipEvent, u: TxUpdate): void {
    const m = ev.msg;
    const callId = m.callId!;
    const first = this.byCallId.get(callId);
    let t: Track | null = first ?? null;
    while (t !== null && !(t.rec.fromTag === m.fromTag || (m.toTag !== null && t.rec.fromTag === m.toTag))) t = t.sameCallId;
    if (t === null) {
      if (m.method !== 'INVITE') {
        if (first !== undefined) this.unmatched++;
        return;
      }
      t = this.open(ev, first);
    }
    this.update(t, ev, u);
  }

  /** The INVITE transaction of a call timed out (no response at all). */
  timedOut(tx: Transaction): void {
    if (tx.method !== 'INVITE') return;
    let t = this.byCallId.peek(tx.callId) ?? null;
    while (t !== null && t.inviteSeq !== tx.cseq) t = t.sameCallId;
    if (t !== null && (t.rec.state === 'trying' || t.rec.state === 'ringing')) t.rec.state = 'timeout';
  }

  private open(ev: SipEvent, first: Track | undefined): Track {
    const m = ev.msg;
    const rec: CallRecord = {
      callId: detach(m.callId!), fromTag: detachOrNull(m.fromTag), toTag: detachOrNull(m.toTag), from: '', to: '', caller: ev.src,
      start: ev.time, state: m.toTag !== null ? 'answered' : 'trying', code: null, setupMs: null, pddMs: null, ringMs: null,
      durationMs: null, answered: null, ended: null, byeFrom: null, midDialog: m.toTag !== null, messages: 0, retransmissions: 0,
      hosts: ev.src === ev.dst ? [ev.src] : [ev.src, ev.dst], media: [], dscp: NO_DSCP, ackMs: null, noAck: null,
    };
    const t: Track = {
      rec, sameCallId: null, fromHeader: detachOrNull(m.from), toHeader: detachOrNull(m.to), inviteSeq: m.cseq!.seq, startTs: ev.ts, ringTs: null, answerTs: null, ackTs: null, answerResent: 0, cancelled: false, dscpCounts: [ev.dscp, 0],
    };
    if (first !== undefined) {
      let last = first;
      while (last.sameCallId !== null) last = last.sameCallId;
      last.sameCallId = t;
    } else this.byCallId.set(rec.callId, t);
    this.size++;
    while (this.size > this.params.maxCalls) {
      const oldest = this.byCallId.oldestValue()!;
      this.byCallId.delete(oldest.rec.callId);
      for (let x: Track | null = oldest; x !== null; x = x.sameCallId) {
        this.evictedByState[x.rec.state]++;
        this.size--;
        this.evicted++;
      }
    }
    return t;
  }

  private update(t: Track, ev: SipEvent, u: TxUpdate): void {
    const r = t.rec;
    const m = ev.msg;
    r.messages++;
    if (u.kind.endsWith('-retransmission')) r.retransmissions++;
    addHost(r.hosts, ev.src);
    addHost(r.hosts, ev.dst);
    countDscp(t.dscpCounts, ev.dscp);
    if (m.sdp !== null) this.addMedia(t, ev, m.sdp);
    const cseq = m.cseq!;
    if (u.kind.endsWith('-retransmission')) {
      if (u.kind === 'response-retransmission' && t.ackTs === null && m.status! < 300 && m.status! >= 200 && cseq.seq === t.inviteSeq && cseq.method === 'INVITE') t.answerResent++;
      return;
    }

    if (m.method !== undefined) {
      if (m.method === 'ACK') {
        if (cseq.seq === t.inviteSeq && t.answerTs !== null && t.ackTs === null) {
          t.ackTs = ev.ts;
          r.ackMs = roundMs(msBetween(t.answerTs, ev.ts));
        }
      } else if (m.method === 'INVITE' && m.toTag === null && cseq.seq > t.inviteSeq) {
        // The INVITE sent again after a 401/407 challenge: the same call, setup continues.
        t.inviteSeq = cseq.seq;
        if (r.state === 'failed') {
          r.state = 'trying';
          r.code = null;
        }
      } else if (m.method === 'CANCEL' && (r.state === 'trying' || r.state === 'ringing')) {
        t.cancelled = true;
        r.state = 'cancelled';
        this.endRinging(t, ev.ts);
      } else if (m.method === 'BYE' && r.ended === null) {
        r.ended = ev.time;
        r.state = 'completed';
        r.byeFrom = m.fromTag === r.fromTag ? 'caller' : 'callee';
        if (t.answerTs !== null) r.durationMs = roundMs(msBetween(t.answerTs, ev.ts));
      }
      return;
    }

    // Responses to the call's INVITE drive its state; others (BYE's 200, re-INVITEs) do not.
    if (cseq.method !== 'INVITE' || cseq.seq !== t.inviteSeq) return;
    const status = m.status!;
    if (r.toTag === null && m.toTag !== null) r.toTag = detach(m.toTag);
    if (status === 180 || status === 183) {
      if (t.ringTs === null) {
        t.ringTs = ev.ts;
        r.pddMs = roundMs(msBetween(t.startTs, ev.ts));
      }
      if (r.state === 'trying') r.state = 'ringing';
    } else if (status >= 200 && status < 300) {
      if (t.answerTs === null) {
        t.answerTs = ev.ts;
        r.answered = ev.time;
        r.setupMs = roundMs(msBetween(t.startTs, ev.ts));
        this.countSetup(r.setupMs);
        this.endRinging(t, ev.ts);
      }
      r.code = status;
      if (r.state !== 'completed') r.state = 'answered';
    } else if (status >= 300 && t.answerTs === null) {
      r.code = status;
      r.state = status === 487 || t.cancelled ? 'cancelled' : 'failed';
      this.endRinging(t, ev.ts);
    }
  }

  private countSetup(setupMs: number): void {
    this.answered++;
    this.setupTimes.add(setupMs);
    if (setupMs < this.setupMinMs) this.setupMinMs = setupMs;
    if (setupMs > this.setupMaxMs) this.setupMaxMs = setupMs;
  }

  /** Exact from the held calls while they are all the answered ones; else min/max exact and the median from the histogram. */
  private setupReport(calls: readonly CallRecord[]): SetupTimes | null {
    if (this.answered === 0) return null;
    const held: number[] = [];
    for (const c of calls) if (c.setupMs !== null) held.push(c.setupMs);
    if (held.length === this.answered) {
      held.sort((a, b) => a - b);
      return { answered: held.length, minMs: held[0], maxMs: held[held.length - 1], medianMs: held[Math.floor((held.length - 1) / 2)], medianExact: true };
    }
    const median = this.setupTimes.stats()!.p50;
    return { answered: this.answered, minMs: this.setupMinMs, maxMs: this.setupMaxMs, medianMs: median, medianExact: false };
  }

  private endRinging(t: Track, at: Ts): void {
    if (t.ringTs !== null && t.rec.ringMs === null) t.rec.ringMs = roundMs(msBetween(t.ringTs, at));
  }

  private addMedia(t: Track, ev: SipEvent, sdp: SdpRecord): void {
    const r = t.rec;
    const m = ev.msg;
    // A request from the caller, or a response to the callee's request, carries the caller's SDP.
    const fromCaller = m.fromTag === r.fromTag;
    const side: CallMedia['side'] = (m.method !== undefined) === fromCaller ? 'caller' : 'callee';
    for (const md of sdp.media) {
      if (r.media.length >= MAX_MEDIA) return;
      // The same SDP relayed by a proxy is one announcement.
      if (r.media.some((x) => x.side === side && x.media === md.media && x.address === md.address && x.port === md.port && samePayloadTypes(x.payloadTypes, md.payloadTypes))) continue;
      r.media.push({
        side, sender: ev.src, media: detach(md.media), address: detachOrNull(md.address), port: md.port, proto: detach(md.proto),
        payloadTypes: md.payloadTypes, codecs: md.payloadTypes.map((pt) => detach(codecName(pt, md.rtpmap))),
      });
    }
  }

  /**
   * The calls as of packet time `now`; `ended`: the capture ended there, so a
   * 2xx still waiting for its ACK is flagged as such (a live view leaves it be).
   */
  report(now: Ts | null, ended: boolean): CallsReport {
    const byState = { ...this.evictedByState };
    const notAcked = { afterWait: 0, atEndOfCapture: 0 };
    const calls: CallRecord[] = [];
    for (const first of this.byCallId.values()) {
      for (let t: Track | null = first; t !== null; t = t.sameCallId) {
        if (t.fromHeader !== null || t.toHeader !== null) {
          t.rec.from = detach(uriOf(t.fromHeader));
          t.rec.to = detach(uriOf(t.toHeader));
          t.fromHeader = t.toHeader = null;
        }
        t.rec.noAck = this.noAck(t, now, ended);
        if (t.rec.noAck !== null) notAcked[t.rec.noAck.decided === 'after-wait' ? 'afterWait' : 'atEndOfCapture']++;
        t.rec.dscp = dscpRecord(t.dscpCounts);
        calls.push(t.rec);
      }
    }
    for (const c of calls) byState[c.state]++;
    calls.sort((a, b) => a.start - b.start);
    return { total: calls.length + this.evicted, byState, evicted: this.evicted, unmatched: this.unmatched, notAcked, setup: this.setupReport(calls), calls };
  }

  private noAck(t: Track, now: Ts | null, ended: boolean): NoAck | null {
    if (t.answerTs === null || t.ackTs !== null || now === null) return null;
    const waited = msBetween(t.answerTs, now);
    const answerRetransmissions = t.answerResent;
    if (waited > this.params.ackWaitMs) return { decided: 'after-wait', waitedMs: this.params.ackWaitMs, answerRetransmissions };
    return ended ? { decided: 'end-of-capture', waitedMs: roundMs(Math.max(0, waited)), answerRetransmissions } : null;
  }
}
