// Text for SIP registrations: the analyze section and `sip registrations`.
// One row per address of record and contact; what came from packets goes
// through sanitize().

import type { AorRegistration, ContactBinding, LastAttempt, RegistrationsReport } from '../sip/registrations.js';
import { REGISTRATION_STATES } from '../sip/registrations.js';
import { sanitize } from './sanitize.js';
import { table } from './table.js';

function expiry(b: ContactBinding | undefined): string {
  if (b === undefined) return '-';
  const asked = b.askedExpires === null ? '-' : String(b.askedExpires);
  const granted = b.grantedExpires === null ? '-' : String(b.grantedExpires);
  return `${asked}/${granted}`;
}

function attemptText(a: LastAttempt): string {
  const what = a.unregister ? 'unregister ' : '';
  if (a.outcome === 'timeout' || a.outcome === 'pending') return `${what}${a.outcome === 'pending' ? 'unanswered at end' : 'timeout'}`;
  return `${what}${a.outcome} ${a.code}`;
}

function failures(r: AorRegistration): string {
  const codes = Object.entries(r.failures).map(([c, n]) => `${c}×${n}`);
  if (r.timeouts) codes.push(`timeout×${r.timeouts}`);
  return codes.length ? codes.join(' ') : '0';
}

/** The per-AOR table; `at` formats a time (relative in analyze, UTC clock in `sip registrations`). */
function registrationsTable(report: RegistrationsReport, at: (t: number) => string): string {
  const rows: Array<Array<string | number>> = [];
  for (const r of report.registrations) {
    const contacts: Array<ContactBinding | undefined> = r.contacts.length ? r.contacts : [undefined];
    contacts.forEach((b, i) => {
      const first = i === 0;
      const state = b === undefined ? r.state : b.state === 'never' ? 'never' : b.state;
      const until = b?.state === 'registered' && b.expiresAt !== null ? `until ${at(b.expiresAt)}` : b?.state === 'expired' && b.expiresAt !== null ? `at ${at(b.expiresAt)}` : '';
      rows.push([
        first ? sanitize(r.aor) : '', b === undefined ? '-' : sanitize(b.contact), first ? `${r.client} > ${r.registrar}` : '',
        first ? String(r.registers) : '', first ? `${r.challenges[401]}/${r.challenges[407]}` : '', first ? String(r.successes) : '', first ? failures(r) : '',
        b === undefined ? '-' : `${b.refreshes}${b.lapses ? ` (${b.lapses} lapsed)` : ''}`, expiry(b),
        `${state}${until ? ` ${until}` : ''}`, first ? attemptText(r.lastAttempt) : '',
      ]);
    });
  }
  return table(['address of record', 'contact', 'client > registrar', 'registers', '401/407', 'ok', 'failed', 'refreshes', 'expires asked/granted s', 'state', 'last attempt'], rows);
}

function summary(report: RegistrationsReport): string {
  const states = REGISTRATION_STATES.filter((s) => report.byState[s] > 0).map((s) => `${report.byState[s]} ${s === 'never' ? 'never registered' : s}`);
  const notOk = Object.entries(report.lastAttemptNotOk).filter(([, n]) => n > 0).map(([o, n]) => `${n} ${o === 'pending' ? 'unanswered at end' : o}`);
  return `${report.aors} address${report.aors === 1 ? '' : 'es'} of record: ${states.join(', ') || 'none'}` +
    `${notOk.length ? `; last REGISTER ${notOk.join(', ')}` : ''}; ${report.registers} REGISTERs, ${report.challenges} challenged, ${report.successes} ok, ` +
    `${report.failures} failed, ${report.timeouts} timed out${report.evicted ? `; ${report.evicted} dropped from the full table` : ''}`;
}

/** Shortened grants: the registrar gave less than asked. */
function notes(report: RegistrationsReport): string[] {
  return report.registrations
    .filter((r) => r.shortened !== null)
    .map((r) => `  ${sanitize(r.aor)}: the registrar granted ${r.shortened!.granted} s of the ${r.shortened!.asked} s asked`);
}

/** The analyze section; empty when the capture held no REGISTER. */
export function registrationsSection(report: RegistrationsReport, at: (t: number) => string): string {
  if (report.registers === 0 && report.aors === 0) return '';
  return [`SIP registrations (${summary(report)})`, registrationsTable(report, at), ...notes(report), ''].join('\n');
}

/** `ucprobe sip registrations`. */
export function registrationsText(report: RegistrationsReport, file: string, at: (t: number) => string): string {
  if (report.aors === 0) return `${sanitize(file)}: no registrations (no REGISTER seen)\n`;
  return `${registrationsSection(report, at).trimEnd()}\n`;
}
