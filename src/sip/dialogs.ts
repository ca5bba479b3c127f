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

import type { SdpRecord } from '../../dissectors/types.js';
import { RecencyMap } from '../common/bounded-map.js';
import { detach, detachOrNull } from '../common/detach.js';
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
}

export interface DialogParams {
  maxCalls: number;
}

export const DEFAULT_DIALOG_PARAMS: DialogParams = { maxCalls: 10_000 };

export interface CallsReport {
  total: number;
  byState: Record<CallState, number>;
  /** Calls dropped from the full table (counted in byState with the state they had). */
  evicted: number;
  /** Messages of a Call-ID with an INVITE seen that matched none of its calls by tag. */
  unmatched: number;
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
  inviteSeq: number;
  startTs: Ts;
  ringTs: Ts | null;
  answerTs: Ts | null;
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

function codecName(pt: number, rtpmap: Record<number, string>): string {
  const m = rtpmap[pt];
  if (m === undefined) return STATIC_PT[pt] ?? String(pt);
  const slash = m.indexOf('/');
  return slash < 0 ? m : m.slice(0, slash);
}

export class DialogTracker {
  readonly params: DialogParams;
  private readonly byCallId = new RecencyMap<string, Track[]>();
  private size = 0;
  private evicted = 0;
  private unmatched = 0;
  private readonly evictedByState = Object.fromEntries(CALL_STATES.map((s) => [s, 0])) as Record<CallState, number>;

  constructor(params: Partial<DialogParams> = {}) {
    this.params = { ...DEFAULT_DIALOG_PARAMS, ...params };
  }

  add(ev: SipEvent, u: TxUpdate): void {
    const m = ev.msg;
    const callId = m.callId!;
    const tracks = this.byCallId.get(callId);
    let t: Track | undefined;
    if (tracks !== undefined) {
      for (const x of tracks) {
        if (x.rec.fromTag === m.fromTag || (m.toTag !== null && x.rec.fromTag === m.toTag)) {
          t = x;
          break;
        }
      }
    }
    if (t === undefined) {
      if (m.method !== 'INVITE') {
        if (tracks !== undefined) this.unmatched++;
        return;
      }
      t = this.open(ev, tracks);
    }
    this.update(t, ev, u);
  }

  /** The INVITE transaction of a call timed out (no response at all). */
  timedOut(tx: Transaction): void {
    if (tx.method !== 'INVITE') return;
    const t = this.byCallId.peek(tx.callId)?.find((x) => x.inviteSeq === tx.cseq);
    if (t !== undefined && (t.rec.state === 'trying' || t.rec.state === 'ringing')) t.rec.state = 'timeout';
  }

  private open(ev: SipEvent, tracks: Track[] | undefined): Track {
    const m = ev.msg;
    const rec: CallRecord = {
      callId: detach(m.callId!), fromTag: detachOrNull(m.fromTag), toTag: detachOrNull(m.toTag), from: detach(uriOf(m.from)), to: detach(uriOf(m.to)), caller: ev.src,
      start: ev.time, state: m.toTag !== null ? 'answered' : 'trying', code: null, setupMs: null, pddMs: null, ringMs: null,
      durationMs: null, answered: null, ended: null, byeFrom: null, midDialog: m.toTag !== null, messages: 0, retransmissions: 0,
      hosts: ev.src === ev.dst ? [ev.src] : [ev.src, ev.dst], media: [], dscp: {},
    };
    const t: Track = { rec, inviteSeq: m.cseq!.seq, startTs: ev.ts, ringTs: null, answerTs: null, cancelled: false, dscpCounts: [ev.dscp, 0] };
    if (tracks !== undefined) tracks.push(t);
    else this.byCallId.set(rec.callId, [t]);
    this.size++;
    while (this.size > this.params.maxCalls) {
      const oldest = this.byCallId.oldestValue()!;
      this.byCallId.delete(oldest[0].rec.callId);
      for (const x of oldest) this.evictedByState[x.rec.state]++;
      this.size -= oldest.length;
      this.evicted += oldest.length;
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
    if (u.kind.endsWith('-retransmission')) return;

    const cseq = m.cseq!;
    if (m.method !== undefined) {
      if (m.method === 'INVITE' && m.toTag === null && cseq.seq > t.inviteSeq) {
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
      const pts = md.payloadTypes.join();
      if (r.media.some((x) => x.side === side && x.media === md.media && x.address === md.address && x.port === md.port && x.payloadTypes.join() === pts)) continue;
      r.media.push({
        side, sender: ev.src, media: detach(md.media), address: detachOrNull(md.address), port: md.port, proto: detach(md.proto),
        payloadTypes: md.payloadTypes, codecs: md.payloadTypes.map((pt) => detach(codecName(pt, md.rtpmap))),
      });
    }
  }

  report(): CallsReport {
    const byState = { ...this.evictedByState };
    const calls: CallRecord[] = [];
    for (const tracks of this.byCallId.values()) {
      for (const t of tracks) {
        t.rec.dscp = dscpRecord(t.dscpCounts);
        calls.push(t.rec);
      }
    }
    for (const c of calls) byState[c.state]++;
    calls.sort((a, b) => a.start - b.start);
    return { total: calls.length + this.evicted, byState, evicted: this.evicted, unmatched: this.unmatched, calls };
  }
}
