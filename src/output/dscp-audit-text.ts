// The text form of the DSCP policy audit: a totals line, then one row per
// flow, violations first. Every flow that is not plainly ok is printed; ok
// flows only up to a limit (the JSON lists all).

import { phbName } from '../../dissectors/dscp.js';
import { observedByPackets, type DscpAuditReport, type FlowAudit } from '../dscp/audit.js';
import { sanitize } from './sanitize.js';
import { table } from './table.js';
import { plural } from './words.js';

const MAX_OK_ROWS = 30;

function names(values: number[]): string {
  return values.map(phbName).join('/');
}

/** What the policy wants, e.g. "EF (or AF41)". Also the report's column. */
export function expectedText(f: FlowAudit): string {
  return f.accepted.length ? `${names(f.expected)} (or ${names(f.accepted)})` : names(f.expected);
}

/** Every marking seen with its packets, e.g. "EF(46)×120 CS0(0)×3"; `num` formats the counts. */
export function observedText(f: FlowAudit, num: (n: number) => string = String): string {
  return observedByPackets(f).map(([d, n]) => `${phbName(d)}(${d})×${num(n)}`).join(' ');
}

/** What else to know of a flow: off-policy share, mixed or asymmetric marking, ECN. */
export function flowNotes(f: FlowAudit, num: (n: number) => string = String): string {
  const out: string[] = [];
  if (f.offPolicy > 0 && f.offPolicy < f.packets) out.push(`${num(f.offPolicy)} of ${num(f.packets)} off policy`);
  if (f.mixed) out.push('mixed marking');
  if (f.asymmetric && f.reverse) {
    // The other side marks as the policy wants and this one does not: the sender needs re-marking at the access edge.
    const fix = f.verdict === 'violation' && f.expected.includes(f.reverse.dscp) ? ', re-mark this direction at the access switch' : '';
    out.push(`asymmetric: reverse marks ${phbName(f.reverse.dscp)}${fix}`);
  }
  const e = f.ecn;
  const ecn = [[e.ect0, 'ECT(0)'], [e.ect1, 'ECT(1)'], [e.ce, 'CE']].filter(([n]) => (n as number) > 0).map(([n, w]) => `${w}×${n}`);
  if (ecn.length) out.push(`ECN ${ecn.join(' ')}`);
  return out.join('; ');
}

/** `media`: flow -> its RTP quality, shown beside the marking of RTP flows. */
export function dscpAuditText(a: DscpAuditReport, media: ReadonlyMap<string, string> = new Map()): string {
  const t = a.totals;
  const head = `DSCP policy audit (policy ${sanitize(a.policy)}; ${plural(t.flows, 'flow')}: ${t.violation} violating, ${t.accepted} accepted alternative, `
    + `${t.unclassified} unclassified, ${t.ok} ok; ${plural(t.asymmetricConversations, 'asymmetric conversation')})`;
  const remarkable = (f: FlowAudit): boolean => f.verdict !== 'ok' || f.asymmetric || f.mixed;
  const notOk = a.flows.filter(remarkable);
  const ok = a.flows.filter((f) => !remarkable(f));
  const shown = [...notOk, ...ok.slice(0, MAX_OK_ROWS)];
  const lines: string[] = [head];
  if (shown.length === 0) lines.push('  no UDP or TCP flows');
  else {
    lines.push(table(['verdict', 'flow', 'class', 'app', 'expected', 'observed (packets)', 'notes'], shown.map((f) => [
      f.verdict === 'violation' ? 'VIOLATION' : f.verdict,
      `${f.transport} ${f.flow}`,
      sanitize(f.class),
      f.app ?? '-',
      expectedText(f),
      observedText(f),
      [flowNotes(f), media.get(f.flow) ?? ''].filter(Boolean).join('; '),
    ])));
  }
  if (ok.length > MAX_OK_ROWS) lines.push(`  ... ${ok.length - MAX_OK_ROWS} more ok flows (--json lists every flow)`);
  if (t.evicted > 0) lines.push(`  ${plural(t.evicted, 'flow')} left the table to bound memory; their verdicts are in the counts above`);
  if (t.ecn.ect0 + t.ecn.ect1 + t.ecn.ce > 0) lines.push(`  ECN: ECT(0) ${t.ecn.ect0}, ECT(1) ${t.ecn.ect1}, CE ${t.ecn.ce} packets`);
  if (t.notAudited > 0) lines.push(`  ${t.notAudited} IP packets without UDP/TCP not audited`);
  if (t.healthCheckFlows > 0) lines.push(`  ${plural(t.healthCheckFlows, 'health-check probe flow')} not audited as signaling (see Health checks; a policy rule with app health-check audits them)`);
  return lines.join('\n') + '\n';
}
