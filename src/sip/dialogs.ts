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

import type { SdpMedia, SdpRecord } from '../../dissectors/types.js';
import { RecencyMap } from '../common/bounded-map.js';
import { detach, detachOrNull } from '../common/detach.js';
import { IntervalHistogram } from '../heartbeat/interval-histogram.js';
import { epochOf, msBetweenParts, roundMs, TimeBase, uriOf, type SipEvent, type Ts } from './sip-event.js';
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

/** A time a Track does not have yet (its nanoseconds field). */
const NONE = -1;

/**
 * One call while the table holds it. The CallRecord is made from it by a
 * report (most calls leave the table unreported); times are kept as small
 * integers on the tracker's base (seconds, nanoseconds; NONE: not yet) and
 * the report's milliseconds are worked out from them, so a call is one
 * object and a few strings for the young generation to copy and promote.
 */
class Track {
  /** The next call of the same Call-ID (a forked or repeated INVITE with another From tag), or null. */
  sameCallId: Track | null = null;
  toTag: string | null;
  /** The From and To header values, detached, until a report makes `from` and `to` of them. */
  fromHeader: string | null;
  toHeader: string | null;
  from = '';
  to = '';
  state: CallState;
  code: number | null = null;
  byeFrom: 'caller' | 'callee' | null = null;
  messages = 0;
  retransmissions = 0;
  /** The hosts: the first two in place, further ones (up to MAX_HOSTS in all) in `moreHosts`. */
  host2: string | null;
  moreHosts: string[] | null = null;
  media: CallMedia[] | null = null;
  /** DSCP value and messages: the first in place, further ones in pairs in `moreDscp` (an object indexed by DSCP is hundreds of bytes per call). */
  readonly dscp1: number;
  dscpCount1 = 0;
  moreDscp: number[] | null = null;
  /** CSeq of the call's INVITE (the latest, after a challenge). */
  inviteSeq: number;
  /** The 2xx to the INVITE seen again before an ACK. */
  answerResent = 0;
  cancelled = false;
  ringSec = 0;
  ringNsec = NONE;
  /** The end of ringing (answer, failure or CANCEL), once it rang. */
  ringEndSec = 0;
  ringEndNsec = NONE;
  answerSec = 0;
  answerNsec = NONE;
  ackSec = 0;
  ackNsec = NONE;
  byeSec = 0;
  byeNsec = NONE;
  /** The call was answered when its first BYE came (it has a duration). */
  byeAfterAnswer = false;

  constructor(
    readonly callId: string,
    readonly fromTag: string | null,
    toTag: string | null,
    fromHeader: string | null,
    toHeader: string | null,
    /** Endpoint that sent the first INVITE: the caller, and the first host. */
    readonly host1: string,
    host2: string | null,
    dscp: number,
    inviteSeq: number,
    readonly startSec: number,
    readonly startNsec: number,
  ) {
    this.toTag = toTag;
    this.fromHeader = fromHeader;
    this.toHeader = toHeader;
    this.midDialog = toTag !== null;
    this.state = toTag !== null ? 'answered' : 'trying';
    this.host2 = host2;
    this.dscp1 = dscp;
    this.inviteSeq = inviteSeq;
  }

  /** The capture started inside the dialog (first INVITE seen carried a To tag). */
  readonly midDialog: boolean;
}

function addHost(t: Track, h: string): void {
  if (h === t.host1 || h === t.host2) return;
  if (t.host2 === null) {
    t.host2 = h;
    return;
  }
  const more = t.moreHosts;
  if (more === null) {
    if (MAX_HOSTS > 2) t.moreHosts = [h];
  } else if (2 + more.length < MAX_HOSTS && !more.includes(h)) more.push(h);
}

function hostsOf(t: Track): string[] {
  const hosts = t.host2 === null ? [t.host1] : [t.host1, t.host2];
  if (t.moreHosts !== null) hosts.push(...t.moreHosts);
  return hosts;
}

function countDscp(t: Track, dscp: number): void {
  if (dscp === t.dscp1) {
    t.dscpCount1++;
    return;
  }
  const more = t.moreDscp;
  if (more === null) {
    t.moreDscp = [dscp, 1];
    return;
  }
  for (let i = 0; i < more.length; i += 2) {
    if (more[i] === dscp) {
      more[i + 1]++;
      return;
    }
  }
  more.push(dscp, 1);
}

function dscpRecord(t: Track): Record<string, number> {
  const out: Record<string, number> = {};
  if (t.dscpCount1 > 0) out[t.dscp1] = t.dscpCount1;
  const more = t.moreDscp;
  if (more !== null) for (let i = 0; i < more.length; i += 2) if (more[i + 1] > 0) out[more[i]] = more[i + 1];
  return out;
}

/** Whether two m= lines list the same payload types, in the same order. */
function samePayloadTypes(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function codecName(pt: number, rtpmap: Record<number, string>): string {
  const m = rtpmap[pt];
  if (m === undefined) return STATIC_PT[pt] ?? String(pt);
  const slash = m.indexOf('/');
  return slash < 0 ? m : m.slice(0, slash);
}

/** codecName(pt, rtpmap) === name, without making the name. */
function isCodecName(name: string, pt: number, rtpmap: Record<number, string>): boolean {
  const m = rtpmap[pt];
  if (m === undefined) return name === (STATIC_PT[pt] ?? String(pt));
  const slash = m.indexOf('/');
  return (slash < 0 ? m.length : slash) === name.length && m.startsWith(name);
}

/** What an m= line announces besides its address and port; calls share one. */
interface MediaFormat {
  media: string;
  proto: string;
  payloadTypes: number[];
  codecs: string[];
}

const FORMAT_SLOTS = 256;

/**
 * The media formats calls announce, one per slot chosen by the payload types
 * (a newer one takes the slot): most calls of a capture offer one of a few
 * m= lines, and each announcement kept its own codec list and strings.
 * Reports share the lists, read-only.
 */
class MediaFormats {
  private readonly slots: Array<MediaFormat | undefined> = new Array<MediaFormat | undefined>(FORMAT_SLOTS);

  of(md: SdpMedia): MediaFormat {
    const pts = md.payloadTypes;
    let h = pts.length;
    for (let i = 0; i < pts.length; i++) h = Math.imul(h ^ pts[i], 0x01000193);
    const slot = (h ^ (h >>> 16)) & (FORMAT_SLOTS - 1);
    const f = this.slots[slot];
    if (f !== undefined && f.media === md.media && f.proto === md.proto && samePayloadTypes(f.payloadTypes, pts) && f.codecs.every((c, i) => isCodecName(c, pts[i], md.rtpmap))) return f;
    const made: MediaFormat = { media: detach(md.media), proto: detach(md.proto), payloadTypes: pts, codecs: pts.map((pt) => detach(codecName(pt, md.rtpmap))) };
    this.slots[slot] = made;
    return made;
  }
}

export class DialogTracker {
  readonly params: DialogParams;
  /** The first call of each Call-ID (the others follow it through `sameCallId`), least recently used first. */
  private readonly byCallId = new RecencyMap<string, Track>();
  /** The base of the calls' times. */
  private readonly clock = new TimeBase();
  private readonly formats = new MediaFormats();
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
    while (t !== null && !(t.fromTag === m.fromTag || (m.toTag !== null && t.fromTag === m.toTag))) t = t.sameCallId;
    if (t === null) {
      if (m.method !== 'INVITE') {
        if (first !== undefined) this.unmatched++;
        return;
      }
      t = this.open(ev, u, first);
    }
    this.update(t, ev, u);
  }

  /** The INVITE transaction of a call timed out (no response at all). */
  timedOut(tx: Transaction): void {
    if (tx.method !== 'INVITE') return;
    let t = this.byCallId.peek(tx.callId) ?? null;
    while (t !== null && t.inviteSeq !== tx.cseq) t = t.sameCallId;
    if (t !== null && (t.state === 'trying' || t.state === 'ringing')) t.state = 'timeout';
  }

  private open(ev: SipEvent, u: TxUpdate, first: Track | undefined): Track {
    const m = ev.msg;
    // The INVITE's new transaction already keeps a copy of the Call-ID: the call shares it.
    const callId = u.kind === 'request' && u.tx !== null ? u.tx.callId : detach(m.callId!);
    const t = new Track(
      callId, detachOrNull(m.fromTag), detachOrNull(m.toTag), detachOrNull(m.from), detachOrNull(m.to), ev.src, ev.src === ev.dst ? null : ev.dst,
      ev.dscp, m.cseq!.seq, this.clock.rel(ev.ts.sec), ev.ts.nsec,
    );
    if (first !== undefined) {
      let last = first;
      while (last.sameCallId !== null) last = last.sameCallId;
      last.sameCallId = t;
    } else this.byCallId.set(callId, t);
    this.size++;
    while (this.size > this.params.maxCalls) {
      const oldest = this.byCallId.oldestValue()!;
      this.byCallId.delete(oldest.callId);
      for (let x: Track | null = oldest; x !== null; x = x.sameCallId) {
        this.evictedByState[x.state]++;
        this.size--;
        this.evicted++;
      }
    }
    return t;
  }

  private update(t: Track, ev: SipEvent, u: TxUpdate): void {
    const m = ev.msg;
    t.messages++;
    const retransmission = u.kind.endsWith('-retransmission');
    if (retransmission) t.retransmissions++;
    addHost(t, ev.src);
    addHost(t, ev.dst);
    countDscp(t, ev.dscp);
    if (m.sdp !== null) this.addMedia(t, ev, m.sdp);
    const cseq = m.cseq!;
    if (retransmission) {
      if (u.kind === 'response-retransmission' && t.ackNsec === NONE && m.status! < 300 && m.status! >= 200 && cseq.seq === t.inviteSeq && cseq.method === 'INVITE') t.answerResent++;
      return;
    }
    const sec = this.clock.rel(ev.ts.sec);
    const nsec = ev.ts.nsec;

    if (m.method !== undefined) {
      if (m.method === 'ACK') {
        if (cseq.seq === t.inviteSeq && t.answerNsec !== NONE && t.ackNsec === NONE) {
          t.ackSec = sec;
          t.ackNsec = nsec;
        }
      } else if (m.method === 'INVITE' && m.toTag === null && cseq.seq > t.inviteSeq) {
        // The INVITE sent again after a 401/407 challenge: the same call, setup continues.
        t.inviteSeq = cseq.seq;
        if (t.state === 'failed') {
          t.state = 'trying';
          t.code = null;
        }
      } else if (m.method === 'CANCEL' && (t.state === 'trying' || t.state === 'ringing')) {
        t.cancelled = true;
        t.state = 'cancelled';
        this.endRinging(t, sec, nsec);
      } else if (m.method === 'BYE' && t.byeNsec === NONE) {
        t.byeSec = sec;
        t.byeNsec = nsec;
        t.state = 'completed';
        t.byeFrom = m.fromTag === t.fromTag ? 'caller' : 'callee';
        t.byeAfterAnswer = t.answerNsec !== NONE;
      }
      return;
    }

    // Responses to the call's INVITE drive its state; others (BYE's 200, re-INVITEs) do not.
    if (cseq.method !== 'INVITE' || cseq.seq !== t.inviteSeq) return;
    const status = m.status!;
    if (t.toTag === null && m.toTag !== null) t.toTag = detach(m.toTag);
    if (status === 180 || status === 183) {
      if (t.ringNsec === NONE) {
        t.ringSec = sec;
        t.ringNsec = nsec;
      }
      if (t.state === 'trying') t.state = 'ringing';
    } else if (status >= 200 && status < 300) {
      if (t.answerNsec === NONE) {
        t.answerSec = sec;
        t.answerNsec = nsec;
        this.countSetup(roundMs(msBetweenParts(t.startSec, t.startNsec, sec, nsec)));
        this.endRinging(t, sec, nsec);
      }
      t.code = status;
      if (t.state !== 'completed') t.state = 'answered';
    } else if (status >= 300 && t.answerNsec === NONE) {
      t.code = status;
      t.state = status === 487 || t.cancelled ? 'cancelled' : 'failed';
      this.endRinging(t, sec, nsec);
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

  /** Ringing ends (the first time only) at (sec, nsec) on the tracker's base. */
  private endRinging(t: Track, sec: number, nsec: number): void {
    if (t.ringNsec !== NONE && t.ringEndNsec === NONE) {
      t.ringEndSec = sec;
      t.ringEndNsec = nsec;
    }
  }

  private addMedia(t: Track, ev: SipEvent, sdp: SdpRecord): void {
    const m = ev.msg;
    // A request from the caller, or a response to the callee's request, carries the caller's SDP.
    const fromCaller = m.fromTag === t.fromTag;
    const side: CallMedia['side'] = (m.method !== undefined) === fromCaller ? 'caller' : 'callee';
    for (const md of sdp.media) {
      const media = t.media;
      if (media !== null) {
        if (media.length >= MAX_MEDIA) return;
        // The same SDP relayed by a proxy is one announcement.
        if (media.some((x) => x.side === side && x.media === md.media && x.address === md.address && x.port === md.port && samePayloadTypes(x.payloadTypes, md.payloadTypes))) continue;
      }
      const f = this.formats.of(md);
      const entry: CallMedia = { side, sender: ev.src, media: f.media, address: detachOrNull(md.address), port: md.port, proto: f.proto, payloadTypes: f.payloadTypes, codecs: f.codecs };
      // A call's first two announcements (offer and answer, most calls' all) in lists of their exact size: push() grows a list to 17 slots.
      if (media === null) t.media = [entry];
      else if (media.length === 1) t.media = [media[0], entry];
      else media.push(entry);
    }
  }

  /** Milliseconds from (aSec, aNsec) to (bSec, bNsec) as reported, or null when either time is not there. */
  private static msOrNull(aSec: number, aNsec: number, bSec: number, bNsec: number): number | null {
    return aNsec === NONE || bNsec === NONE ? null : roundMs(msBetweenParts(aSec, aNsec, bSec, bNsec));
  }

  private epoch(sec: number, nsec: number): number | null {
    return nsec === NONE ? null : epochOf(this.clock.ts(sec, nsec));
  }

  private record(t: Track, now: Ts | null, ended: boolean): CallRecord {
    if (t.fromHeader !== null || t.toHeader !== null) {
      t.from = detach(uriOf(t.fromHeader));
      t.to = detach(uriOf(t.toHeader));
      t.fromHeader = t.toHeader = null;
    }
    const ms = DialogTracker.msOrNull;
    return {
      callId: t.callId, fromTag: t.fromTag, toTag: t.toTag, from: t.from, to: t.to, caller: t.host1, start: this.epoch(t.startSec, t.startNsec)!, state: t.state, code: t.code,
      setupMs: ms(t.startSec, t.startNsec, t.answerSec, t.answerNsec), pddMs: ms(t.startSec, t.startNsec, t.ringSec, t.ringNsec),
      ringMs: ms(t.ringSec, t.ringNsec, t.ringEndSec, t.ringEndNsec), durationMs: t.byeAfterAnswer ? ms(t.answerSec, t.answerNsec, t.byeSec, t.byeNsec) : null,
      answered: this.epoch(t.answerSec, t.answerNsec), ended: this.epoch(t.byeSec, t.byeNsec), byeFrom: t.byeFrom, midDialog: t.midDialog,
      messages: t.messages, retransmissions: t.retransmissions, hosts: hostsOf(t), media: t.media ?? [], dscp: dscpRecord(t),
      ackMs: ms(t.answerSec, t.answerNsec, t.ackSec, t.ackNsec), noAck: this.noAck(t, now, ended),
    };
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
        const rec = this.record(t, now, ended);
        if (rec.noAck !== null) notAcked[rec.noAck.decided === 'after-wait' ? 'afterWait' : 'atEndOfCapture']++;
        calls.push(rec);
      }
    }
    for (const c of calls) byState[c.state]++;
    calls.sort((a, b) => a.start - b.start);
    return { total: calls.length + this.evicted, byState, evicted: this.evicted, unmatched: this.unmatched, notAcked, setup: this.setupReport(calls), calls };
  }

  private noAck(t: Track, now: Ts | null, ended: boolean): NoAck | null {
    if (t.answerNsec === NONE || t.ackNsec !== NONE || now === null) return null;
    const waited = msBetweenParts(t.answerSec, t.answerNsec, this.clock.rel(now.sec), now.nsec);
    const answerRetransmissions = t.answerResent;
    if (waited > this.params.ackWaitMs) return { decided: 'after-wait', waitedMs: this.params.ackWaitMs, answerRetransmissions };
    return ended ? { decided: 'end-of-capture', waitedMs: roundMs(Math.max(0, waited)), answerRetransmissions } : null;
  }
}
