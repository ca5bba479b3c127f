// Heartbeat pane: each pair as a heading, then its one or two directions
// with the receiver's state, the last sequence and interval, a sparkline of
// recent intervals, the current run of misses and received/lost.

import type { HeartbeatDirection, HeartbeatState, LiveSnapshot } from '../live/view-model.js';
import { sanitize } from '../output/sanitize.js';
import { msCell } from './format.js';
import { fitColumns, heading, headerSegs, row, rowSegs, widest, type Cell, type Column, type PaneContent, type PaneLine } from './pane.js';
import { sparkline } from './sparkline.js';
import type { Seg, SegStyle } from './text.js';

const STATE_STYLE: Readonly<Record<HeartbeatState, SegStyle>> = {
  ok: { color: 'green' },
  missing: { color: 'yellow', bold: true },
  failed: { color: 'red', bold: true, inverse: true },
  restarted: { color: 'magenta', bold: true },
};

export function stateWord(d: HeartbeatDirection): string {
  switch (d.state) {
    case 'ok': return 'OK';
    case 'missing': return `MISSING ${d.misses}`;
    case 'failed': return 'FAILED';
    case 'restarted': return 'RESTARTED';
  }
}

export function heartbeatPane(snap: LiveSnapshot, width: number): PaneContent {
  const dirs = snap.heartbeats.flatMap((p) => p.directions);
  const nominal = snap.heartbeatIntervalMs;
  const streams = dirs.map((d) => sanitize(d.stream));
  const words = dirs.map(stateWord);
  const cols: Column[] = [
    { title: 'state', min: 9, want: widest('state', words) },
    { title: 'stream', min: 16, want: widest('stream', streams), whole: true },
    { title: 'last seq', min: 8, align: 'right', drop: 3 },
    { title: 'int ms', min: 6, align: 'right' },
    { title: 'recent', min: 8, want: 12, max: 40, drop: 1 },
    { title: 'miss', min: 4, align: 'right', drop: 2 },
    { title: 'rcvd/lost', min: 9, align: 'right' },
  ];
  const fit = fitColumns(cols, width);
  const lines: PaneLine[] = [];
  for (const p of snap.heartbeats) {
    const pair = sanitize(p.pair);
    const failovers = p.directions.reduce((n, d) => n + d.failovers, 0);
    const restarts = p.directions.reduce((n, d) => n + d.restarts, 0);
    const notes = [failovers ? `failovers ${failovers}` : '', restarts ? `restarts ${restarts}` : ''].filter(Boolean).join('  ');
    const head = heading(`pair:${p.pair}`, [{ text: pair, bold: true }, { text: notes ? `  ${notes}` : '', dim: true }]);
    lines.push(head);
    for (const d of p.directions) {
      const word = stateWord(d);
      const state: Seg = { text: word, ...STATE_STYLE[d.state] };
      const stream = sanitize(d.stream);
      const recent = fit.cols.find((c) => c.title === 'recent');
      const segs = rowSegs(fit.cols, fit.widths, fit.pick<Cell>([
        state, stream, String(d.lastSeq), msCell(d.lastIntervalMs), recent ? sparkline(d.recentMs, fit.widths[fit.cols.indexOf(recent)], nominal) : '',
        String(d.misses), `${d.received}/${d.lost}`,
      ]));
      lines.push(row(`hb:${d.stream}`, segs, `${pair} ${stream} ${word}`, head.key));
    }
  }
  const bad = (s: HeartbeatState): number => dirs.filter((d) => d.state === s).length;
  const problems = [bad('failed') ? `${bad('failed')} FAILED` : '', bad('missing') ? `${bad('missing')} MISSING` : '',
    bad('restarted') ? `${bad('restarted')} RESTARTED` : ''].filter(Boolean);
  return {
    title: `Heartbeats  ${snap.heartbeats.length} pairs, ${dirs.length} streams${problems.length ? `, ${problems.join(', ')}` : ''}`,
    columns: headerSegs(fit.cols, fit.widths),
    lines,
  };
}
