// DSCP pane: one row per flow with its class, the markings the policy
// expects, the dominant marking seen (share of packets; "mixed" when the
// flow carried more than one), packets and the verdict. The audit already
// orders violations first; they are drawn red.

import { phbName } from '../../dissectors/dscp.js';
import type { DscpVerdict, FlowAudit } from '../dscp/audit.js';
import type { LiveSnapshot } from '../live/view-model.js';
import { sanitize } from '../output/sanitize.js';
import { fitColumns, headerSegs, row, rowSegs, widest, type Cell, type Column, type PaneContent } from './pane.js';
import type { SegStyle } from './text.js';

const VERDICT_STYLE: Readonly<Record<DscpVerdict, SegStyle>> = {
  violation: { color: 'red', bold: true },
  accepted: { color: 'yellow' },
  unclassified: { dim: true },
  ok: { color: 'green' },
};

/** The most used marking and its share of the flow's packets, e.g. "EF 97% mixed". */
export function observedText(f: FlowAudit): string {
  let top: [number, number] | null = null;
  for (const [d, n] of Object.entries(f.observed)) if (top === null || n > top[1]) top = [Number(d), n];
  if (top === null) return '-';
  const pct = f.packets > 0 ? Math.round((top[1] / f.packets) * 100) : 0;
  return `${phbName(top[0])} ${pct}%${f.mixed ? ' mixed' : ''}`;
}

export function dscpPane(snap: LiveSnapshot, width: number): PaneContent {
  const flows = snap.dscp.map((f) => sanitize(f.flow));
  const classes = snap.dscp.map((f) => sanitize(f.class));
  const expected = snap.dscp.map((f) => (f.expected.length ? f.expected.map(phbName).join('/') : '-'));
  const observed = snap.dscp.map(observedText);
  const cols: Column[] = [
    { title: 'flow', min: 16, want: widest('flow', flows), whole: true },
    { title: 'class', min: 8, want: Math.min(16, widest('class', classes)), drop: 3 },
    { title: 'expected', min: 8, want: Math.min(16, widest('expected', expected)) },
    { title: 'observed', min: 9, want: widest('observed', observed) },
    { title: 'packets', min: 7, align: 'right', drop: 2 },
    { title: 'verdict', min: 9 },
    { title: 'asym', min: 4, drop: 1 },
  ];
  const fit = fitColumns(cols, width);
  const lines = snap.dscp.map((f, i) => {
    // A violation is red across the row, so it reads as one from any column.
    const tone: SegStyle = f.verdict === 'violation' ? { color: 'red' } : {};
    const cells: Cell[] = [
      { text: flows[i], ...tone }, { text: classes[i], ...tone }, { text: expected[i], ...tone }, { text: observed[i], ...tone },
      { text: String(f.packets), ...tone }, { text: f.verdict, ...VERDICT_STYLE[f.verdict] },
      f.asymmetric ? { text: 'asym', color: 'yellow' } : '',
    ];
    const search = `${flows[i]} ${classes[i]} ${expected[i]} ${observed[i]} ${f.verdict}${f.asymmetric ? ' asymmetric' : ''}`;
    return row(`dscp:${f.transport}:${f.flow}`, rowSegs(fit.cols, fit.widths, fit.pick(cells)), search);
  });
  const t = snap.dscpTotals;
  return {
    title: `DSCP  ${t.flows} flows, ${t.violation} violations, ${t.mixed} mixed, ${t.asymmetricConversations} asymmetric`,
    columns: headerSegs(fit.cols, fit.widths),
    lines,
  };
}
