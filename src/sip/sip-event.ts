// One SIP message as the stateful SIP analyzers see it: the parsed message
// plus where and when it travelled. Times are the packet's own timestamp
// kept as (seconds, nanoseconds), so differences stay exact to the
// nanosecond instead of losing bits in an epoch double.

import type { PacketRecord, SipMessage } from '../../dissectors/types.js';
import { endpoint } from '../pipeline/flow-key.js';

export interface Ts {
  sec: number;
  nsec: number;
}

export interface SipEvent {
  ts: Ts;
  /** Epoch seconds (for reports; use `ts` for differences). */
  time: number;
  frame: number;
  /** "ip:port" of the sender and the receiver (IPv6 in brackets). */
  src: string;
  dst: string;
  transport: 'udp' | 'tcp';
  /** DSCP of the IP header that carried the message. */
  dscp: number;
  msg: SipMessage;
}

/**
 * Packet times as a table keeps them: whole seconds since a base second (the
 * first one seen) and nanoseconds, two small integers that V8 stores in an
 * object's fields as they are. A Ts object, or an epoch second (above 2^30,
 * so a heap number in V8), is one more object per stored time that the young
 * generation copies and promotes with the transaction or call holding it.
 */
export class TimeBase {
  private base: number | null = null;

  /** Seconds of `sec` since the base (set by the first call). */
  rel(sec: number): number {
    if (this.base === null) this.base = sec;
    return sec - this.base;
  }

  /** The timestamp of a time kept as (rel(sec), nsec). */
  ts(relSec: number, nsec: number): Ts {
    return { sec: relSec + (this.base ?? 0), nsec };
  }
}

/** msBetween over times kept as (seconds, nanoseconds) pairs on the same base. */
export function msBetweenParts(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (bSec - aSec) * 1000 + (bNsec - aNsec) / 1e6;
}

export function epochOf(t: Ts): number {
  return t.sec + t.nsec / 1e9;
}

/** An epoch-seconds double to a timestamp, rounded to the microsecond (what a pcap can hold). */
export function tsFromEpoch(t: number): Ts {
  const sec = Math.floor(t);
  const us = Math.round((t - sec) * 1e6);
  return us >= 1e6 ? { sec: sec + 1, nsec: 0 } : { sec, nsec: us * 1000 };
}

/** b - a in milliseconds, exact for any two packet timestamps. */
export function msBetween(a: Ts, b: Ts): number {
  return msBetweenParts(a.sec, a.nsec, b.sec, b.nsec);
}

/** Milliseconds rounded to the microsecond: what reports show and tests compare. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The messages of a record that the transaction and dialog trackers can use:
 * a start line (method or status), a Call-ID and a CSeq. A message the parser
 * flagged is still used when it has those (a bad Date header does not make a
 * 200 OK any less of an answer).
 */
export function sipEventsOf(rec: PacketRecord): SipEvent[] {
  const out: SipEvent[] = [];
  for (const msg of rec.sip ?? []) {
    const ev = sipEventOf(rec, msg);
    if (ev !== null) out.push(ev);
  }
  return out;
}

/** Whether the trackers can use `msg` of `rec` (see sipEventsOf). */
function usable(rec: PacketRecord, msg: SipMessage): boolean {
  if (!rec.ip || (rec.transport !== 'udp' && rec.transport !== 'tcp')) return false;
  return msg.callId !== null && msg.cseq !== null && (msg.method !== undefined || msg.status !== undefined);
}

/** One message of the record as sipEventsOf gives it, or null when the trackers cannot use it. */
export function sipEventOf(rec: PacketRecord, msg: SipMessage): SipEvent | null {
  if (!usable(rec, msg)) return null;
  const ev: SipEvent = { ts: { sec: 0, nsec: 0 }, time: 0, frame: 0, src: '', dst: '', transport: 'udp', dscp: 0, msg };
  refillSipEvent(ev, rec, msg);
  return ev;
}

/**
 * Rewrites `ev` (and its `ts` object) as sipEventOf(rec, msg) would make it,
 * or returns false, leaving it as it was, when that gives null: one event
 * object for a consumer that keeps nothing of it past the message (a copy of
 * `ts` where it keeps a time), instead of three new objects per message.
 */
export function refillSipEvent(ev: SipEvent, rec: PacketRecord, msg: SipMessage): boolean {
  if (!usable(rec, msg)) return false;
  const ip = rec.ip!;
  ev.ts.sec = rec.tsSec;
  ev.ts.nsec = rec.tsNsec;
  ev.time = rec.tsSec + rec.tsNsec / 1e9;
  ev.frame = rec.frame;
  ev.src = endpoint(ip.src, rec.sport);
  ev.dst = endpoint(ip.dst, rec.dport);
  ev.transport = rec.transport as SipEvent['transport'];
  ev.dscp = ip.dscp;
  ev.msg = msg;
  return true;
}

/** A timestamp of one's own, for a time kept from an event that is rewritten. */
export function copyTs(t: Ts): Ts {
  return { sec: t.sec, nsec: t.nsec };
}

/** "user@host" of a From/To/Contact value: the URI inside <>, or before the parameters, without the scheme. */
export function uriOf(nameAddr: string | null): string {
  if (nameAddr === null) return '';
  const lt = nameAddr.indexOf('<');
  let uri = lt >= 0 ? nameAddr.slice(lt + 1, nameAddr.indexOf('>', lt) >= 0 ? nameAddr.indexOf('>', lt) : undefined) : nameAddr.split(';')[0];
  uri = uri.trim();
  const semi = lt >= 0 ? uri.indexOf(';') : -1;
  if (semi >= 0) uri = uri.slice(0, semi);
  return uri.replace(/^sips?:/i, '');
}
