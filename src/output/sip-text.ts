// Text for the SIP analysis: the analyze section (calls by state, response
// times, keepalive health), the `sip calls` table and the `sip flow` ladder.
// Everything taken from packets goes through sanitize().

import { phbName } from '../../dissectors/dscp.js';
import type { SipAnalysisReport } from '../sip/analyzer.js';
import type { CallFlow, FlowMessage } from '../sip/call-flow.js';
import { CALL_STATES, type CallRecord, type CallsReport } from '../sip/dialogs.js';
import type { KeepalivePair } from '../sip/keepalives.js';
import type { ResponseTimeStats } from '../sip/transactions.js';
import { registrationsSection } from './registrations-text.js';
import type { SavedCall } from '../sip/save-call.js';
import { sanitize } from './sanitize.js';
import { table } from './table.js';
import type { CallMedia } from '../media/analyzer.js';
import { formatTime, utcClock } from '../common/time-format.js';
import { plural } from './words.js';

/** Milliseconds: microseconds shown below 10 ms, where they matter (loopback, LAN). */
function ms(v: number): string {
  return v < 10 ? v.toFixed(3) : v.toFixed(1);
}

function rel(t: number, origin: number | null): string {
  return origin === null ? utcClock(t) : `+${(t - origin).toFixed(6)}`;
}

function stateSummary(r: SipAnalysisReport): string {
  const parts = CALL_STATES.filter((s) => r.calls.byState[s] > 0).map((s) => `${r.calls.byState[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'none';
}

function keepaliveNote(k: KeepalivePair, origin: number | null): string {
  if (!k.unhealthy) return 'ok';
  const what: string[] = [];
  if (k.failed) what.push(`${k.failed} failed (${Object.entries(k.failedCodes).map(([c, n]) => `${c}×${n}`).join(' ')})`);
  if (k.timeouts) what.push(`${k.timeouts} timed out`);
  if (k.givenUp) what.push(`${k.givenUp} timed out as the requester saw it (no answer before its next ping${k.intervalMs ? `, every ${(k.intervalMs.p50 / 1000).toFixed(1)} s` : ''})`);
  if (k.unanswered) what.push(`${k.unanswered} unanswered at end of capture`);
  const since = k.lastAnswered !== null ? `last answer ${rel(k.lastAnswered, origin)}` : 'never answered';
  return `FAILING: ${what.join(', ')}; ${since}`;
}

/** Why a call is flagged for its 2xx never ACKed: the wait that passed, or the capture that ended first. */
export function noAckText(c: CallRecord): string {
  const n = c.noAck;
  if (n === null) return '';
  const code = c.code ?? 200;
  const resent = n.answerRetransmissions ? `, the ${code} resent ${plural(n.answerRetransmissions, 'time')}` : '';
  return n.decided === 'after-wait'
    ? `no ACK within ${(n.waitedMs / 1000).toFixed(n.waitedMs % 1000 ? 3 : 0)} s (64*T1) of the ${code}${resent}`
    : `no ACK before the capture ended ${(n.waitedMs / 1000).toFixed(3)} s after the ${code}${resent}`;
}

function notAckedSummary(r: SipAnalysisReport): string {
  const n = r.calls.notAcked;
  const parts: string[] = [];
  if (n.afterWait) parts.push(`${n.afterWait} with the 2xx never ACKed`);
  if (n.atEndOfCapture) parts.push(`${n.atEndOfCapture} with the 2xx not ACKed when the capture ended`);
  return parts.length ? `; ${parts.join(', ')}` : '';
}

/** The setup times over every answered call (`calls.setup` in --json), null before any answer; the HTML report says it too. */
export function setupTimesText(c: CallsReport): string | null {
  const s = c.setup;
  if (s === null) return null;
  const approx = s.medianExact ? '' : ` (median from a histogram, within 0.025 %: ${s.answered - c.calls.filter((x) => x.setupMs !== null).length} of them dropped from the table)`;
  return `setup time ms min/median/max ${ms(s.minMs)}/${ms(s.medianMs)}/${ms(s.maxMs)} over ${plural(s.answered, 'answered call')}${approx}`;
}

/** The SIP analysis section of `analyze`; `origin` is the capture's first packet time (relative times). */
export function sipAnalysisText(r: SipAnalysisReport, origin: number | null): string {
  const out: string[] = [];
  const c = r.calls;
  out.push(`SIP calls (${c.total}: ${stateSummary(r)}${notAckedSummary(r)}${c.evicted ? `; ${c.evicted} dropped from the full table` : ''})`);
  if (c.total > 0) {
    const failed = c.calls.filter((x) => x.state === 'failed' || x.state === 'timeout');
    const setup = setupTimesText(c);
    if (setup !== null) out.push(`  ${setup}`);
    for (const f of failed.slice(0, 10)) out.push(`  ${f.state === 'timeout' ? 'timeout' : `failed ${f.code}`}  ${rel(f.start, origin)}  ${sanitize(f.from)} -> ${sanitize(f.to)}  Call-ID ${sanitize(f.callId)}`);
    if (failed.length > 10) out.push(`  ... ${failed.length - 10} more failed`);
    const unacked = c.calls.filter((x) => x.noAck !== null);
    for (const u of unacked.slice(0, 10)) out.push(`  2xx not ACKed  ${rel(u.start, origin)}  ${sanitize(u.from)} -> ${sanitize(u.to)}  Call-ID ${sanitize(u.callId)}: ${u.state}, ${noAckText(u)}`);
    if (unacked.length > 10) out.push(`  ... ${unacked.length - 10} more not ACKed`);
  }
  out.push('');

  const t = r.transactions;
  const retr = Object.entries(t.retransmissionsByMethod).map(([m, n]) => `${sanitize(m)}×${n}`).join(' ');
  out.push(`SIP transactions (${t.transactions}; ${t.requestRetransmissions} retransmitted requests${retr ? ` [${retr}]` : ''}, ${t.responseRetransmissions} retransmitted responses, ` +
    `${t.timeouts} timeouts after ${r.params.transactionTimeoutMs / 1000} s, ${t.unansweredAtEnd} unanswered at end of capture` +
    `${t.proceedingAtEnd ? `, ${t.proceedingAtEnd} INVITEs still proceeding (1xx, no final) at the end` : ''}${t.evicted ? `, ${t.evicted} evicted while open` : ''})`);
  // Responses no request was seen for: the capture began late, a table overflowed, or a peer answers
  // on another branch than the request's (a 200 OK carrying its PRACK's branch): their times are missing below.
  if (t.strayResponses) out.push(`  ${plural(t.strayResponses, 'response')} matched no request seen (stray): not in the response times below`);
  const rows: Array<Array<string | number>> = [];
  const row = (name: string, s: ResponseTimeStats): void => {
    rows.push([name, s.count, ms(s.p50), ms(s.p99), ms(s.max)]);
  };
  if (t.inviteProvisionalMs) row('INVITE -> 1xx', t.inviteProvisionalMs);
  for (const [m, s] of Object.entries(t.finalResponseMs)) row(`${sanitize(m)} -> final`, s);
  out.push(rows.length ? table(['response time', 'count', 'p50 ms', 'p99 ms', 'max ms'], rows) : '  none');
  for (const x of t.timeoutList.slice(0, 10)) out.push(`  TIMEOUT ${rel(x.time, origin)}  ${sanitize(x.method)} ${x.client} > ${x.server}  Call-ID ${sanitize(x.callId)}`);
  out.push('');
  const registrations = registrationsSection(r.registrations, (x) => rel(x, origin));
  if (registrations) out.push(registrations);

  const ka = r.keepalives;
  const bad = ka.filter((k) => k.unhealthy).length;
  if (ka.length === 0) return `${out.join('\n').trimEnd()}\n`;
  out.push(`SIP OPTIONS keepalives (${plural(ka.length, 'pair')}${bad ? `, ${bad} FAILING` : ''})`);
  out.push(table(
    ['requester > responder', 'pings', 'answered', 'ratio', 'interval p50/max ms', 'longest gap s', 'health'],
    ka.map((k) => [`${k.requester} > ${k.responder}`, k.requests, k.answered, `${(k.answeredRatio * 100).toFixed(0)}%`,
      k.intervalMs ? `${ms(k.intervalMs.p50)}/${ms(k.intervalMs.max)}` : '-', (k.longestGapMs / 1000).toFixed(3), keepaliveNote(k, origin)]),
  ));
  return `${out.join('\n')}\n`;
}

function duration(msv: number | null): string {
  return msv === null ? '-' : `${(msv / 1000).toFixed(3)} s`;
}

/** The `sip calls` table. */
/** `media`: the calls' RTP quality by Call-ID (the worse direction): MOS, worst loss and jitter columns. */
export function callsText(calls: CallRecord[], file: string, media?: ReadonlyMap<string, CallMedia>): string {
  if (calls.length === 0) return `${sanitize(file)}: no calls (no INVITE seen)\n`;
  const rows = calls.map((c) => {
    const row: Array<string | number> = [
      utcClock(c.start), sanitize(c.callId), sanitize(c.from), sanitize(c.to), c.noAck === null ? c.state : `${c.state}, 2xx not ACKed`, c.code === null ? '-' : String(c.code),
      c.setupMs === null ? '-' : c.setupMs.toFixed(1), duration(c.durationMs), c.messages,
    ];
    if (media) {
      const m = media.get(c.callId);
      row.push(m?.mos == null ? '-' : m.mos.toFixed(2), m === undefined ? '-' : String(m.lossPercent), m?.jitterMs == null ? '-' : String(m.jitterMs));
    }
    return row;
  });
  const header = ['start', 'call-id', 'from', 'to', 'state', 'code', 'setup ms', 'duration', 'messages'];
  if (media) header.push('mos', 'loss %', 'jitter ms');
  return `${table(header, rows)}\n`;
}

// ---------------------------------------------------------------- ladder

const MIN_COLUMN = 20;
/** Widest label a column makes room for (longer ones are cut with ~). */
const MAX_LABEL = 30;

function put(line: string[], at: number, text: string): void {
  for (let i = 0; i < text.length; i++) line[at + i] = text[i];
}

function arrow(line: string[], from: number, to: number, label: string): void {
  if (from === to) {
    put(line, from + 1, `<- ${label}`);
    return;
  }
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  for (let i = lo + 1; i < hi; i++) line[i] = '-';
  if (to > from) line[hi - 1] = '>';
  else line[lo + 1] = '<';
  // " label " sits in the middle, keeping a dash and the arrowhead clear at the ends; cut to fit.
  const inner = hi - lo - 1;
  const room = inner - 5;
  if (room <= 0) return;
  const text = label.length > room ? `${label.slice(0, room - 1)}~` : label;
  // Centred on the shaft, which is the span less the arrowhead.
  const shaft = to > from ? lo + 1 : lo + 2;
  put(line, shaft + Math.floor((inner - 1 - text.length - 2) / 2), ` ${text} `);
}

function notes(m: FlowMessage): string {
  const n = [`CSeq ${sanitize(m.cseq)}`];
  if (m.transport === 'tcp') n.push('tcp');
  for (const s of m.sdp) n.push(`SDP ${sanitize(s)}`);
  if (m.retransmission) n.push('RETRANSMISSION');
  if (m.malformed) n.push('malformed');
  return n.join('  ');
}

/** The `sip flow` ladder: one column per host, one line per message with absolute and relative time and DSCP. */
export function ladderText(flow: CallFlow): string {
  const hosts = flow.hosts;
  const labels = flow.messages.map((m) => Math.min(MAX_LABEL, m.label.length));
  const width = Math.max(MIN_COLUMN, ...hosts.map((h) => h.length + 2), ...labels.map((n) => n + 6));
  const center = (i: number): number => Math.floor(width / 2) + i * width;
  const span = hosts.length * width;
  const lead = `${' '.repeat(15)}  ${' '.repeat(10)}  ${' '.repeat(5)}  `;
  const header: string[] = new Array<string>(span).fill(' ');
  hosts.forEach((h, i) => put(header, center(i) - Math.floor(h.length / 2), h));
  const origin = flow.messages.length ? flow.messages[0].time : 0;
  const out = [`Call-ID ${sanitize(flow.callId)}: ${plural(flow.messages.length, 'message')} across ${plural(hosts.length, 'host')}${flow.dropped ? ` (${flow.dropped} more not kept)` : ''}`, '',
    `${'time (UTC)'.padEnd(15)}  ${'relative s'.padEnd(10)}  ${'dscp'.padEnd(5)}  ${header.join('').trimEnd()}`];
  const bars = (): string[] => {
    const l = new Array<string>(span).fill(' ');
    hosts.forEach((_, i) => (l[center(i)] = '|'));
    return l;
  };
  for (const m of flow.messages) {
    const l = bars();
    arrow(l, center(hosts.indexOf(m.src)), center(hosts.indexOf(m.dst)), sanitize(m.label));
    const sec = m.ts.sec;
    const time = formatTime(sec, m.ts.nsec, 'utc', 0);
    const r = (m.time - origin).toFixed(6);
    out.push(`${time.padEnd(15)}  ${r.padStart(10)}  ${phbName(m.dscp).padEnd(5)}  ${l.join('')}  ${notes(m)}`);
  }
  out.push(`${lead}${bars().join('').trimEnd()}`);
  return `${out.join('\n')}\n`;
}

/** What `sip save` (and the terminal UI's s key) says of a saved call. */
export function savedCallText(callId: string, out: string, s: SavedCall): string {
  return `${s.packets} packets of call ${sanitize(callId)} (${s.messages} SIP messages, ${s.mediaEndpoints} media endpoints) written to ${sanitize(out)}`;
}

export function noSuchCallText(file: string, callId: string): string {
  return `${file}: no SIP message with Call-ID '${sanitize(callId)}'`;
}
