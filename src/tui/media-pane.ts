// Media pane: the RTP streams worst first (the session orders them), with
// the figures `analyze` gives each: MOS, loss, jitter, the marking it
// carried and the call whose SDP announced it.

import { phbName } from '../../dissectors/dscp.js';
import type { LiveSnapshot } from '../live/view-model.js';
import type { RtpStreamReport } from '../media/analyzer.js';
import { sanitize } from '../output/sanitize.js';
import { fitColumns, headerSegs, row, rowSegs, widest, type Cell, type Column, type PaneContent } from './pane.js';
import type { SegStyle } from './text.js';

/** MOS bands as the HTML report colours them: below 3.6 poor, below 4 fair. */
export function mosStyle(mos: number | null): SegStyle {
  if (mos === null) return { dim: true };
  return mos < 3.6 ? { color: 'red', bold: true } : mos < 4 ? { color: 'yellow' } : { color: 'green' };
}

/** The marking most of the stream's packets carried ("EF"; "EF+" when it carried others too). */
export function markingText(s: RtpStreamReport): string {
  let top: [string, number] | null = null;
  for (const [d, n] of Object.entries(s.dscp)) if (top === null || n > top[1]) top = [d, n];
  if (top === null) return '-';
  return `${phbName(Number(top[0]))}${Object.keys(s.dscp).length > 1 ? '+' : ''}`;
}

/** The MOS, loss and jitter columns, as wide whatever the values (a MOS is 4.41, a loss 100.0); `drop` lets loss and jitter go in a narrow pane. */
export function qualityColumns(drop: { loss?: number; jitter?: number } = {}): Column[] {
  return [
    { title: 'MOS', min: 4, align: 'right' },
    { title: 'loss %', min: 6, align: 'right', drop: drop.loss },
    { title: 'jit ms', min: 6, align: 'right', drop: drop.jitter },
  ];
}

/** Cells for qualityColumns: the MOS coloured by band, a loss of 1 % or more yellow, '-' for what is not known (a call with no media, a stream not scored). */
export function qualityCells(mos: number | null, lossPercent: number | null, jitterMs: number | null): Cell[] {
  const loss: Cell = lossPercent === null ? '-' : { text: lossPercent.toFixed(1), ...(lossPercent >= 1 ? { color: 'yellow' } : {}) };
  return [{ text: mos === null ? '-' : mos.toFixed(2), ...mosStyle(mos) }, loss, jitterMs === null ? '-' : jitterMs.toFixed(1)];
}

export function mediaPane(snap: LiveSnapshot, width: number): PaneContent {
  const streams = snap.media.streams;
  const calls = new Map(snap.calls.map((c) => [c.callId, c]));
  const flows = streams.map((s) => sanitize(s.flow));
  const callText = streams.map((s) => {
    if (s.callId === null) return '-';
    const c = calls.get(s.callId);
    return sanitize(c ? `${c.from} > ${c.to}` : s.callId);
  });
  const codecs = streams.map((s) => s.quality?.codec ?? s.payloadTypes[0]?.name ?? '-');
  const markings = streams.map(markingText);
  const cols: Column[] = [
    ...qualityColumns(),
    { title: 'dscp', min: 4 },
    { title: 'codec', min: 5, want: Math.min(10, widest('codec', codecs)), drop: 2 },
    { title: 'packets', min: 7, align: 'right', drop: 1 },
    { title: 'stream', min: 16, want: widest('stream', flows), whole: true },
    { title: 'call', min: 8, want: widest('call', callText), max: Number.POSITIVE_INFINITY },
  ];
  const fit = fitColumns(cols, width);
  const lines = streams.map((s, i) => {
    const cells: Cell[] = [
      ...qualityCells(s.quality?.mos ?? null, s.lossPercent, s.jitterMs?.mean ?? null), markings[i], codecs[i], String(s.packets), flows[i], callText[i],
    ];
    const search = `${flows[i]} ${sanitize(s.callId ?? '')} ${callText[i]} ${codecs[i]} ${markings[i]} ${s.ssrc}`;
    return row(`rtp:${s.key}`, rowSegs(fit.cols, fit.widths, fit.pick(cells)), search, null, s.callId);
  });
  const t = snap.media.totals;
  const scored = streams.flatMap((s) => (s.quality ? [s.quality.mos] : []));
  const worst = scored.length ? `, worst MOS ${Math.min(...scored).toFixed(2)}` : '';
  const shown = streams.length < t.streams - t.evicted ? `, the worst ${streams.length} shown` : '';
  const evicted = t.evicted ? `, ${t.evicted} dropped from the full table` : '';
  return {
    title: `Media  ${t.streams} RTP streams, ${t.lost} packets lost${worst}${shown}${evicted}`,
    columns: headerSegs(fit.cols, fit.widths),
    lines,
  };
}
