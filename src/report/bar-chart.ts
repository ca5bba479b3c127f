// DSCP verdicts per traffic class as stacked bars: for each class of the
// policy, one bar of packets and one of flows, split into conforming,
// accepted alternative, violating and off-policy-but-not-enforced. Bars are
// shares of the class (a class of 100 SIP packets must stay as readable as
// one of a million RTP packets); the counts are written on and beside them.

import { phbName } from '../../dissectors/dscp.js';
import type { DscpAuditReport } from '../dscp/audit.js';
import { linearScale } from './scale.js';
import { clip, el, svgText, text, textWidth, type Markup } from './svg.js';

export type VerdictPart = 'conforming' | 'alternative' | 'violating' | 'unenforced';
export const VERDICT_PARTS: readonly VerdictPart[] = ['conforming', 'alternative', 'violating', 'unenforced'];
export const VERDICT_PART_LABELS: Readonly<Record<VerdictPart, string>> = {
  conforming: 'conforming',
  alternative: 'accepted alternative',
  violating: 'violating',
  unenforced: 'off policy, not enforced',
};

export interface ClassVerdicts {
  /** The policy class (or best-effort for flows no rule matched). */
  cls: string;
  /** DSCP values the class expects (the union over its rules). */
  expected: number[];
  /** Alternatives it accepts with a warning. */
  accepted: number[];
  packets: Record<VerdictPart, number>;
  flows: Record<VerdictPart, number>;
}

const zero = (): Record<VerdictPart, number> => ({ conforming: 0, alternative: 0, violating: 0, unenforced: 0 });

/**
 * Per class: packets by how they were marked, flows by verdict. Flows evicted
 * from the audit's table are only in its totals, so they are not here.
 */
export function verdictsByClass(audit: DscpAuditReport): ClassVerdicts[] {
  const byClass = new Map<string, ClassVerdicts>();
  for (const f of audit.flows) {
    let c = byClass.get(f.class);
    if (c === undefined) {
      c = { cls: f.class, expected: [], accepted: [], packets: zero(), flows: zero() };
      byClass.set(f.class, c);
    }
    for (const d of f.expected) if (!c.expected.includes(d)) c.expected.push(d);
    for (const d of f.accepted) if (!c.accepted.includes(d)) c.accepted.push(d);
    const off = f.verdict === 'violation' ? 'violating' : 'unenforced';
    c.packets.conforming += f.packets - f.offPolicy - f.alternative;
    c.packets.alternative += f.alternative;
    c.packets[off] += f.offPolicy;
    const part: VerdictPart = f.verdict === 'ok' ? 'conforming' : f.verdict === 'accepted' ? 'alternative' : f.verdict === 'violation' ? 'violating' : 'unenforced';
    c.flows[part]++;
  }
  const bad = (c: ClassVerdicts): number => c.flows.violating;
  const size = (c: ClassVerdicts): number => VERDICT_PARTS.reduce((n, k) => n + c.packets[k], 0);
  return [...byClass.values()].sort((a, b) => bad(b) - bad(a) || size(b) - size(a) || (a.cls < b.cls ? -1 : 1));
}

const WIDTH = 1200;
const LABEL = 220;
const TOTAL = 230;
const BAR = 18;
const GAP = 4;
const GROUP = 2 * BAR + GAP + 20;
const TOP = 34;
const FONT = 12;

const fmt = (n: number): string => n.toLocaleString('en-US');

function bar(y: number, counts: Record<VerdictPart, number>, unit: string, x0: number, x1: number): Markup[] {
  const total = VERDICT_PARTS.reduce((n, k) => n + counts[k], 0);
  const out: Markup[] = [];
  const x = linearScale([0, Math.max(total, 1)], [x0, x1]);
  let acc = 0;
  out.push(el('rect', { class: 'bar-bg', x: x0, y, width: x1 - x0, height: BAR }, null));
  for (const k of VERDICT_PARTS) {
    const n = counts[k];
    if (n === 0) continue;
    const a = x.at(acc);
    const b = x.at(acc + n);
    acc += n;
    // A share too small to see still gets a sliver: one violating flow among thousands must show.
    const w = Math.max(2, b - a);
    const pct = ((n / total) * 100).toFixed(n === total ? 0 : 1);
    out.push(el('rect', { class: `seg seg-${k}`, x: a, y, width: w, height: BAR }, el('title', {}, text(`${fmt(n)} ${unit} ${VERDICT_PART_LABELS[k]} (${pct} %)`))));
    const label = fmt(n);
    if (textWidth(label, FONT - 1) + 8 < w) parts(out, a + w / 2, y + BAR - 5, label, `seg-label seg-label-${k}`);
  }
  return out;
}

function parts(out: Markup[], x: number, y: number, s: string, cls: string): void {
  out.push(svgText(x, y, s, { class: cls, 'text-anchor': 'middle' }));
}

/** The chart for an audit; null when there were no UDP/TCP flows. */
export function verdictChart(audit: DscpAuditReport): Markup | null {
  const classes = verdictsByClass(audit);
  if (classes.length === 0) return null;
  const height = TOP + classes.length * GROUP + 4;
  const x0 = LABEL;
  const x1 = WIDTH - TOTAL;
  const out: Markup[] = [el('title', {}, text(`DSCP verdicts per class, policy ${audit.policy}`))];
  // Legend along the top.
  let lx = x0;
  for (const k of VERDICT_PARTS) {
    out.push(el('rect', { class: `seg seg-${k}`, x: lx, y: 8, width: 12, height: 12 }, null));
    out.push(svgText(lx + 17, 18, VERDICT_PART_LABELS[k], { class: 'legend' }));
    lx += 17 + textWidth(VERDICT_PART_LABELS[k], FONT) + 22;
  }
  classes.forEach((c, i) => {
    const y = TOP + i * GROUP;
    const expect = c.expected.length ? `expects ${c.expected.map(phbName).join('/')}${c.accepted.length ? ` (or ${c.accepted.map(phbName).join('/')})` : ''}` : '';
    out.push(svgText(0, y + 13, clip(c.cls, 26), { class: 'class-name' }));
    out.push(svgText(0, y + 29, expect, { class: 'class-expect' }));
    out.push(svgText(x0 - 8, y + BAR - 5, 'packets', { class: 'bar-unit', 'text-anchor': 'end' }));
    out.push(svgText(x0 - 8, y + 2 * BAR + GAP - 5, 'flows', { class: 'bar-unit', 'text-anchor': 'end' }));
    out.push(...bar(y, c.packets, 'packets', x0, x1));
    out.push(...bar(y + BAR + GAP, c.flows, 'flows', x0, x1));
    const pk = VERDICT_PARTS.reduce((n, k) => n + c.packets[k], 0);
    const fl = VERDICT_PARTS.reduce((n, k) => n + c.flows[k], 0);
    const badPk = c.packets.violating;
    out.push(svgText(x1 + 10, y + BAR - 5, badPk ? `${fmt(badPk)} of ${fmt(pk)} violating` : `${fmt(pk)} packets`, { class: badPk ? 'total bad' : 'total' }));
    out.push(svgText(x1 + 10, y + 2 * BAR + GAP - 5, c.flows.violating ? `${fmt(c.flows.violating)} of ${fmt(fl)} flows violating` : `${fmt(fl)} flow${fl === 1 ? '' : 's'}`, { class: c.flows.violating ? 'total bad' : 'total' }));
  });
  return el('svg', {
    class: 'plot dscp-bars', xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${WIDTH} ${height}`, width: WIDTH, height,
    role: 'img', 'aria-label': 'DSCP verdicts per class',
  }, out);
}
