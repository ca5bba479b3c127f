// Registrations (RFC 3261 10): what each address of record asked of its
// registrar and got. Every REGISTER transaction is one attempt; its final
// response decides it: a 401/407 is a challenge (the client sends the
// REGISTER again with credentials), a 2xx binds the contacts for the expiry
// the registrar granted (the expires parameter of our contact in the 2xx's
// Contact list, else its Expires header, else what was asked), anything else
// is a failure, and no final response within the transaction timeout is a
// timeout. A binding registered again before it expired is a refresh; one
// whose expiry passed before the next 2xx lapsed, and the capture saw the
// contact unreachable meanwhile.
//
// Fed the SIP events and transaction updates the SIP analyzer already makes;
// time is the packets' own. Tables are bounded: the least recently active
// addresses of record go first, counted.

import { RecencyMap } from '../common/bounded-map.js';
import { detach } from '../common/detach.js';
import { epochOf, uriOf, type SipEvent, type Ts } from './sip-event.js';
import type { Transaction, TxUpdate } from './transactions.js';

export interface RegistrationParams {
  maxAors: number;
  /** Most contacts kept per address of record. */
  maxContacts: number;
}

export const DEFAULT_REGISTRATION_PARAMS: RegistrationParams = { maxAors: 10_000, maxContacts: 16 };

/**
 * Where the address of record stands at the end: registered (a binding still within its
 * expiry), expired (the bindings' expiry passed with no refresh), unregistered (expires 0
 * granted, or Contact: *), never (no 2xx seen for it).
 */
export type RegistrationState = 'registered' | 'expired' | 'unregistered' | 'never';

/**
 * What the last REGISTER came to: ok (2xx), challenged (a 401/407 not followed by another
 * REGISTER), failed (another final >= 300), timeout (no final response within the limit),
 * pending (no final response when the capture ended).
 */
export type AttemptOutcome = 'ok' | 'challenged' | 'failed' | 'timeout' | 'pending';

export interface LastAttempt {
  outcome: AttemptOutcome;
  /** Its final response's code; null for timeout and pending. */
  code: number | null;
  /** Epoch seconds of the REGISTER. */
  time: number;
  /** It asked expires 0 (to remove bindings). */
  unregister: boolean;
}

export interface ContactBinding {
  /** The contact URI as registered (inside <>, without parameters). */
  contact: string;
  /** Expiry the client asked for on its last REGISTER (s): the contact's expires parameter, else Expires; null when neither. */
  askedExpires: number | null;
  /** Expiry the registrar granted on the last 2xx (s); null before a 2xx. */
  grantedExpires: number | null;
  /** Epoch seconds of the first and the last 2xx that bound it. */
  firstRegistered: number | null;
  lastRegistered: number | null;
  /** When the last grant runs out (epoch seconds). */
  expiresAt: number | null;
  /** 2xx for a binding not yet expired. */
  refreshes: number;
  /** 2xx after the binding had expired: the contact was unreachable between the two. */
  lapses: number;
  state: 'registered' | 'expired' | 'unregistered' | 'never';
}

export interface AorRegistration {
  /** Address of record: the To URI of the REGISTER, without the scheme. */
  aor: string;
  /** Endpoints: who sent the REGISTERs, and the registrar they went to (the first seen of each). */
  client: string;
  registrar: string;
  first: number;
  last: number;
  /** REGISTER transactions (retransmissions apart). */
  registers: number;
  retransmissions: number;
  /** 401 and 407 answers. */
  challenges: { 401: number; 407: number };
  successes: number;
  /** Final responses >= 300 other than challenges, by code. */
  failures: Record<string, number>;
  timeouts: number;
  /** Successful REGISTERs that asked expires 0 (removing a binding or all of them with Contact: *). */
  unregisters: number;
  /** Granted expiry shorter than asked (s), the last time it happened: the registrar's limit. */
  shortened: { asked: number; granted: number } | null;
  state: RegistrationState;
  lastAttempt: LastAttempt;
  contacts: ContactBinding[];
}

export interface RegistrationsReport {
  aors: number;
  byState: Record<RegistrationState, number>;
  /** Addresses of record whose last REGISTER was not answered 2xx, by what it came to. */
  lastAttemptNotOk: Record<Exclude<AttemptOutcome, 'ok'>, number>;
  registers: number;
  challenges: number;
  successes: number;
  failures: number;
  timeouts: number;
  /** Addresses of record dropped from the full table (counted in `aors` and `byState` as they stood). */
  evicted: number;
  registrations: AorRegistration[];
}

export const REGISTRATION_STATES: readonly RegistrationState[] = ['registered', 'expired', 'unregistered', 'never'];

interface Attempt {
  /** The REGISTER's transaction key. */
  key: string;
  aor: AorRegistration;
  attempt: LastAttempt;
  /** Contacts asked and their asked expiry; '*' removes every binding. */
  asked: Array<{ contact: string; expires: number | null }>;
  wildcard: boolean;
  decided: boolean;
}

/** The contact URI of one Contact list element, and its expires parameter. */
interface ContactSpec {
  uri: string;
  expires: number | null;
}

/** Splits a header value on the commas outside quotes and <>. */
function splitTopLevel(v: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let from = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      out.push(v.slice(from, i));
      from = i + 1;
    }
  }
  out.push(v.slice(from));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

function deltaSeconds(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,10}$/.test(text.trim())) return null;
  return Number(text.trim());
}

/** Contact list elements (RFC 3261 20.10): the URI, and an expires parameter after the name-addr. */
export function contactsOf(values: string[]): ContactSpec[] {
  const out: ContactSpec[] = [];
  for (const v of values) {
    for (const part of splitTopLevel(v)) {
      const gt = part.lastIndexOf('>');
      const params = gt >= 0 ? part.slice(gt + 1) : part.slice(part.indexOf(';') >= 0 ? part.indexOf(';') : part.length);
      const m = /;\s*expires\s*=\s*"?(\d+)"?/i.exec(params);
      out.push({ uri: contactUri(part), expires: m ? deltaSeconds(m[1]) : null });
    }
  }
  return out;
}

/** The URI of a name-addr or addr-spec, without its header parameters (compared case-insensitively). */
function contactUri(part: string): string {
  const lt = part.indexOf('<');
  if (lt >= 0) {
    const gt = part.indexOf('>', lt);
    return part.slice(lt + 1, gt >= 0 ? gt : undefined).trim();
  }
  const semi = part.indexOf(';');
  return (semi >= 0 ? part.slice(0, semi) : part).trim();
}

function headerValues(ev: SipEvent, name: string): string[] {
  const out: string[] = [];
  for (const h of ev.msg.headers) if (h.name === name) out.push(h.value);
  return out;
}

function sameUri(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export class RegistrationTracker {
  readonly params: RegistrationParams;
  private readonly byAor = new RecencyMap<string, AorRegistration>();
  /** REGISTER transactions waiting for their final response, by transaction key. */
  private readonly attempts = new RecencyMap<string, Attempt>();
  private evicted = 0;
  /** Evicted addresses by the state they had (an evicted binding's expiry is not followed any more). */
  private readonly evictedByState = Object.fromEntries(REGISTRATION_STATES.map((s) => [s, 0])) as Record<RegistrationState, number>;
  private readonly totals = { registers: 0, challenges: 0, successes: 0, failures: 0, timeouts: 0 };

  constructor(params: Partial<RegistrationParams> = {}) {
    this.params = { ...DEFAULT_REGISTRATION_PARAMS, ...params };
  }

  add(ev: SipEvent, u: TxUpdate): void {
    const m = ev.msg;
    if (m.method === 'REGISTER') {
      if (u.kind === 'request-retransmission' && u.tx !== null) {
        const a = this.attempts.peek(u.tx.key);
        if (a !== undefined) a.aor.retransmissions++;
      } else if (u.kind === 'request' && u.tx !== null) this.start(ev, u.tx);
      return;
    }
    if (m.status === undefined || m.status < 200 || m.cseq?.method !== 'REGISTER' || u.tx === null || u.kind !== 'response') return;
    const a = this.attempts.peek(u.tx.key);
    if (a === undefined || a.decided) return;
    a.decided = true;
    this.attempts.delete(u.tx.key);
    this.final(a, ev, m.status);
  }

  /** A REGISTER transaction got no final response within the limit. */
  timedOut(tx: Transaction): void {
    if (tx.method !== 'REGISTER') return;
    const a = this.attempts.peek(tx.key);
    if (a === undefined) return;
    this.attempts.delete(tx.key);
    a.aor.timeouts++;
    this.totals.timeouts++;
    if (a.aor.lastAttempt === a.attempt) a.attempt.outcome = 'timeout';
  }

  private start(ev: SipEvent, tx: Transaction): void {
    const aorText = uriOf(ev.msg.to);
    let r = this.byAor.get(aorText);
    if (r === undefined) {
      r = {
        aor: detach(aorText), client: ev.src, registrar: ev.dst, first: ev.time, last: ev.time, registers: 0, retransmissions: 0,
        challenges: { 401: 0, 407: 0 }, successes: 0, failures: {}, timeouts: 0, unregisters: 0, shortened: null, state: 'never',
        lastAttempt: { outcome: 'pending', code: null, time: ev.time, unregister: false }, contacts: [],
      };
      this.byAor.set(r.aor, r);
      while (this.byAor.size > this.params.maxAors) {
        const old = this.byAor.oldestValue()!;
        this.byAor.delete(old.aor);
        this.evictedByState[old.state]++;
        this.evicted++;
      }
    }
    r.registers++;
    r.last = ev.time;
    this.totals.registers++;
    const headerExpires = deltaSeconds(headerValues(ev, 'expires')[0]);
    const contactValues = headerValues(ev, 'contact');
    const wildcard = contactValues.some((v) => v.trim() === '*');
    const asked = wildcard ? [] : contactsOf(contactValues).map((c) => ({ contact: detach(c.uri), expires: c.expires ?? headerExpires }));
    const attempt: LastAttempt = { outcome: 'pending', code: null, time: ev.time, unregister: wildcard || (asked.length > 0 && asked.every((c) => c.expires === 0)) };
    r.lastAttempt = attempt;
    const key = tx.key;
    this.attempts.set(key, { key, aor: r, attempt, asked, wildcard, decided: false });
    // Attempts whose transaction left the table unanswered are forgotten with the oldest first.
    while (this.attempts.size > this.params.maxAors) this.attempts.delete(this.attempts.oldestValue()!.key);
  }

  private final(a: Attempt, ev: SipEvent, status: number): void {
    const r = a.aor;
    r.last = ev.time;
    a.attempt.code = status;
    if (status === 401 || status === 407) {
      r.challenges[status]++;
      this.totals.challenges++;
      a.attempt.outcome = 'challenged';
      return;
    }
    if (status >= 300) {
      r.failures[status] = (r.failures[status] ?? 0) + 1;
      this.totals.failures++;
      a.attempt.outcome = 'failed';
      return;
    }
    a.attempt.outcome = 'ok';
    r.successes++;
    this.totals.successes++;
    const granted = contactsOf(headerValues(ev, 'contact'));
    const headerExpires = deltaSeconds(headerValues(ev, 'expires')[0]);
    if (a.wildcard) {
      r.unregisters++;
      for (const b of r.contacts) this.unbind(b);
    }
    for (const ask of a.asked) {
      const b = this.binding(r, ask.contact);
      if (b === null) continue;
      b.askedExpires = ask.expires;
      const mine = granted.find((g) => sameUri(g.uri, ask.contact));
      const grant = mine?.expires ?? headerExpires ?? ask.expires;
      if (grant === 0 || (mine === undefined && ask.expires === 0)) {
        if (ask.expires === 0) r.unregisters++;
        this.unbind(b);
        continue;
      }
      if (b.expiresAt !== null && b.state === 'registered') {
        if (ev.time <= b.expiresAt) b.refreshes++;
        else b.lapses++;
      }
      b.grantedExpires = grant;
      b.firstRegistered ??= ev.time;
      b.lastRegistered = ev.time;
      b.expiresAt = grant === null ? null : ev.time + grant;
      b.state = 'registered';
      if (ask.expires !== null && grant !== null && grant < ask.expires) r.shortened = { asked: ask.expires, granted: grant };
    }
    r.state = r.contacts.some((b) => b.state === 'registered') ? 'registered' : 'unregistered';
  }

  private unbind(b: ContactBinding): void {
    b.grantedExpires = 0;
    b.expiresAt = null;
    b.state = 'unregistered';
  }

  private binding(r: AorRegistration, contact: string): ContactBinding | null {
    const found = r.contacts.find((b) => sameUri(b.contact, contact));
    if (found !== undefined) return found;
    if (r.contacts.length >= this.params.maxContacts) return null;
    const b: ContactBinding = {
      contact, askedExpires: null, grantedExpires: null, firstRegistered: null, lastRegistered: null, expiresAt: null, refreshes: 0, lapses: 0, state: 'never',
    };
    r.contacts.push(b);
    return b;
  }

  /** The registrations as of packet time `now` (the capture's end): bindings past their expiry have expired. */
  report(now: Ts | null): RegistrationsReport {
    const at = now === null ? null : epochOf(now);
    const byState = { ...this.evictedByState };
    const lastAttemptNotOk = { challenged: 0, failed: 0, timeout: 0, pending: 0 };
    const registrations: AorRegistration[] = [];
    for (const r of this.byAor.values()) {
      const view: AorRegistration = {
        ...r, challenges: { ...r.challenges }, failures: { ...r.failures }, lastAttempt: { ...r.lastAttempt }, contacts: r.contacts.map((b) => ({ ...b })),
      };
      for (const b of view.contacts) if (b.state === 'registered' && b.expiresAt !== null && at !== null && b.expiresAt < at) b.state = 'expired';
      // The last 2xx's bindings all ran out: the address is no longer reachable.
      if (view.state === 'registered' && !view.contacts.some((b) => b.state === 'registered')) view.state = 'expired';
      byState[view.state]++;
      if (view.lastAttempt.outcome !== 'ok') lastAttemptNotOk[view.lastAttempt.outcome]++;
      registrations.push(view);
    }
    registrations.sort((a, b) => a.first - b.first || a.aor.localeCompare(b.aor));
    return { aors: registrations.length + this.evicted, byState, lastAttemptNotOk, ...this.totals, evicted: this.evicted, registrations };
  }
}
